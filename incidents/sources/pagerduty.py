"""PagerDuty Events API v2 compatibility: alert events (``/v2/enqueue``) and change events
(``/v2/change/enqueue``), validated by PagerDuty's documented rules so that any tool that can
page PagerDuty can page Vigil unchanged.

Alert event::

    {"routing_key": "<integration key>", "event_action": "trigger",
     "dedup_key": "disk/db1",
     "payload": {"summary": "Disk full on db1", "source": "db1.example.com",
                 "severity": "critical", "timestamp": "2026-11-27T16:09:47.045+00:00",
                 "component": "postgres", "group": "storage", "class": "disk",
                 "custom_details": {"free_bytes": 0}},
     "images": [{"src": "https://...png", "href": "https://...", "alt": "graph"}],
     "links": [{"href": "https://...", "text": "Runbook"}],
     "client": "Nagios", "client_url": "https://nagios.example.com"}

Rules (as PagerDuty documents them):
- ``routing_key``: required, non-blank string. This module only checks presence and type; the
  caller looks the key up among the integrations. It is returned alongside the event:
  :func:`parse_event` returns a :class:`RoutedEvent` (``.routing_key``, ``.event``; it also
  unpacks: ``routing_key, event = parse_event(body)``).
- ``event_action``: ``trigger``, ``acknowledge`` or ``resolve``.
- ``dedup_key``: at most 255 characters; optional on trigger (a uuid4 hex is generated and
  should be returned to the sender in the 202 response, as PagerDuty does), required for
  acknowledge and resolve.
- ``payload``: required object on trigger, with ``summary`` (required, <= 1024 characters),
  ``source`` (required, <= 255), ``severity`` (required, exactly one of critical, error, warning,
  info), and optional ``timestamp`` (ISO 8601), ``component``, ``group``, ``class`` (strings) and
  ``custom_details`` (any JSON). Ignored on acknowledge/resolve, as PagerDuty ignores it.
- optional ``images`` (list of {src, href?, alt?}), ``links`` (list of {href, text?}),
  ``client``, ``client_url``.

An invalid event raises ``ParseError("Event object is invalid", errors)`` with one entry per bad
field, e.g. ``'payload.summary' is missing or blank``: all problems, not just the first.

The resulting :class:`AlertEvent`: summary/source/severity from the payload (acknowledge/resolve
events carry an empty summary and severity "info" -- they must not overwrite the incident);
details = ``custom_details``, ``component``, ``group``, ``class``, ``client``, ``client_url``
(those present); links = ``links`` then ``client_url`` (text: ``client`` or "Client"); images =
``images``. Only http(s) URLs become links/images (others are kept in
``details["unsafe_links"]``/``details["unsafe_images"]``).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from .errors import ErrorList, ParseError, describe_type, short_repr
from .events import MAX_DEDUP_KEY, MAX_SOURCE, MAX_SUMMARY, SEVERITIES, AlertEvent
from .fields import clean_json, get_config, optional_string, parse_timestamp, read_items
from .links import MAX_IMAGES, MAX_LINKS, MAX_UNSAFE_HREF, dedupe_links, make_link, read_links, safe_url
from .severity import normalise_severity, validate_common_config
from .text import clean_text

__all__ = ["parse", "parse_event", "parse_change", "RoutedEvent", "ParsedChange", "EVENT_ACTIONS",
           "INVALID_EVENT", "validate_config"]

EVENT_ACTIONS = ("trigger", "acknowledge", "resolve")
INVALID_EVENT = "Event object is invalid"
validate_config = validate_common_config


@dataclass(frozen=True)
class RoutedEvent:
    """An alert event and the routing key it was sent with. Unpacks as ``(routing_key, event)``."""

    routing_key: str
    event: AlertEvent

    def __iter__(self) -> Iterator[Any]:
        return iter((self.routing_key, self.event))


@dataclass(frozen=True)
class ParsedChange:
    """A PagerDuty change event as sent: something changed (a deploy, a config push); nothing pages.

    The intake stores it as a ``ChangeEvent`` row (incidents.models).
    """

    routing_key: str
    summary: str
    timestamp: datetime | None = None
    source: str = ""
    custom_details: Any = None
    links: tuple[dict, ...] = ()


# --------------------------------------------------------------------------------------- fields

def _required_string(container: dict, key: str, path: str, errors: ErrorList, limit: int | None = None) -> str:
    value = container.get(key)
    if value is not None and not isinstance(value, str):
        errors.add(f"'{path}' must be a string, not {describe_type(value)}")
        return ""
    if value is None or not clean_text(value).strip():  # clean first: only NULs is blank
        errors.add(f"'{path}' is missing or blank")
        return ""
    if limit is not None and len(value) > limit:
        errors.add(f"'{path}' is longer than {limit} characters")
        return ""
    return clean_text(value)


def _routing_key(body: dict, errors: ErrorList) -> str:
    return _required_string(body, "routing_key", "routing_key", errors).strip()


def _payload(body: dict, errors: ErrorList) -> dict | None:
    payload = body.get("payload")
    if payload is None:
        errors.add("'payload' is missing")
        return None
    if not isinstance(payload, dict):
        errors.add(f"'payload' must be an object, not {describe_type(payload)}")
        return None
    return payload


def _link(item: Any, path: str, errors: ErrorList) -> tuple[str, str] | None:
    """One of ``links``: ``{"href", "text"?}``."""
    if not isinstance(item, dict):
        errors.add(f"'{path}' must be an object, not {describe_type(item)}")
        return None
    href = _required_string(item, "href", f"{path}.href", errors)
    text = optional_string(item, "text", f"{path}.text", errors)
    return (href, text or "") if href else None


def _image(item: Any, path: str, errors: ErrorList) -> tuple[str, str | None, str | None] | None:
    """One of ``images``: ``{"src", "href"?, "alt"?}``."""
    if not isinstance(item, dict):
        errors.add(f"'{path}' must be an object, not {describe_type(item)}")
        return None
    src = _required_string(item, "src", f"{path}.src", errors)
    href = optional_string(item, "href", f"{path}.href", errors)
    alt = optional_string(item, "alt", f"{path}.alt", errors)
    return (src, href, alt) if src else None


def _images(body: dict, errors: ErrorList) -> tuple[list[dict], list[str]]:
    images: list[dict] = []
    unsafe: list[str] = []
    seen: set[str] = set()
    for src, href, alt in read_items(body.get("images"), "images", errors, _image):
        safe_src = safe_url(src)
        if safe_src is None:
            unsafe.append(src[:MAX_UNSAFE_HREF])
            continue
        if safe_src in seen or len(images) >= MAX_IMAGES:
            continue
        seen.add(safe_src)
        images.append({"src": safe_src, "href": safe_url(href) or "", "alt": (alt or "")[:1024]})
    return images, unsafe


# --------------------------------------------------------------------------------------- events

def parse_event(body: Any, config: dict | None = None) -> RoutedEvent:
    """Validate an Events API v2 alert event; return it with its routing key.

    ``config`` is the integration's config (only ``severity_map`` applies). Raises
    ``ParseError("Event object is invalid", [...])`` naming every bad field.
    """
    if not isinstance(body, dict):
        raise ParseError(INVALID_EVENT, [f"the event must be a JSON object, not {describe_type(body)}"])
    errors = ErrorList()
    routing_key = _routing_key(body, errors)

    action = body.get("event_action")
    if action is None or (isinstance(action, str) and not action.strip()):
        errors.add("'event_action' is missing or blank")
        action = None
    elif not isinstance(action, str) or action not in EVENT_ACTIONS:
        errors.add(f"'event_action' must be one of {', '.join(EVENT_ACTIONS)}, not {short_repr(action)}")
        action = None

    dedup_key = body.get("dedup_key")
    if dedup_key is not None and not isinstance(dedup_key, str):
        errors.add(f"'dedup_key' must be a string, not {describe_type(dedup_key)}")
        dedup_key = None
    elif isinstance(dedup_key, str) and len(dedup_key) > MAX_DEDUP_KEY:
        errors.add(f"'dedup_key' is longer than {MAX_DEDUP_KEY} characters")
        dedup_key = None
    elif isinstance(dedup_key, str) and not clean_text(dedup_key).strip():
        dedup_key = None
        if action in ("acknowledge", "resolve"):
            errors.add(f"'dedup_key' is missing or blank (it is required to {action})")
    elif dedup_key is None and action in ("acknowledge", "resolve"):
        errors.add(f"'dedup_key' is missing or blank (it is required to {action})")

    summary = source = severity = ""
    occurred_at = None
    details: dict = {}
    payload = _payload(body, errors) if action == "trigger" else None
    if payload is not None:
        summary = _required_string(payload, "summary", "payload.summary", errors, MAX_SUMMARY).strip()
        source = _required_string(payload, "source", "payload.source", errors, MAX_SOURCE).strip()
        raw_severity = payload.get("severity")
        if raw_severity is None or (isinstance(raw_severity, str) and not raw_severity.strip()):
            errors.add("'payload.severity' is missing or blank")
        elif not isinstance(raw_severity, str) or raw_severity not in SEVERITIES:
            errors.add(f"'payload.severity' must be one of {', '.join(SEVERITIES)}, not {short_repr(raw_severity)}")
        else:
            severity = raw_severity
        occurred_at = parse_timestamp(payload.get("timestamp"), "payload.timestamp", errors)
        for key in ("component", "group", "class"):
            value = optional_string(payload, key, f"payload.{key}", errors)
            if value is not None:
                details[key] = value
        if payload.get("custom_details") is not None:
            details["custom_details"] = clean_json(payload["custom_details"], "payload.custom_details", errors)

    client = optional_string(body, "client", "client", errors)
    client_url = optional_string(body, "client_url", "client_url", errors)
    links, unsafe_links = read_links(body.get("links"), errors, _link)
    images, unsafe_images = _images(body, errors)

    errors.raise_if_any(INVALID_EVENT)

    if client is not None:
        details["client"] = client
    if client_url is not None:
        details["client_url"] = client_url
        links.append(make_link(client_url, client or "Client"))
    if unsafe_links:
        details["unsafe_links"] = unsafe_links
    if unsafe_images:
        details["unsafe_images"] = unsafe_images

    event = AlertEvent(
        dedup_key=clean_text(dedup_key) if dedup_key else uuid.uuid4().hex,
        action=action,
        summary=summary,
        severity=normalise_severity(severity, config or {}) if action == "trigger" else "info",
        source=source,
        details=details,
        links=dedupe_links(links, MAX_LINKS),
        images=tuple(images),
        occurred_at=occurred_at,
    )
    return RoutedEvent(routing_key=routing_key, event=event)


def parse(body: Any, integration: Any = None) -> list[AlertEvent]:
    """Registry entry point: the event alone (the caller checks ``routing_key`` via parse_event)."""
    return [parse_event(body, get_config(integration)).event]


def parse_change(body: Any) -> ParsedChange:
    """Validate an Events API v2 change event (``/v2/change/enqueue``).

    Required: ``routing_key``, ``payload.summary`` (<= 1024). Optional: ``payload.timestamp``,
    ``payload.source``, ``payload.custom_details``, ``links``.
    """
    if not isinstance(body, dict):
        raise ParseError(INVALID_EVENT, [f"the event must be a JSON object, not {describe_type(body)}"])
    errors = ErrorList()
    routing_key = _routing_key(body, errors)
    summary = source = ""
    timestamp = None
    custom_details = None
    payload = _payload(body, errors)
    if payload is not None:
        summary = _required_string(payload, "summary", "payload.summary", errors, MAX_SUMMARY).strip()
        source_value = optional_string(payload, "source", "payload.source", errors)
        if source_value is not None and len(source_value) > MAX_SOURCE:
            errors.add(f"'payload.source' is longer than {MAX_SOURCE} characters")
        source = (source_value or "").strip()
        timestamp = parse_timestamp(payload.get("timestamp"), "payload.timestamp", errors)
        if payload.get("custom_details") is not None:
            custom_details = clean_json(payload["custom_details"], "payload.custom_details", errors)
    links, _unsafe = read_links(body.get("links"), errors, _link)
    errors.raise_if_any(INVALID_EVENT)
    return ParsedChange(
        routing_key=routing_key, summary=summary, timestamp=timestamp, source=source[:MAX_SOURCE],
        custom_details=custom_details, links=dedupe_links(links, MAX_LINKS),
    )
