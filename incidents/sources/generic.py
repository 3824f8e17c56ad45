"""Generic JSON webhook: for scripts, cron jobs and tools without a dedicated integration.

POST a JSON object to the integration's URL::

    {
      "title": "Nightly backup failed on db1",          # required
      "severity": "critical",                           # optional
      "status": "firing",                               # optional
      "dedup_key": "backup-db1",                        # optional
      "source": "db1.example.com",                      # optional
      "timestamp": "2026-11-27T03:00:12Z",              # optional
      "details": {"exit_code": 2, "log_tail": "..."},   # optional
      "links": [{"href": "https://ci.example.com/job/42", "text": "Job log"},
                "https://runbooks.example.com/backups"] # optional
    }

Fields:

``title`` (string, 1-1024 characters after trimming; required, except on an acknowledge or
    resolve that carries a dedup key)
    What is wrong. Becomes the incident title.
``severity`` (string, optional, default ``"error"``)
    ``critical``, ``error``, ``warning`` or ``info``, case-insensitive. Common synonyms are mapped
    (``page``/``p1`` -> critical, ``high``/``major`` -> error, ``warn``/``minor`` -> warning,
    ``low``/``none`` -> info), and the integration's ``severity_map`` config can add more
    (``{"P2": "warning"}``). An unrecognised word is treated as ``error``: it pages with high
    urgency, because a missed page costs more than an unneeded one.
``status`` (string, optional, default ``"firing"``)
    ``firing`` (or ``trigger``) opens an incident or adds an alert to the open one with the same
    dedup key; ``acknowledged`` (or ``acknowledge``) acknowledges it; ``resolved`` (or
    ``resolve``) resolves it. Case-insensitive.
``dedup_key`` (string, optional, 1-255 characters)
    Alerts with the same key while an incident is open are counted on that incident instead of
    opening another; acknowledge/resolve act on the open incident with this key. When absent,
    the key is derived from the title: ``"title:"`` + the first 32 hex digits of SHA-256 of the
    trimmed title, so identical titles dedupe, and a resolve with the same title resolves.
    If the integration's config sets ``dedup_field`` (a dotted path into the body, e.g.
    ``"details.host"`` or ``"labels.0.id"``), the key is taken from that field instead (strings
    as they are, numbers written out; longer than 255 characters -> ``"sha256:"`` + hex digest).
    When that field is absent or not a string/number, the key falls back as above and
    ``details["dedup_field_missing"]`` names the path: we would rather page twice than never.
``source`` (string, optional, at most 255 characters)
    The host, component or system the alert is about.
``timestamp`` (string, optional)
    When it happened, RFC 3339 (``2026-11-27T03:00:12Z``, ``2026-11-27T04:00:12.5+01:00``).
``details`` (object, optional)
    Anything worth showing to the responder; kept as sent (at most 32 levels deep).
``links`` (list, optional)
    Each either a URL string or ``{"href": "https://...", "text": "label"}``. Only http(s)
    URLs are shown as links; others are kept in ``details["unsafe_links"]``.

Any other top-level fields are kept in ``details["extra"]``. A body that breaks these rules is
refused with HTTP 400 and a list naming each bad field.
"""
from __future__ import annotations

from typing import Any

from .errors import ErrorList, ParseError, describe_type, short_repr
from .events import MAX_DEDUP_KEY, MAX_SOURCE, MAX_SUMMARY, AlertEvent
from .fields import clean_json, get_config, parse_timestamp
from .links import MAX_LINKS, dedupe_links, read_links
from .severity import normalise_severity, validate_common_config
from .text import bounded_key, clean_text, hashed_key

__all__ = ["parse", "validate_config", "STATUSES", "KNOWN_FIELDS"]

STATUSES = {
    "firing": "trigger", "trigger": "trigger",
    "acknowledged": "acknowledge", "acknowledge": "acknowledge",
    "resolved": "resolve", "resolve": "resolve",
}
KNOWN_FIELDS = ("title", "severity", "status", "dedup_key", "source", "timestamp", "details", "links")
MAX_PATH_PARTS = 32


def validate_config(config: Any) -> list[str]:
    errors = validate_common_config(config)
    if isinstance(config, dict) and "dedup_field" in config:
        path = config["dedup_field"]
        if not isinstance(path, str) or not path.strip() or len(path.split(".")) > MAX_PATH_PARTS:
            errors.append("'dedup_field' must be a dotted path such as \"details.host\"")
    return errors


def _lookup(body: Any, path: str) -> Any:
    """Follow a dotted path through objects (keys) and lists (numeric parts); None if absent."""
    current = body
    for part in path.split(".")[:MAX_PATH_PARTS]:
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and len(part) < 10 and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _dedup_from_field(body: dict, path: str) -> str | None:
    value = _lookup(body, path)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return bounded_key(value) if value else None
    if isinstance(value, int) and abs(value) < 10**30:
        return str(value)
    if isinstance(value, float) and value == value and abs(value) < 1e30:
        return repr(value)
    return None


def _link(item: Any, path: str, errors: ErrorList) -> tuple[str, str] | None:
    """One of ``links``: a URL string, or ``{"href", "text"?}``."""
    if isinstance(item, str):
        return item, ""
    if not isinstance(item, dict):
        errors.add(f"'{path}' must be a URL string or an object with 'href', not {describe_type(item)}")
        return None
    href, text = item.get("href"), item.get("text")
    if not isinstance(href, str) or not href.strip():
        errors.add(f"'{path}.href' is missing or blank" if href in (None, "") or isinstance(href, str)
                   else f"'{path}.href' must be a string, not {describe_type(href)}")
        return None
    if text is not None and not isinstance(text, str):
        errors.add(f"'{path}.text' must be a string, not {describe_type(text)}")
        return None
    return href, text or ""


def parse(body: Any, integration: Any = None) -> list[AlertEvent]:
    """Generic webhook body (see the module docstring) -> one event."""
    if not isinstance(body, dict):
        raise ParseError("Alert is invalid", [f"the body must be a JSON object, not {describe_type(body)}"])
    config = get_config(integration)
    errors = ErrorList()

    title = body.get("title")
    if isinstance(title, str):
        title = clean_text(title).strip()  # clean first: a title of only NULs is blank
        if len(title) > MAX_SUMMARY:
            errors.add(f"'title' is longer than {MAX_SUMMARY} characters")
    elif title is not None:
        errors.add(f"'title' must be a string, not {describe_type(title)}")
    title_blank = title is None or title == ""
    title = title if isinstance(title, str) else ""

    severity_raw = body.get("severity")
    if severity_raw is not None and not isinstance(severity_raw, str):
        errors.add(f"'severity' must be a string, not {describe_type(severity_raw)}")
        severity_raw = None

    action = "trigger"
    status = body.get("status")
    if status is not None:
        if isinstance(status, str) and status.strip().lower() in STATUSES:
            action = STATUSES[status.strip().lower()]
        else:
            errors.add(f"'status' must be one of firing, acknowledged, resolved, not {short_repr(status)}")

    dedup_key = body.get("dedup_key")
    if dedup_key is not None:
        if not isinstance(dedup_key, str):
            errors.add(f"'dedup_key' must be a string, not {describe_type(dedup_key)}")
            dedup_key = None
        elif len(dedup_key) > MAX_DEDUP_KEY:
            errors.add(f"'dedup_key' is longer than {MAX_DEDUP_KEY} characters")
            dedup_key = None
        elif not clean_text(dedup_key).strip():
            errors.add("'dedup_key' is blank")
            dedup_key = None
        else:
            dedup_key = clean_text(dedup_key).strip()

    source = body.get("source")
    if source is None:
        source = ""
    elif not isinstance(source, str):
        errors.add(f"'source' must be a string, not {describe_type(source)}")
        source = ""
    else:
        source = clean_text(source).strip()
        if len(source) > MAX_SOURCE:
            errors.add(f"'source' is longer than {MAX_SOURCE} characters")

    occurred_at = parse_timestamp(body.get("timestamp"), "timestamp", errors)

    details_raw = body.get("details")
    details: dict = {}
    if details_raw is not None:
        if not isinstance(details_raw, dict):
            errors.add(f"'details' must be an object, not {describe_type(details_raw)}")
        else:
            details = clean_json(details_raw, "details", errors) or {}

    links, unsafe_links = read_links(body.get("links"), errors, _link)

    extra_raw = {key: value for key, value in body.items() if key not in KNOWN_FIELDS}
    extra = clean_json(extra_raw, "extra", errors) if extra_raw else None

    dedup_field = config.get("dedup_field")
    field_missing = None
    if isinstance(dedup_field, str) and dedup_field.strip():
        from_field = _dedup_from_field(body, dedup_field.strip())
        if from_field is not None:
            dedup_key = from_field
        else:
            field_missing = dedup_field.strip()
    if title_blank and (action == "trigger" or not dedup_key):
        # A trigger needs a title; acknowledge/resolve only need something to find the incident by.
        errors.add("'title' is missing or blank")

    errors.raise_if_any("Alert is invalid")

    if field_missing:
        details = {**details, "dedup_field_missing": field_missing}
    if not dedup_key:
        dedup_key = hashed_key("title:", title)
    if unsafe_links:
        details = {**details, "unsafe_links": unsafe_links}
    if extra:
        details = {**details, "extra": extra}

    return [AlertEvent(
        dedup_key=dedup_key,
        action=action,
        summary=title,
        severity=normalise_severity(severity_raw, config),
        source=source,
        details=details,
        links=dedupe_links(links, MAX_LINKS),
        occurred_at=occurred_at,
    )]
