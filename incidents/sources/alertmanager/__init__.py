"""Prometheus Alertmanager webhook receiver (``webhook_configs``, payload version "4").

Alertmanager posts one notification per alert *group* (the alerts sharing the route's
``group_by`` labels), repeating it whenever the group changes and every ``repeat_interval``.
A notification looks like::

    {"version": "4", "groupKey": "{}:{alertname=\\"DiskFull\\"}", "status": "firing",
     "receiver": "vigil", "truncatedAlerts": 0, "externalURL": "http://alertmanager:9093",
     "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...},
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...},
                 "startsAt": "2026-11-27T16:09:47.045703566Z", "endsAt": "0001-01-01T00:00:00Z",
                 "generatorURL": "http://prometheus:9090/graph?...", "fingerprint": "e94c744ae3d44df8"}]}

Integration config (all optional):

``group_by`` -- ``"group"`` (default) or ``"fingerprint"``.
    *group*: one event per notification, so one incident per Alertmanager group. The dedup key is
    the ``groupKey`` itself when it fits in 255 characters, else ``"sha256:"`` + the 64-hex-digit
    SHA-256 of it. Without a ``groupKey`` (hand-written payloads) the key is
    ``"group:"`` + 32 hex digits of SHA-256 over the receiver and sorted group labels.
    Action: ``status`` "firing" -> trigger, "resolved" -> resolve; a firing notification that
    carries some resolved alerts is still a trigger.
    *fingerprint*: one event per alert; the dedup key is the alert's ``fingerprint``, or when
    absent the fingerprint Alertmanager itself would compute (FNV-1a 64 over the sorted labels,
    see :func:`label_fingerprint`), so payloads with and without fingerprints dedupe together.
    The action follows that alert's own ``status``.
``resolve_per_alert`` -- bool, default False; only matters in group mode. When true the action is
    decided from the alerts, not from the group ``status``: trigger while any alert in the
    notification is firing, resolve once all are resolved; and ``details["alert_states"]`` maps
    each alert's fingerprint to "firing"/"resolved" so the incident can track which alerts are
    still open across notifications (Alertmanager reports a resolved alert once, then drops it).
``severity_map`` -- extra severity words, e.g. ``{"P1": "critical"}`` (see severity.SEVERITY_ALIASES).

Event fields: summary = the ``summary`` annotation common to the group, else the first firing
alert's (``"(+N more)"`` appended for a group), else the alert name and what tells the alerts apart
("DiskFull on db1", "HighLatency (3 alerts): instance=web1, web2, web3"). Severity = the common
``severity`` label, else the worst among the alerts, mapped by severity.normalise_severity (unknown
or missing -> "error"). Source = the common ``instance`` or ``job`` label, else the externalURL host.
occurred_at = the earliest ``startsAt`` for a trigger; the latest ``endsAt`` for a resolve (falling
back to the earliest ``startsAt``). Links: each distinct ``runbook_url`` annotation ("Runbook"),
each distinct non-empty ``generatorURL`` ("Source: <alertname>"), then ``externalURL``
("Alertmanager"); only http(s) URLs, at most 25. Details keep every alert with its labels,
annotations and times, plus groupLabels, commonLabels, commonAnnotations, externalURL, receiver,
groupKey, truncatedAlerts and firing/resolved counts.

The package: :mod:`.notification` (the validated values), :mod:`.validation` (body -> values),
:mod:`.grouping` (values -> events, and the config above), :mod:`.summary` (summaries from
labels), :mod:`.flavour` (what Grafana and other look-alikes change).
"""
from __future__ import annotations

from typing import Any

from ..events import AlertEvent
from ..fields import get_config
from .flavour import ALERTMANAGER, AlertmanagerFlavour
from .grouping import GROUP_BY_CHOICES, build_events, group_dedup_key, validate_config
from .notification import ALERT_STATUSES, ParsedAlert, ParsedNotification, label_fingerprint
from .validation import validate

__all__ = [
    "parse", "validate", "build_events", "label_fingerprint", "group_dedup_key", "validate_config",
    "ParsedAlert", "ParsedNotification", "AlertmanagerFlavour", "ALERTMANAGER", "ALERT_STATUSES", "GROUP_BY_CHOICES",
]


def parse(body: Any, integration: Any = None) -> list[AlertEvent]:
    """Alertmanager webhook body -> events (one per group, or one per alert; see above)."""
    return build_events(validate(body, ALERTMANAGER), get_config(integration), ALERTMANAGER)
