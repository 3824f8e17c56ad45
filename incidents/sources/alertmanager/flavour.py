"""What differs between Alertmanager and the look-alikes that post its webhook format (Grafana):
extra fields to validate and keep, the fallback summary, per-alert links and images.
"""
from __future__ import annotations

from datetime import datetime

from ..errors import ErrorList
from ..links import make_link
from .notification import ParsedAlert, ParsedNotification
from .summary import label_summary

__all__ = ["AlertmanagerFlavour", "ALERTMANAGER"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


class AlertmanagerFlavour:
    """Plain Prometheus Alertmanager; a look-alike subclasses it and overrides the hooks."""

    name = "Alertmanager"
    # Accepted values of "version"; None accepts any string.
    versions: tuple[str, ...] | None = ("4",)
    external_link_text = "Alertmanager"

    # ---- validation hooks
    def validate_extra(self, body: dict, errors: ErrorList) -> dict:
        """Validate flavour-specific top-level fields; return them for ``ParsedNotification.extra``."""
        return {}

    def validate_alert_extra(self, raw: dict, path: str, errors: ErrorList) -> dict:
        return {}

    # ---- event building hooks
    def alert_details(self, alert: ParsedAlert) -> dict:
        return {
            "status": alert.status,
            "labels": alert.labels,
            "annotations": alert.annotations,
            "startsAt": _iso(alert.starts_at),
            "endsAt": _iso(alert.ends_at),
            "generatorURL": alert.generator_url,
            "fingerprint": alert.identity,
        }

    def group_details(self, notification: ParsedNotification) -> dict:
        return {
            "status": notification.status,
            "receiver": notification.receiver,
            "groupKey": notification.group_key,
            "groupLabels": notification.group_labels,
            "commonLabels": notification.common_labels,
            "commonAnnotations": notification.common_annotations,
            "externalURL": notification.external_url,
            "truncatedAlerts": notification.truncated_alerts,
        }

    def fallback_summary(self, notification: ParsedNotification, alerts: tuple[ParsedAlert, ...]) -> str:
        """Summary when no ``summary`` annotation exists."""
        return label_summary(alerts, notification)

    def alert_links(self, alert: ParsedAlert) -> list[dict | None]:
        """Per-alert links after runbooks: the generator (rule/graph) URL."""
        return [make_link(alert.generator_url, f"Source: {alert.alertname or 'alert'}")]

    def images(self, alerts: tuple[ParsedAlert, ...]) -> tuple[dict, ...]:
        return ()


ALERTMANAGER = AlertmanagerFlavour()
