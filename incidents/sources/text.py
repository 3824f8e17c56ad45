"""Text a sender wrote, made storable: cleaned, cut to a column, or hashed into a key.

Every string that ends up in an event (summary, source, dedup key, details, links) goes through
:func:`clean_text`: NUL characters are removed and lone UTF-16 surrogates (possible from
``"\\ud800"`` escapes in JSON) are replaced with U+FFFD, because PostgreSQL refuses both in text
and JSONB.
"""
from __future__ import annotations

import hashlib
import re

from .events import MAX_DEDUP_KEY

__all__ = ["clean_text", "truncate", "hashed_key", "bounded_key"]

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
