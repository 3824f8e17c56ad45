"""Checking a notification's shape field by field, and turning it into a :class:`ParsedNotification`.

Every bad field is reported at once, by its path (``'alerts[3].labels.severity'``).
"""
from __future__ import annotations

from typing import Any

from ..errors import ErrorList, ParseError, describe_type, short_repr
from ..fields import optional_string, parse_timestamp
from ..text import clean_text
from .flavour import ALERTMANAGER, AlertmanagerFlavour
from .notification import ALERT_STATUSES, ParsedAlert, ParsedNotification

__all__ = ["validate"]


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


def _validate_alert(raw: Any, path: str, flavour: AlertmanagerFlavour, errors: ErrorList,
                    index: int) -> ParsedAlert | None:
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
    generator_url = optional_string(raw, "generatorURL", f"{path}.generatorURL", errors) or ""
    fingerprint = (optional_string(raw, "fingerprint", f"{path}.fingerprint", errors) or "").strip()
    extra = flavour.validate_alert_extra(raw, path, errors)
    if len(errors.items) + errors.dropped != before:
        return None
    return ParsedAlert(
        index=index, status=status, labels=labels, annotations=annotations, starts_at=starts_at,
        ends_at=ends_at, generator_url=generator_url, fingerprint=fingerprint, extra=extra,
    )


def validate(body: Any, flavour: AlertmanagerFlavour = ALERTMANAGER) -> ParsedNotification:
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

    alerts: list[ParsedAlert] = []
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

    receiver = optional_string(body, "receiver", "receiver", errors) or ""
    group_key = optional_string(body, "groupKey", "groupKey", errors) or ""
    external_url = optional_string(body, "externalURL", "externalURL", errors) or ""
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
    return ParsedNotification(
        status=status, alerts=tuple(alerts), receiver=receiver, group_key=group_key,
        group_labels=group_labels, common_labels=common_labels, common_annotations=common_annotations,
        external_url=external_url, truncated_alerts=truncated, version=version or "", extra=extra,
    )
