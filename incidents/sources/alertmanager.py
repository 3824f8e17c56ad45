"""Prometheus Alertmanager webhook receiver (``webhook_configs``, payload version "4").

Alertmanager posts one notification per alert *group* (the alerts sharing the route's
``group_by`` labels), repeating it whenever the group changes and every ``repeat_interval``.
A notification looks like::

    {"version": "4", "groupKey": "{}:{alertname=\\"DiskFull\\"}", "status": "firing",
     "receiver": "vigil", "truncatedAlerts": 0, "externalURL": "http://alertmanager:9093",
     "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...},
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...},
                 "startsAt": "2026-11-27T16:09:47.045703566Z", "endsAt": "0001-01-01T00:00:00Z",
                 "generatorURL": "http://prometheus:9090/graph?...", "fingerprint": "e94c744ae3d44df8"}]}

Integration config (all optional):

``group_by`` -- ``"group"`` (default) or ``"fingerprint"``.
    *group*: one event per notification, so one incident per Alertmanager group. The dedup key is
    the ``groupKey`` itself when it fits in 255 characters, else ``"sha256:"`` + the 64-hex-digit
    SHA-256 of it. Without a ``groupKey`` (hand-written payloads) the key is
    ``"group:"`` + 32 hex digits of SHA-256 over the receiver and sorted group labels.
    Action: ``status`` "firing" -> trigger, "resolved" -> resolve; a firing notification that
    carries some resolved alerts is still a trigger.
    *fingerprint*: one event per alert; the dedup key is the alert's ``fingerprint``, or when
    absent the fingerprint Alertmanager itself would compute (FNV-1a 64 over the sorted labels,
    see :func:`label_fingerprint`), so payloads with and without fingerprints dedupe together.
    The action follows that alert's own ``status``.
``resolve_per_alert`` -- bool, default False; only matters in group mode. When true the action is
    decided from the alerts, not from the group ``status``: trigger while any alert in the
    notification is firing, resolve once all are resolved; and ``details["alert_states"]`` maps
    each alert's fingerprint to "firing"/"resolved" so the incident can track which alerts are
    still open across notifications (Alertmanager reports a resolved alert once, then drops it).
``severity_map`` -- extra severity words, e.g. ``{"P1": "critical"}`` (see base.SEVERITY_ALIASES).

Event fields: summary = the ``summary`` annotation common to the group, else the first firing
alert's (``"(+N more)"`` appended for a group), else the alert name and what tells the alerts apart
("DiskFull on db1", "HighLatency (3 alerts): instance=web1, web2, web3"). Severity = the common
``severity`` label, else the worst among the alerts, mapped by base.normalise_severity (unknown or
missing -> "error"). Source = the common ``instance`` or ``job`` label, else the externalURL host.
occurred_at = the earliest ``startsAt`` for a trigger; the latest ``endsAt`` for a resolve (falling
back to the earliest ``startsAt``). Links: each distinct ``runbook_url`` annotation ("Runbook"),
each distinct non-empty ``generatorURL`` ("Source: <alertname>"), then ``externalURL``
("Alertmanager"); only http(s) URLs, at most 25. Details keep every alert with its labels,
annotations and times, plus groupLabels, commonLabels, commonAnnotations, externalURL, receiver,
groupKey, truncatedAlerts and firing/resolved counts.
"""
from __future__ import annotations

import heapq
import json
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from typing import Any

from .base import (
    MAX_SOURCE, MAX_SUMMARY, AlertEvent, ErrorList, ParseError, bounded_key, clean_text, describe_type,
    dedupe_links, get_config, hashed_key, make_link, normalise_severity, parse_timestamp, severity_rank,
    short_repr, truncate, url_host, validate_common_config,
)

__all__ = [
    "parse", "validate", "build_events", "label_fingerprint", "group_dedup_key", "validate_config",
    "Alert", "Notification", "AlertmanagerFlavour", "ALERT_STATUSES", "GROUP_BY_CHOICES",
]

ALERT_STATUSES = ("firing", "resolved")
GROUP_BY_CHOICES = ("group", "fingerprint")
MAX_LINKS = 25
MAX_IMAGES = 10
# Labels that say *where* an alert fired, in the order a responder wants to read them.
LOCATION_LABELS = ("instance", "host", "hostname", "node", "pod", "job", "service", "cluster")


@dataclass(frozen=True)
class Alert:
    """One validated alert of a notification. Strings are already cleaned (base.clean_text)."""

    index: int
    status: str
    labels: dict
    annotations: dict
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str
    fingerprint: str                       # as sent; may be ""
    extra: dict = field(default_factory=dict)  # flavour-specific fields (Grafana's URLs, values...)

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @cached_property
    def identity(self) -> str:
        """The alert's fingerprint, or the one Alertmanager would compute from its labels."""
        return self.fingerprint or label_fingerprint(self.labels)


@dataclass(frozen=True)
class Notification:
    """One validated webhook notification."""

    status: str
    alerts: tuple[Alert, ...]
    receiver: str = ""
    group_key: str = ""
    group_labels: dict = field(default_factory=dict)
    common_labels: dict = field(default_factory=dict)
    common_annotations: dict = field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0
    version: str = ""
    extra: dict = field(default_factory=dict)  # flavour-specific top-level fields

    @property
    def firing_alerts(self) -> tuple[Alert, ...]:
        return tuple(a for a in self.alerts if a.firing)


# ------------------------------------------------------------------------------------- hashing

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK64 = (1 << 64) - 1


def label_fingerprint(labels: dict) -> str:
    """The 16-hex-digit fingerprint Alertmanager computes for a label set.

    FNV-1a (64 bit) over the label names in byte order, each name and value followed by a 0xFF
    separator byte: the same value Alertmanager puts in ``fingerprint``, so it can stand in for a
    missing one.
    """
    digest = _FNV_OFFSET
    for name in sorted(labels, key=lambda n: n.encode("utf-8", "surrogatepass")):
        for chunk in (name, labels[name]):
            for byte in chunk.encode("utf-8", "surrogatepass") + b"\xff":
                digest = ((digest ^ byte) * _FNV_PRIME) & _MASK64
    return f"{digest:016x}"


def group_dedup_key(notification: Notification) -> str:
    """The dedup key of a group-mode event (see the module docstring)."""
    if notification.group_key:
        return bounded_key(notification.group_key)
    basis = json.dumps([notification.receiver, sorted(notification.group_labels.items())], ensure_ascii=True)
    return hashed_key("group:", basis)


# ------------------------------------------------------------------------------------- flavour

class AlertmanagerFlavour:
    """What differs between Alertmanager and look-alikes (Grafana): subclass and override."""

    name = "Alertmanager"
    # Accepted values of "version"; None accepts any string.
    versions: tuple[str, ...] | None = ("4",)
    external_link_text = "Alertmanager"

    # ---- validation hooks
    def validate_extra(self, body: dict, errors: ErrorList) -> dict:
        """Validate flavour-specific top-level fields; return them for ``Notification.extra``."""
        return {}

    def validate_alert_extra(self, raw: dict, path: str, errors: ErrorList) -> dict:
        return {}

    # ---- event building hooks
    def alert_details(self, alert: Alert) -> dict:
        return {
            "status": alert.status,
            "labels": alert.labels,
            "annotations": alert.annotations,
            "startsAt": _iso(alert.starts_at),
            "endsAt": _iso(alert.ends_at),
            "generatorURL": alert.generator_url,
            "fingerprint": alert.identity,
        }

    def group_details(self, notification: Notification) -> dict:
        return {
            "status": notification.status,
            "receiver": notification.receiver,
            "groupKey": notification.group_key,
            "groupLabels": notification.group_labels,
            "commonLabels": notification.common_labels,
            "commonAnnotations": notification.common_annotations,
            "externalURL": notification.external_url,
            "truncatedAlerts": notification.truncated_alerts,
        }

    def fallback_summary(self, notification: Notification, alerts: tuple[Alert, ...]) -> str:
        """Summary when no ``summary`` annotation exists."""
        return label_summary(alerts, notification)

    def alert_links(self, alert: Alert) -> list[dict | None]:
        """Per-alert links after runbooks: the generator (rule/graph) URL."""
        return [make_link(alert.generator_url, f"Source: {alert.alertname or 'alert'}")]

    def images(self, alerts: tuple[Alert, ...]) -> tuple[dict, ...]:
        return ()


ALERTMANAGER = AlertmanagerFlavour()


# ---------------------------------------------------------------------------------- validation

def _string_field(body: dict, key: str, path: str, errors: ErrorList) -> str:
    value = body.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(f"'{path}' must be a string, not {describe_type(value)}")
        return ""
    return clean_text(value)


def _string_map(body: dict, key: str, path: str, errors: ErrorList, required: bool = False) -> dict:
    """An object whose values are all strings (labels, annotations)."""
    if key not in body or body[key] is None:
        if required:
            errors.add(f"'{path}' is missing")
        return {}
    value = body[key]
    if not isinstance(value, dict):
        errors.add(f"'{path}' must be an object of strings, not {describe_type(value)}")
        return {}
    out = {}
    for name, item in value.items():
        if not isinstance(name, str):
            errors.add(f"'{path}' has a key that is not a string")
            continue
        if not isinstance(item, str):
            errors.add(f"'{path}.{clean_text(name)[:100]}' must be a string, not {describe_type(item)}")
            continue
        out[clean_text(name)] = clean_text(item)
    return out


def _validate_alert(raw: Any, path: str, flavour: AlertmanagerFlavour, errors: ErrorList, index: int) -> Alert | None:
    if not isinstance(raw, dict):
        errors.add(f"'{path}' must be an object, not {describe_type(raw)}")
        return None
    before = len(errors.items) + errors.dropped
    status = raw.get("status")
    if status is None or status == "":
        errors.add(f"'{path}.status' is missing or blank")
    elif not isinstance(status, str) or status not in ALERT_STATUSES:
        errors.add(f"'{path}.status' must be one of {', '.join(ALERT_STATUSES)}, not {short_repr(status)}")
    labels = _string_map(raw, "labels", f"{path}.labels", errors, required=True)
    annotations = _string_map(raw, "annotations", f"{path}.annotations", errors)
    starts_at = parse_timestamp(raw.get("startsAt"), f"{path}.startsAt", errors)
    ends_at = parse_timestamp(raw.get("endsAt"), f"{path}.endsAt", errors)
    generator_url = _string_field(raw, "generatorURL", f"{path}.generatorURL", errors)
    fingerprint = _string_field(raw, "fingerprint", f"{path}.fingerprint", errors).strip()
    extra = flavour.validate_alert_extra(raw, path, errors)
    if len(errors.items) + errors.dropped != before:
        return None
    return Alert(
        index=index, status=status, labels=labels, annotations=annotations, starts_at=starts_at,
        ends_at=ends_at, generator_url=generator_url, fingerprint=fingerprint, extra=extra,
    )


def validate(body: Any, flavour: AlertmanagerFlavour = ALERTMANAGER) -> Notification:
    """Check the shape of a notification and return it typed; ParseError lists every bad field."""
    message = f"{flavour.name} payload is invalid"
    if not isinstance(body, dict):
        raise ParseError(message, [f"the body must be a JSON object, not {describe_type(body)}"])
    errors = ErrorList()

    version = body.get("version")
    if version is not None:
        if not isinstance(version, str):
            errors.add(f"'version' must be a string, not {describe_type(version)}")
        elif flavour.versions is not None and version not in flavour.versions:
            wanted = " or ".join(f'"{v}"' for v in flavour.versions)
            hint = " (Grafana sends version \"1\": use a Grafana integration)" if version == "1" else ""
            errors.add(f"'version' must be {wanted} (the {flavour.name} webhook format this integration "
                       f"reads), not {short_repr(version)}{hint}")

    status = body.get("status")
    if status is not None and (not isinstance(status, str) or status not in ALERT_STATUSES):
        errors.add(f"'status' must be one of {', '.join(ALERT_STATUSES)}, not {short_repr(status)}")
        status = None

    alerts: list[Alert] = []
    raw_alerts = body.get("alerts")
    if raw_alerts is None:
        errors.add("'alerts' is missing")
    elif not isinstance(raw_alerts, list):
        errors.add(f"'alerts' must be a list, not {describe_type(raw_alerts)}")
    elif not raw_alerts:
        errors.add("'alerts' is empty: a notification needs at least one alert")
    else:
        for index, raw in enumerate(raw_alerts):
            alert = _validate_alert(raw, f"alerts[{index}]", flavour, errors, index)
            if alert is not None:
                alerts.append(alert)

    receiver = _string_field(body, "receiver", "receiver", errors)
    group_key = _string_field(body, "groupKey", "groupKey", errors)
    external_url = _string_field(body, "externalURL", "externalURL", errors)
    group_labels = _string_map(body, "groupLabels", "groupLabels", errors)
    common_labels = _string_map(body, "commonLabels", "commonLabels", errors)
    common_annotations = _string_map(body, "commonAnnotations", "commonAnnotations", errors)
    truncated = body.get("truncatedAlerts")
    if truncated is None:
        truncated = 0
    elif isinstance(truncated, bool) or not isinstance(truncated, int) or truncated < 0:
        errors.add(f"'truncatedAlerts' must be a non-negative integer, not {short_repr(truncated)}")
        truncated = 0
    extra = flavour.validate_extra(body, errors)

    errors.raise_if_any(message)
    if status is None:  # hand-written payloads may omit it; Alertmanager never does
        status = "firing" if any(a.firing for a in alerts) else "resolved"
    return Notification(
        status=status, alerts=tuple(alerts), receiver=receiver, group_key=group_key,
        group_labels=group_labels, common_labels=common_labels, common_annotations=common_annotations,
        external_url=external_url, truncated_alerts=truncated, version=version or "", extra=extra,
    )


def validate_config(config: Any) -> list[str]:
    """Problems with an alertmanager/grafana integration's config, for the model's ``clean()``."""
    errors = validate_common_config(config)
    if isinstance(config, dict):
        if "group_by" in config and config["group_by"] not in GROUP_BY_CHOICES:
            errors.append(f"'group_by' must be one of {', '.join(GROUP_BY_CHOICES)}")
        if "resolve_per_alert" in config and not isinstance(config["resolve_per_alert"], bool):
            errors.append("'resolve_per_alert' must be true or false")
    return errors


# -------------------------------------------------------------------------------------- events

def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _location(labels: dict) -> str:
    for name in LOCATION_LABELS:
        if labels.get(name):
            return labels[name]
    return ""


def label_summary(alerts: tuple[Alert, ...], notification: Notification) -> str:
    """"DiskFull on db1" / "HighLatency (3 alerts): instance=web1, web2, web3"."""
    names = list(dict.fromkeys(a.alertname for a in alerts if a.alertname))
    if len(names) > 1:  # a group routed by other labels (group_by: [cluster]) mixes alert names
        alertname = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    else:
        alertname = names[0] if names else notification.common_labels.get("alertname", "")
    if not alertname:
        pairs = ", ".join(f"{k}={v}" for k, v in sorted(notification.group_labels.items()))
        alertname = f"Alert {pairs}" if pairs else "Alert"
    if len(alerts) <= 1:
        where = _location(alerts[0].labels) if alerts else ""
        return f"{alertname} on {where}" if where else alertname
    # Labels whose values tell the alerts apart, location labels first. One pass over all labels:
    # a hostile body with thousands of alerts and labels must not cost names x alerts.
    values_by_name: dict[str, dict[str, None]] = {}
    present: dict[str, int] = {}
    for alert in alerts:
        for name, value in alert.labels.items():
            values_by_name.setdefault(name, {})[value] = None
            present[name] = present.get(name, 0) + 1
    varying = (
        name for name, values in values_by_name.items()
        if name != "alertname" and (len(values) > 1 or present[name] < len(alerts))
    )
    rank = {name: index for index, name in enumerate(LOCATION_LABELS)}
    parts = []
    for name in heapq.nsmallest(2, varying, key=lambda n: (rank.get(n, len(rank)), n)):
        values = [value for value in values_by_name[name] if value]
        shown = ", ".join(values[:5]) + (f", … (+{len(values) - 5})" if len(values) > 5 else "")
        parts.append(f"{name}={shown}")
    head = f"{alertname} ({len(alerts)} alerts)"
    return f"{head}: {'; '.join(parts)}" if parts else head


def _group_summary(notification: Notification, alerts: tuple[Alert, ...], flavour: AlertmanagerFlavour) -> str:
    common = notification.common_annotations.get("summary", "").strip()
    if common:
        return common
    for alert in alerts:
        own = alert.annotations.get("summary", "").strip()
        if own:
            return own + (f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else "")
    return flavour.fallback_summary(notification, alerts).strip()


def _alert_summary(notification: Notification, alert: Alert, flavour: AlertmanagerFlavour) -> str:
    own = alert.annotations.get("summary", "").strip()
    return own or label_summary((alert,), notification)


def _severity(common_labels: dict, alerts: tuple[Alert, ...], config: dict) -> str:
    if common_labels.get("severity"):
        return normalise_severity(common_labels["severity"], config)
    levels = [normalise_severity(a.labels["severity"], config) for a in alerts if a.labels.get("severity")]
    return max(levels, key=severity_rank) if levels else normalise_severity(None, config)


def _links(notification: Notification, alerts: tuple[Alert, ...], flavour: AlertmanagerFlavour) -> tuple[dict, ...]:
    candidates: list[dict | None] = [make_link(notification.common_annotations.get("runbook_url"), "Runbook")]
    candidates += [make_link(a.annotations.get("runbook_url"), "Runbook") for a in alerts]
    for alert in alerts:
        candidates += flavour.alert_links(alert)
    candidates.append(make_link(notification.external_url, flavour.external_link_text))
    return dedupe_links(candidates, MAX_LINKS)


def _occurred_at(action: str, alerts: tuple[Alert, ...]) -> datetime | None:
    starts = [a.starts_at for a in alerts if a.starts_at]
    if action == "resolve":
        ends = [a.ends_at for a in alerts if a.ends_at]
        if ends:
            return max(ends)
    return min(starts) if starts else None


def _finish(summary: str, source: str) -> tuple[str, str]:
    return truncate(summary.strip() or "Alert", MAX_SUMMARY), truncate(source.strip(), MAX_SOURCE)


def _group_event(notification: Notification, config: dict, flavour: AlertmanagerFlavour) -> AlertEvent:
    resolve_per_alert = config.get("resolve_per_alert") is True
    firing = notification.firing_alerts
    if resolve_per_alert:
        action = "trigger" if firing else "resolve"
    else:
        action = "trigger" if notification.status == "firing" else "resolve"
    # Describe what is wrong now: the firing alerts of a firing group, else all of them.
    shown = firing if (action == "trigger" and firing) else notification.alerts
    summary = _group_summary(notification, shown, flavour)
    common = notification.common_labels
    source = common.get("instance") or common.get("job") or url_host(notification.external_url)
    details = flavour.group_details(notification)
    details["alerts"] = [flavour.alert_details(a) for a in notification.alerts]
    details["firing_count"] = len(firing)
    details["resolved_count"] = len(notification.alerts) - len(firing)
    if resolve_per_alert:
        details["alert_states"] = {a.identity: a.status for a in notification.alerts}
    summary, source = _finish(summary, source)
    return AlertEvent(
        dedup_key=group_dedup_key(notification),
        action=action,
        summary=summary,
        severity=_severity(common, notification.alerts, config),
        source=source,
        details=details,
        links=_links(notification, notification.alerts, flavour),
        images=flavour.images(notification.alerts),
        occurred_at=_occurred_at(action, notification.alerts),
    )


def _alert_event(notification: Notification, alert: Alert, config: dict, flavour: AlertmanagerFlavour) -> AlertEvent:
    action = "trigger" if alert.firing else "resolve"
    source = alert.labels.get("instance") or alert.labels.get("job") or url_host(notification.external_url)
    details = flavour.group_details(notification)
    details["alerts"] = [flavour.alert_details(alert)]
    summary, source = _finish(_alert_summary(notification, alert, flavour), source)
    identity = bounded_key(alert.identity)
    return AlertEvent(
        dedup_key=identity,
        action=action,
        summary=summary,
        severity=_severity(alert.labels, (alert,), config),
        source=source,
        details=details,
        links=_links(notification, (alert,), flavour),
        images=flavour.images((alert,)),
        occurred_at=_occurred_at(action, (alert,)),
        fingerprint=identity,
    )


def build_events(notification: Notification, config: dict | None = None,
                 flavour: AlertmanagerFlavour = ALERTMANAGER) -> list[AlertEvent]:
    """Events for a validated notification according to the integration config."""
    config = config if isinstance(config, dict) else {}
    if config.get("group_by") == "fingerprint":
        return [_alert_event(notification, alert, config, flavour) for alert in notification.alerts]
    return [_group_event(notification, config, flavour)]


def parse(body: Any, integration: Any = None) -> list[AlertEvent]:
    """Alertmanager webhook body -> events (one per group, or one per alert; see module doc)."""
    return build_events(validate(body, ALERTMANAGER), get_config(integration), ALERTMANAGER)
