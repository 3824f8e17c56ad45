"""How a parser refuses a body: :class:`ParseError`, naming every bad field at once.

Errors name fields by their path in the body (``'alerts[0].labels'``) and say what was found
instead (:func:`describe_type`, :func:`short_repr`), never echoing more than a few characters of
what the sender wrote.
"""
from __future__ import annotations

from typing import Any

from .text import clean_text

__all__ = ["ParseError", "ErrorList", "describe_type", "short_repr"]

MAX_ERRORS = 50  # a 10,000-alert payload with one bad field each should not produce a 1 MB error


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
