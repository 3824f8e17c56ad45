"""The contract every alert source parser keeps, and the small validated helpers they share.

A parser turns an already-JSON-decoded request body into a list of :class:`AlertEvent`. Parsers
are pure (no database, no clock except where a key has to be generated) and never let anything but
:class:`ParseError` escape, whatever the body is: wrong types, 100k-character strings, 1000-level
nesting. Everything here is written so that a field of the wrong type becomes an error naming that
field, in PagerDuty's style: ``'alerts[0].labels' must be an object``.

Text cleaning applied to every string that ends up in an event (summary, source, dedup key,
details, links): NUL characters are removed and lone UTF-16 surrogates (possible from ``"\\ud800"``
escapes in JSON) are replaced with U+FFFD, because PostgreSQL refuses both in text and JSONB.
Non-finite floats (NaN, Infinity) in free-form JSON become the strings ``"nan"``/``"inf"``/``"-inf"``
for the same reason. Free-form JSON (details, custom_details) nested deeper than
:data:`MAX_JSON_DEPTH` levels is refused.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

__all__ = [
    "AlertEvent", "ParseError", "ErrorList", "SEVERITIES", "ACTIONS", "SEVERITY_ALIASES",
    "MAX_DEDUP_KEY", "MAX_SUMMARY", "MAX_SOURCE", "MAX_JSON_DEPTH",
    "get_config", "normalise_severity", "severity_rank", "parse_timestamp", "clean_text",
    "truncate", "bounded_key", "hashed_key", "clean_json", "safe_url", "make_link", "url_host",
    "describe_type", "short_repr", "validate_common_config", "dedupe_links", "is_json_safe",
]

SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")

MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
MAX_SOURCE = 255
MAX_LINK_TEXT = 1024
MAX_JSON_DEPTH = 32
MAX_ERRORS = 50  # a 10,000-alert payload with one bad field each should not produce a 1 MB error

# Severity words seen in the wild, case-insensitive, mapped onto Vigil's four levels. Anything not
# listed (and not in the integration's "severity_map") becomes "error": an unknown severity pages
# with high urgency, because a missed page costs more than an unneeded one.
SEVERITY_ALIASES: dict[str, str] = {
    **dict.fromkeys(("critical", "crit", "page", "p1", "sev1", "fatal", "emergency", "emerg"), "critical"),
    **dict.fromkeys(("error", "err", "high", "major", "p2", "sev2"), "error"),
    **dict.fromkeys(("warning", "warn", "minor", "medium", "p3", "sev3"), "warning"),
    **dict.fromkeys(
        ("info", "informational", "information", "low", "none", "notice", "debug", "p4", "p5", "sev4", "sev5"),
        "info",
    ),
}
DEFAULT_SEVERITY = "error"


@dataclass(frozen=True)
class AlertEvent:
    """One thing that happened to one incident-to-be, as a source reported it.

    ``dedup_key`` (<= 255 chars) names the incident: a trigger with the key of an open incident adds
    an alert to it; acknowledge/resolve act on the open incident with that key. ``summary`` is
    never empty for a trigger; for acknowledge/resolve events it may be empty and must then not
    overwrite the incident's title. ``fingerprint`` is the per-alert identity inside an
    Alertmanager/Grafana group (empty when the event stands for a whole group).
    """

    dedup_key: str
    action: str
    summary: str
    severity: str
    source: str = ""
    details: dict = field(default_factory=dict)
    links: tuple[dict, ...] = ()
    images: tuple[dict, ...] = ()
    occurred_at: datetime | None = None
    fingerprint: str = ""


class ParseError(Exception):
    """The body is not what this kind of integration sends.

    ``message`` is a sentence for humans ("Alertmanager payload is invalid"); ``errors`` names each
    bad field ("'alerts[0].status' must be one of firing, resolved"). Answer it with HTTP 400 and
    ``to_dict()`` as the body.
    """

    def __init__(self, message: str, errors: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = list(errors or [])

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        return f"{self.message}: " + "; ".join(self.errors)

    def to_dict(self) -> dict:
        return {"message": self.message, "errors": list(self.errors)}


class ErrorList:
    """Collects every bad field before raising, so a sender learns all its mistakes at once."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.dropped = 0

    def add(self, error: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(error)
        else:
            self.dropped += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, message: str) -> None:
        if self.items:
            errors = list(self.items)
            if self.dropped:
                errors.append(f"... and {self.dropped} more errors")
            raise ParseError(message, errors)


# --------------------------------------------------------------------------------------- config

def get_config(integration: Any) -> dict:
    """The integration's ``.config`` if it is a dict, else ``{}`` (``integration`` may be None)."""
    config = getattr(integration, "config", None)
    return config if isinstance(config, dict) else {}


def _severity_map(config: Mapping) -> dict[str, str]:
    raw = config.get("severity_map") if isinstance(config, Mapping) else None
    if not isinstance(raw, dict):
        return {}
    mapped = {}
    for key, value in raw.items():
        if isinstance(key, str) and isinstance(value, str) and value.strip().lower() in SEVERITIES:
            mapped[key.strip().lower()] = value.strip().lower()
    return mapped


def validate_common_config(config: Any) -> list[str]:
    """Problems with the keys every kind honours (``severity_map``); for the model's ``clean()``.

    Parsers themselves are lenient about config: an invalid entry is ignored (defaults apply)
    rather than refusing alerts, since the sender cannot fix the receiver's configuration.
    """
    if config is None:
        return []
    if not isinstance(config, dict):
        return ["config must be an object"]
    errors = []
    if "severity_map" in config:
        raw = config["severity_map"]
        if not isinstance(raw, dict):
            errors.append("'severity_map' must be an object mapping source severities to "
                          + ", ".join(SEVERITIES))
        else:
            for key, value in raw.items():
                if not isinstance(value, str) or value.strip().lower() not in SEVERITIES:
                    errors.append(f"'severity_map.{key}' must be one of {', '.join(SEVERITIES)}")
    return errors


def normalise_severity(value: Any, config: Mapping | None = None, default: str = DEFAULT_SEVERITY) -> str:
    """Map a source's severity word onto critical/error/warning/info.

    The integration's ``severity_map`` (keys case-insensitive) wins over :data:`SEVERITY_ALIASES`;
    a missing value gives ``default``; an unknown one gives "error" (see SEVERITY_ALIASES).
    """
    if value is None:
        return default
    if not isinstance(value, str):
        return default
    word = value.strip().lower()
    if not word:
        return default
    mapped = _severity_map(config or {})
    if word in mapped:
        return mapped[word]
    return SEVERITY_ALIASES.get(word, DEFAULT_SEVERITY)


def severity_rank(severity: str) -> int:
    """Higher is worse: critical 3, error 2, warning 1, info 0."""
    return {"critical": 3, "error": 2, "warning": 1, "info": 0}.get(severity, 2)


# ------------------------------------------------------------------------------------------ text

_UNSAFE_CHARS = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Drop NUL, replace lone surrogates with U+FFFD (PostgreSQL stores neither)."""
    if _UNSAFE_CHARS.search(value) is None:
        return value
    return _UNSAFE_CHARS.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in an ellipsis when something was cut."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def hashed_key(prefix: str, text: str) -> str:
    """``prefix`` + the first 32 hex digits of SHA-256(text): short, stable, collision-safe enough."""
    return prefix + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def bounded_key(key: str) -> str:
    """A dedup key that fits in 255 characters.

    Keys up to 255 characters are kept as they are; a longer one becomes ``"sha256:"`` followed by
    the full 64-hex-digit SHA-256 of the key (71 characters), so equal long keys still dedupe.
    """
    key = clean_text(key)
    if len(key) <= MAX_DEDUP_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def describe_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def short_repr(value: Any, limit: int = 40) -> str:
    """A short quoted rendering of a user value for error messages."""
    if isinstance(value, str):
        text = clean_text(value[: limit + 1])
        return repr(text if len(text) <= limit else text[:limit] + "…")
    return describe_type(value)


# ------------------------------------------------------------------------------------------ time

_TIMESTAMP = re.compile(
    r"(?P<y>[0-9]{4})-(?P<mo>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt ](?P<h>[0-9]{2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:[.,](?P<frac>[0-9]+))?)?"
    r"\s*(?P<tz>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_MAX_TIMESTAMP_LEN = 64


def parse_timestamp(value: Any, field_name: str, errors: ErrorList) -> datetime | None:
    """RFC 3339 / ISO 8601 text to an aware UTC datetime, or None.

    Handles what Go sends: nanosecond fractions (trimmed to microseconds, which ``fromisoformat``
    on 3.11 cannot do itself), ``+02:00``/``+0200``/``Z`` offsets, and the zero time
    ``0001-01-01T00:00:00Z`` that Alertmanager uses for "not ended" (returned as None). A missing
    offset is taken as UTC. A bad value adds an error naming ``field_name`` and returns None.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.add(f"'{field_name}' must be a string (RFC 3339 timestamp), not {describe_type(value)}")
        return None
    text = value.strip()
    match = _TIMESTAMP.fullmatch(text) if len(text) <= _MAX_TIMESTAMP_LEN else None
    if match is None:
        errors.add(f"'{field_name}' is not a valid RFC 3339 timestamp: {short_repr(value)}")
        return None
    parts = match.groupdict()
    try:
        year, month, day = int(parts["y"]), int(parts["mo"]), int(parts["d"])
        hour, minute = int(parts["h"] or 0), int(parts["mi"] or 0)
        second = int(parts["s"] or 0)
        frac = parts["frac"] or ""
        if year == 1 and month == 1 and day == 1 and not (hour or minute or second or frac.strip("0")):
            return None  # Go's zero time.Time: "no value"
        micro = int((frac + "000000")[:6])
        tz = timezone.utc
        offset = parts["tz"]
        if offset and offset not in "Zz":
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        errors.add(f"'{field_name}' is not a valid RFC 3339 timestamp: {short_repr(value)}")
        return None


# ------------------------------------------------------------------------------------------ JSON

_MAX_INT_BITS = 4000  # ~1200 digits; Python refuses to print ints past 4300 digits


class _Unstorable(Exception):
    """Internal: free-form JSON that cannot be stored (too deep, not JSON, huge number)."""


def clean_json(value: Any, field_name: str, errors: ErrorList) -> Any:
    """A JSON-serialisable, database-safe copy of free-form JSON, or None after adding an error.

    Strings are cleaned (see :func:`clean_text`), non-finite floats become strings, keys become
    strings, nesting deeper than :data:`MAX_JSON_DEPTH` levels is refused.
    """
    try:
        return _clean(value, 0)
    except _Unstorable as problem:
        errors.add(f"'{field_name}' {problem}")
        return None


def _clean(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int):
        if value.bit_length() > _MAX_INT_BITS:
            raise _Unstorable("contains a number that is too large")
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple, dict)) and depth >= MAX_JSON_DEPTH:
        raise _Unstorable(f"is nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, (list, tuple)):
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {_clean_key(key): _clean(item, depth + 1) for key, item in value.items()}
    raise _Unstorable(f"contains a value that is not JSON ({type(value).__name__})")


def _clean_key(key: Any) -> str:
    if isinstance(key, str):
        return clean_text(key)
    if key is None or isinstance(key, (bool, float)) or (isinstance(key, int) and key.bit_length() < 64):
        return json.dumps(key)  # the way json.dumps itself would write the key: null, true, 1.5
    raise _Unstorable(f"has a key that is not a string ({type(key).__name__})")


def is_json_safe(value: Any) -> bool:
    """True when ``json.dumps(value, allow_nan=False)`` succeeds (used by tests and callers)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


# ----------------------------------------------------------------------------------------- links

_URL_FORBIDDEN = re.compile("[\x00-\x20\x7f]")  # controls and spaces never belong in a URL


def safe_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL, else None.

    Only http and https are kept for links and images: a ``javascript:`` href rendered in the web
    UI would run in the responder's session.
    """
    if not isinstance(value, str):
        return None
    url = clean_text(value.strip())
    lowered = url[:8].lower()
    if not (lowered.startswith("http://") or lowered.startswith("https://")):
        return None
    if len(url) <= len("https://") or _URL_FORBIDDEN.search(url):
        return None
    return url


def make_link(href: Any, text: Any = "") -> dict | None:
    url = safe_url(href)
    if url is None:
        return None
    label = clean_text(text.strip()) if isinstance(text, str) else ""
    return {"href": url, "text": truncate(label, MAX_LINK_TEXT) if label else url[:MAX_LINK_TEXT]}


def dedupe_links(links: Iterable[dict | None], limit: int) -> tuple[dict, ...]:
    """Drop Nones and repeated hrefs (first one wins), keep at most ``limit``."""
    seen: set[str] = set()
    out = []
    for link in links:
        if not link or link["href"] in seen:
            continue
        seen.add(link["href"])
        out.append(link)
        if len(out) >= limit:
            break
    return tuple(out)


def url_host(url: Any) -> str:
    """The host (with port) of an http(s) URL, or ""."""
    safe = safe_url(url)
    if not safe:
        return ""
    rest = safe.split("://", 1)[1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return host.rsplit("@", 1)[-1][:MAX_SOURCE]
