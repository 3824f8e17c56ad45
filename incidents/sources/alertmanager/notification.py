"""A validated Alertmanager notification and its alerts, as plain values, and the fingerprint
Alertmanager gives an alert's label set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

__all__ = ["ParsedAlert", "ParsedNotification", "ALERT_STATUSES", "label_fingerprint"]

ALERT_STATUSES = ("firing", "resolved")


@dataclass(frozen=True)
class ParsedAlert:
    """One validated alert of a notification, as sent (not the ``Alert`` row the intake stores).

    Strings are already cleaned (text.clean_text).
    """

    index: int
    status: str
    labels: dict
    annotations: dict
    starts_at: datetime | None
    ends_at: datetime | None
    generator_url: str
    fingerprint: str                       # as sent; may be ""
    extra: dict = field(default_factory=dict)  # flavour-specific fields (Grafana's URLs, values...)

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @cached_property
    def identity(self) -> str:
        """The alert's fingerprint, or the one Alertmanager would compute from its labels."""
        return self.fingerprint or label_fingerprint(self.labels)


@dataclass(frozen=True)
class ParsedNotification:
    """One validated webhook notification."""

    status: str
    alerts: tuple[ParsedAlert, ...]
    receiver: str = ""
    group_key: str = ""
    group_labels: dict = field(default_factory=dict)
    common_labels: dict = field(default_factory=dict)
    common_annotations: dict = field(default_factory=dict)
    external_url: str = ""
    truncated_alerts: int = 0
    version: str = ""
    extra: dict = field(default_factory=dict)  # flavour-specific top-level fields

    @property
    def firing_alerts(self) -> tuple[ParsedAlert, ...]:
        return tuple(a for a in self.alerts if a.firing)


_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK64 = (1 << 64) - 1


def label_fingerprint(labels: dict) -> str:
    """The 16-hex-digit fingerprint Alertmanager computes for a label set.

    FNV-1a (64 bit) over the label names in byte order, each name and value followed by a 0xFF
    separator byte: the same value Alertmanager puts in ``fingerprint``, so it can stand in for a
    missing one.
    """
    digest = _FNV_OFFSET
    for name in sorted(labels, key=lambda n: n.encode("utf-8", "surrogatepass")):
        for chunk in (name, labels[name]):
            for byte in chunk.encode("utf-8", "surrogatepass") + b"\xff":
                digest = ((digest ^ byte) * _FNV_PRIME) & _MASK64
    return f"{digest:016x}"
