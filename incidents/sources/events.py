"""What every alert source parser returns: :class:`AlertEvent`, and the limits its fields keep.

A parser turns an already-JSON-decoded request body into a list of :class:`AlertEvent`. Parsers
are pure (no database, no clock except where a key has to be generated) and never let anything but
:class:`~incidents.sources.errors.ParseError` escape, whatever the body is: wrong types,
100k-character strings, 1000-level nesting. A field of the wrong type becomes an error naming that
field, in PagerDuty's style: ``'alerts[0].labels' must be an object``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["AlertEvent", "SEVERITIES", "ACTIONS", "MAX_DEDUP_KEY", "MAX_SUMMARY", "MAX_SOURCE"]

SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")

# The columns the intake stores these fields in.
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
MAX_SOURCE = 255


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
