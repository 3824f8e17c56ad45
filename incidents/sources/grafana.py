"""Grafana Alerting webhook contact point (Grafana 9 - 11 unified alerting).

Grafana's webhook body is an Alertmanager notification (Grafana embeds Alertmanager) with extra
fields, so this module reuses :mod:`incidents.sources.alertmanager` for validation, grouping,
dedup keys, severity and config (``group_by``, ``resolve_per_alert``, ``severity_map``: see that
module). Grafana declares ``"version": "1"``; any string is accepted, the shape is what is checked.

Extra top-level fields: ``title`` ("[FIRING:2] HighCPU (Infrastructure)"), ``state``
("alerting" / "ok"; kept for display, the action follows ``status`` as for Alertmanager),
``message`` (the rendered default or custom template), ``orgId``. Extra per-alert fields:
``dashboardURL``, ``panelURL``, ``silenceURL``, ``valueString``, ``values``, ``imageURL``, ``orgId``.

Differences from plain Alertmanager events:
- summary: the ``summary`` annotation (common, else first firing alert), else ``title`` without
  Grafana's "[FIRING:n] " / "[RESOLVED] " prefix, else alert name + labels;
- links add each distinct dashboard ("Dashboard"), panel ("Panel") and silence ("Silence") URL,
  and ``externalURL`` is labelled "Grafana";
- images: each distinct ``imageURL`` as {"src", "href" (panel, else dashboard URL), "alt"};
- details keep ``title``, ``state``, ``message``, ``orgId`` and, per alert, the URLs,
  ``valueString``, ``values`` and ``imageURL``.

:func:`verify_signature` checks the optional HMAC signature (contact point setting
"HMAC Signature", Grafana 12+): header ``X-Grafana-Alerting-Signature`` carries the lowercase hex
HMAC-SHA256 of the raw request body keyed with the shared secret; when a timestamp header is
configured as well, Grafana signs ``"<timestamp>:<body>"`` instead.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from . import alertmanager
from .alertmanager import AlertmanagerFlavour, ParsedAlert, ParsedNotification
from .errors import ErrorList, describe_type
from .events import AlertEvent
from .fields import clean_json, get_config, optional_string
from .links import MAX_IMAGES, make_link, safe_url

__all__ = ["parse", "verify_signature", "strip_title_prefix", "GrafanaFlavour", "GRAFANA", "SIGNATURE_HEADER",
           "validate_config"]

SIGNATURE_HEADER = "X-Grafana-Alerting-Signature"
validate_config = alertmanager.validate_config

_TITLE_PREFIX = re.compile(r"^\s*\[(?:FIRING|RESOLVED)(?::\d+)?(?:\s*,\s*RESOLVED(?::\d+)?)?\]\s*", re.IGNORECASE)
_ALERT_URL_FIELDS = ("dashboardURL", "panelURL", "silenceURL", "imageURL")


def strip_title_prefix(title: str) -> str:
    """"[FIRING:1] HighCPU (web1)" -> "HighCPU (web1)"."""
    return _TITLE_PREFIX.sub("", title, count=1).strip()


def _optional_int(raw: dict, key: str, path: str, errors: ErrorList) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**63:
        errors.add(f"'{path}' must be an integer, not {describe_type(value)}")
        return None
    return value


class GrafanaFlavour(AlertmanagerFlavour):
    name = "Grafana"
    versions = None
    external_link_text = "Grafana"

    def validate_extra(self, body: dict, errors: ErrorList) -> dict:
        extra: dict = {}
        for key in ("title", "state", "message"):
            value = optional_string(body, key, key, errors)
            if value is not None:
                extra[key] = value
        org_id = _optional_int(body, "orgId", "orgId", errors)
        if org_id is not None:
            extra["orgId"] = org_id
        return extra

    def validate_alert_extra(self, raw: dict, path: str, errors: ErrorList) -> dict:
        extra: dict = {}
        for key in (*_ALERT_URL_FIELDS, "valueString"):
            value = optional_string(raw, key, f"{path}.{key}", errors)
            if value is not None:
                extra[key] = value
        values = raw.get("values")
        if values is not None:
            if not isinstance(values, dict):
                errors.add(f"'{path}.values' must be an object, not {describe_type(values)}")
            else:
                extra["values"] = clean_json(values, f"{path}.values", errors)
        org_id = _optional_int(raw, "orgId", f"{path}.orgId", errors)
        if org_id is not None:
            extra["orgId"] = org_id
        return extra

    def alert_details(self, alert: ParsedAlert) -> dict:
        details = super().alert_details(alert)
        details.update(alert.extra)
        return details

    def group_details(self, notification: ParsedNotification) -> dict:
        details = super().group_details(notification)
        details.update(notification.extra)
        return details

    def fallback_summary(self, notification: ParsedNotification, alerts: tuple[ParsedAlert, ...]) -> str:
        title = strip_title_prefix(notification.extra.get("title", ""))
        return title or super().fallback_summary(notification, alerts)

    def alert_links(self, alert: ParsedAlert) -> list[dict | None]:
        links = super().alert_links(alert)
        links += [
            make_link(alert.extra.get("dashboardURL"), "Dashboard"),
            make_link(alert.extra.get("panelURL"), "Panel"),
            make_link(alert.extra.get("silenceURL"), "Silence"),
        ]
        return links

    def images(self, alerts: tuple[ParsedAlert, ...]) -> tuple[dict, ...]:
        images = []
        seen: set[str] = set()
        for alert in alerts:
            src = safe_url(alert.extra.get("imageURL"))
            if not src or src in seen:
                continue
            seen.add(src)
            href = safe_url(alert.extra.get("panelURL")) or safe_url(alert.extra.get("dashboardURL")) or src
            images.append({"src": src, "href": href, "alt": alert.alertname or "Alert image"})
            if len(images) >= MAX_IMAGES:
                break
        return tuple(images)


GRAFANA = GrafanaFlavour()


def parse(body: Any, integration: Any = None) -> list[AlertEvent]:
    """Grafana webhook body -> events (grouping as configured; see the alertmanager module)."""
    notification = alertmanager.validate(body, GRAFANA)
    return alertmanager.build_events(notification, get_config(integration), GRAFANA)


_HEX_SIGNATURE = re.compile(r"(?:sha256=)?([0-9a-fA-F]{64})")


def verify_signature(body: bytes | str, header_value: str | None, secret: str,
                     timestamp: str | None = None) -> bool:
    """True when ``header_value`` is Grafana's HMAC-SHA256 signature of ``body`` with ``secret``.

    ``header_value`` is the ``X-Grafana-Alerting-Signature`` header: 64 hex digits (Grafana sends
    them bare and lowercase; a ``sha256=`` prefix and uppercase are accepted too). Pass
    ``timestamp`` (the configured timestamp header's value) when the contact point has one:
    Grafana then signs ``"<timestamp>:<body>"``; checking the timestamp's age against replays is
    the caller's business. An empty secret, a missing header or anything malformed is False.
    Comparison is constant-time.
    """
    if not secret or not isinstance(secret, str) or not isinstance(header_value, str):
        return False
    match = _HEX_SIGNATURE.fullmatch(header_value.strip())
    if match is None:
        return False
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, (bytes, bytearray, memoryview)):
        return False
    message = bytes(body)
    if timestamp is not None:
        if not isinstance(timestamp, str) or not timestamp.strip():
            return False
        message = timestamp.strip().encode("utf-8", "surrogatepass") + b":" + message
    expected = hmac.new(secret.encode("utf-8", "surrogatepass"), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), match.group(1).lower().encode("ascii"))
