"""From a validated notification to events: one per Alertmanager group (the default), or one per
alert (``group_by: fingerprint``), with the summary, severity, source, time and links of each.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..events import MAX_SOURCE, MAX_SUMMARY, AlertEvent
from ..links import MAX_LINKS, dedupe_links, make_link, url_host
from ..severity import normalise_severity, severity_rank, validate_common_config
from ..text import bounded_key, hashed_key, truncate
from .flavour import ALERTMANAGER, AlertmanagerFlavour
from .notification import ParsedAlert, ParsedNotification
from .summary import label_summary

__all__ = ["GROUP_BY_CHOICES", "build_events", "group_dedup_key", "validate_config"]

GROUP_BY_CHOICES = ("group", "fingerprint")


def validate_config(config: Any) -> list[str]:
    """Problems with an alertmanager/grafana integration's config, for the model's ``clean()``."""
    errors = validate_common_config(config)
    if isinstance(config, dict):
        if "group_by" in config and config["group_by"] not in GROUP_BY_CHOICES:
            errors.append(f"'group_by' must be one of {', '.join(GROUP_BY_CHOICES)}")
        if "resolve_per_alert" in config and not isinstance(config["resolve_per_alert"], bool):
            errors.append("'resolve_per_alert' must be true or false")
    return errors


def group_dedup_key(notification: ParsedNotification) -> str:
    """The dedup key of a group-mode event (see the package docstring)."""
    if notification.group_key:
        return bounded_key(notification.group_key)
    basis = json.dumps([notification.receiver, sorted(notification.group_labels.items())], ensure_ascii=True)
    return hashed_key("group:", basis)


def _group_summary(notification: ParsedNotification, alerts: tuple[ParsedAlert, ...],
                   flavour: AlertmanagerFlavour) -> str:
    common = notification.common_annotations.get("summary", "").strip()
    if common:
        return common
    for alert in alerts:
        own = alert.annotations.get("summary", "").strip()
        if own:
            return own + (f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else "")
    return flavour.fallback_summary(notification, alerts).strip()


def _alert_summary(notification: ParsedNotification, alert: ParsedAlert) -> str:
    own = alert.annotations.get("summary", "").strip()
    return own or label_summary((alert,), notification)


def _severity(common_labels: dict, alerts: tuple[ParsedAlert, ...], config: dict) -> str:
    if common_labels.get("severity"):
        return normalise_severity(common_labels["severity"], config)
    levels = [normalise_severity(a.labels["severity"], config) for a in alerts if a.labels.get("severity")]
    return max(levels, key=severity_rank) if levels else normalise_severity(None, config)


def _notification_links(notification: ParsedNotification, alerts: tuple[ParsedAlert, ...],
                        flavour: AlertmanagerFlavour) -> tuple[dict, ...]:
    candidates: list[dict | None] = [make_link(notification.common_annotations.get("runbook_url"), "Runbook")]
    candidates += [make_link(a.annotations.get("runbook_url"), "Runbook") for a in alerts]
    for alert in alerts:
        candidates += flavour.alert_links(alert)
    candidates.append(make_link(notification.external_url, flavour.external_link_text))
    return dedupe_links(candidates, MAX_LINKS)


def _occurred_at(action: str, alerts: tuple[ParsedAlert, ...]) -> datetime | None:
    starts = [a.starts_at for a in alerts if a.starts_at]
    if action == "resolve":
        ends = [a.ends_at for a in alerts if a.ends_at]
        if ends:
            return max(ends)
    return min(starts) if starts else None


def _finish(summary: str, source: str) -> tuple[str, str]:
    return truncate(summary.strip() or "Alert", MAX_SUMMARY), truncate(source.strip(), MAX_SOURCE)


def _group_event(notification: ParsedNotification, config: dict, flavour: AlertmanagerFlavour) -> AlertEvent:
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
        links=_notification_links(notification, notification.alerts, flavour),
        images=flavour.images(notification.alerts),
        occurred_at=_occurred_at(action, notification.alerts),
    )


def _alert_event(notification: ParsedNotification, alert: ParsedAlert, config: dict,
                 flavour: AlertmanagerFlavour) -> AlertEvent:
    action = "trigger" if alert.firing else "resolve"
    source = alert.labels.get("instance") or alert.labels.get("job") or url_host(notification.external_url)
    details = flavour.group_details(notification)
    details["alerts"] = [flavour.alert_details(alert)]
    summary, source = _finish(_alert_summary(notification, alert), source)
    identity = bounded_key(alert.identity)
    return AlertEvent(
        dedup_key=identity,
        action=action,
        summary=summary,
        severity=_severity(alert.labels, (alert,), config),
        source=source,
        details=details,
        links=_notification_links(notification, (alert,), flavour),
        images=flavour.images((alert,)),
        occurred_at=_occurred_at(action, (alert,)),
        fingerprint=identity,
    )


def build_events(notification: ParsedNotification, config: dict | None = None,
                 flavour: AlertmanagerFlavour = ALERTMANAGER) -> list[AlertEvent]:
    """Events for a validated notification according to the integration config."""
    config = config if isinstance(config, dict) else {}
    if config.get("group_by") == "fingerprint":
        return [_alert_event(notification, alert, config, flavour) for alert in notification.alerts]
    return [_group_event(notification, config, flavour)]
