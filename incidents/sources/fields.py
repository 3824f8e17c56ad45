"""Readers for body fields every format has: optional strings, lists, timestamps and free-form
JSON, and the integration's config.

Each reader takes the field's path (for error messages) and an :class:`ErrorList`: a bad value adds
an error naming the path and gives None, so a parser can read on and report every problem at once.

Non-finite floats (NaN, Infinity) in free-form JSON become the strings ``"nan"``/``"inf"``/
``"-inf"``, and free-form JSON (details, custom_details) nested deeper than :data:`MAX_JSON_DEPTH`
levels is refused, because PostgreSQL's JSONB stores neither.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, TypeVar

from .errors import ErrorList, describe_type, short_repr
from .text import clean_text

__all__ = [
    "MAX_JSON_DEPTH", "get_config", "optional_string", "read_items", "parse_timestamp", "clean_json", "is_json_safe",
]

MAX_JSON_DEPTH = 32

Item = TypeVar("Item")


def get_config(integration: Any) -> dict:
    """The integration's ``.config`` if it is a dict, else ``{}`` (``integration`` may be None)."""
    config = getattr(integration, "config", None)
    return config if isinstance(config, dict) else {}


def optional_string(container: dict, key: str, path: str, errors: ErrorList) -> str | None:
    """``container[key]`` cleaned, or None when absent, null or (after an error) not a string."""
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(f"'{path}' must be a string, not {describe_type(value)}")
        return None
    return clean_text(value)


def read_items(raw: Any, name: str, errors: ErrorList,
               read_item: Callable[[Any, str, ErrorList], Item | None]) -> list[Item]:
    """What ``read_item(item, path, errors)`` makes of each item of the optional list field ``name``.

    ``read_item`` is the format's reader for one item: it adds errors naming ``path``
    (``links[2]``) and returns None for an item that gives nothing.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add(f"'{name}' must be a list, not {describe_type(raw)}")
        return []
    found = []
    for index, item in enumerate(raw):
        value = read_item(item, f"{name}[{index}]", errors)
        if value is not None:
            found.append(value)
    return found


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
