"""What the latest alert said, shaped for the incident page: rows and lists of (key, text) pairs.

Templates get no dict from an alert. Django's `{{ x.items }}` tries `x["items"]` before the
method, so a label or detail named `items` (or `keys`, `values`, `get`) would hand the template
the sender's value instead of the pairs, and the page would fail. Everything here is pure:
values in, plain rows out, whatever shape the sender's JSON had.
"""
import json
from typing import Any, NamedTuple


class DetailRow(NamedTuple):
    key: str
    text: str  # the value as text, when it is not an object
    pairs: list[tuple[str, str]]  # the value's fields, when it is an object


class GroupAlertRow(NamedTuple):
    status: str
    labels: list[tuple[str, str]]
    annotations: list[tuple[str, str]]
    starts_at: str
    generator_url: str  # "" unless a web link


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def pairs(value: Any) -> list[tuple[str, str]]:
    """An object's fields as (key, text) in their order; [] for anything that is not an object."""
    if not isinstance(value, dict):
        return []
    return [(str(key), as_text(item)) for key, item in value.items()]


def web_link(url: Any) -> str:
    # Only web links become links: a javascript: URL stored through the ORM must not run.
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""


def detail_rows(details: Any) -> list[DetailRow]:
    if not isinstance(details, dict):
        return []
    return [DetailRow(str(key), "" if isinstance(value, dict) else as_text(value), pairs(value))
            for key, value in details.items()]


def group_alert_rows(alerts: Any) -> list[GroupAlertRow]:
    """Each alert of an Alertmanager or Grafana group; anything that is not an alert object is left out."""
    if not isinstance(alerts, list):
        return []
    return [
        GroupAlertRow(
            status=as_text(alert.get("status", "")), labels=pairs(alert.get("labels")),
            annotations=pairs(alert.get("annotations")), starts_at=as_text(alert.get("startsAt") or ""),
            generator_url=web_link(alert.get("generatorURL")),
        )
        for alert in alerts if isinstance(alert, dict)
    ]


def what_the_alerts_say(*, details: Any, links: Any) -> dict:
    """The latest alert's links, images, group alerts and other details, ready for the template."""
    links = links if isinstance(links, list) else []
    shown_links = [link for link in links if isinstance(link, dict) and web_link(str(link.get("href", "")))]
    images = [link["image"] for link in links
              if isinstance(link, dict) and isinstance(link.get("image"), dict)
              and web_link(str(link["image"].get("src", "")))]
    rest = dict(details) if isinstance(details, dict) else {}
    grouped = rest.pop("alerts", None)
    rest.pop("images", None)
    return {"links": shown_links, "images": images, "group_alerts": group_alert_rows(grouped),
            "details": detail_rows(rest)}
