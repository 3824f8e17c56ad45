"""A summary made from labels, for alerts whose rule has no ``summary`` annotation: the alert
name, and where it fired or what tells a group's alerts apart.
"""
from __future__ import annotations

import heapq

from .notification import ParsedAlert, ParsedNotification

__all__ = ["LOCATION_LABELS", "label_summary"]

# Labels that say *where* an alert fired, in the order a responder wants to read them.
LOCATION_LABELS = ("instance", "host", "hostname", "node", "pod", "job", "service", "cluster")


def _location(labels: dict) -> str:
    for name in LOCATION_LABELS:
        if labels.get(name):
            return labels[name]
    return ""


def label_summary(alerts: tuple[ParsedAlert, ...], notification: ParsedNotification) -> str:
    """"DiskFull on db1" / "HighLatency (3 alerts): instance=web1, web2, web3"."""
    names = list(dict.fromkeys(a.alertname for a in alerts if a.alertname))
    if len(names) > 1:  # a group routed by other labels (group_by: [cluster]) mixes alert names
        alertname = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    else:
        alertname = names[0] if names else notification.common_labels.get("alertname", "")
    if not alertname:
        pairs = ", ".join(f"{k}={v}" for k, v in sorted(notification.group_labels.items()))
        alertname = f"Alert {pairs}" if pairs else "Alert"
    if len(alerts) <= 1:
        where = _location(alerts[0].labels) if alerts else ""
        return f"{alertname} on {where}" if where else alertname
    # Labels whose values tell the alerts apart, location labels first. One pass over all labels:
    # a hostile body with thousands of alerts and labels must not cost names x alerts.
    values_by_name: dict[str, dict[str, None]] = {}
    present: dict[str, int] = {}
    for alert in alerts:
        for name, value in alert.labels.items():
            values_by_name.setdefault(name, {})[value] = None
            present[name] = present.get(name, 0) + 1
    varying = (
        name for name, values in values_by_name.items()
        if name != "alertname" and (len(values) > 1 or present[name] < len(alerts))
    )
    rank = {name: index for index, name in enumerate(LOCATION_LABELS)}
    parts = []
    for name in heapq.nsmallest(2, varying, key=lambda n: (rank.get(n, len(rank)), n)):
        values = [value for value in values_by_name[name] if value]
        shown = ", ".join(values[:5]) + (f", … (+{len(values) - 5})" if len(values) > 5 else "")
        parts.append(f"{name}={shown}")
    head = f"{alertname} ({len(alerts)} alerts)"
    return f"{head}: {'; '.join(parts)}" if parts else head

