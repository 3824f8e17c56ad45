"""Each alert of an incident as it now stands: one IncidentAlertState row per incident and alert
fingerprint, upserted by intake beside the ring of raw payloads.

Alertmanager and Grafana report every alert of a group in each notification (a resolved one once,
then they drop it), so their rows follow the alerts one by one. Other sources send one alert per
incident: its row is keyed by the dedup key and resolved with the incident's resolve event.
"""
from datetime import datetime
from typing import Any

from django.db.models import Subquery
from django.utils.dateparse import parse_datetime

from .models import Alert, Incident, IncidentAlertState, Integration
from .sources import AlertEvent
from .sources.links import safe_url
from .sources.severity import normalise_severity
from .sources.text import bounded_key, truncate

# An alert group can name any number of alerts; an incident keeps this many rows, dropping the
# oldest resolved first.
ALERT_STATES_KEPT = 500
# Trimming costs a statement, so it runs on every TRIM_EVERY-th notification of an incident (and
# on any that alone names more than ALERT_STATES_KEPT alerts): between two trims an incident holds
# at most ALERT_STATES_KEPT + (TRIM_EVERY - 1) × the alerts one notification carries.
TRIM_EVERY = 10
GROUPED_KINDS = (Integration.Kind.ALERTMANAGER, Integration.Kind.GRAFANA)
# Rows without annotations come from a resolved alert, which Alertmanager may send bare: they
# must not wipe what the firing notification said.
BARE_UPDATE_FIELDS = ["status", "labels", "ends_at", "last_seen_at"]
FULL_UPDATE_FIELDS = [*BARE_UPDATE_FIELDS, "summary", "severity", "annotations", "starts_at", "runbook_url",
                      "generator_url"]
Status = IncidentAlertState.Status


def alert_states_record(*, incident: Incident, integration: Integration, event: AlertEvent, at: datetime) -> None:
    """Bring the incident's rows up to date with what one event says: one upsert statement for a
    notification's alerts; a resolve without per-alert news resolves every row it still has firing."""
    reported = event.details.get("alerts") if integration.kind in GROUPED_KINDS else None
    if isinstance(reported, list) and reported:
        rows = [_grouped_row(incident, raw, event, integration.config, at) for raw in reported if isinstance(raw, dict)]
    elif event.action == Alert.Action.TRIGGER:
        rows = [_single_row(incident, event, at)]
    elif event.action == Alert.Action.RESOLVE:
        incident.alert_states.filter(status=Status.FIRING).update(
            status=Status.RESOLVED, ends_at=event.occurred_at or at, last_seen_at=at)
        return
    else:
        return
    # One statement cannot update a row twice: the last report of a fingerprint wins.
    unique = {row.fingerprint: row for row in rows}
    bare = [row for row in unique.values() if reported and not row.annotations]
    full = [row for row in unique.values() if row not in bare]
    for batch, fields in ((full, FULL_UPDATE_FIELDS), (bare, BARE_UPDATE_FIELDS)):
        if batch:
            IncidentAlertState.objects.bulk_create(
                batch, update_conflicts=True, unique_fields=["incident", "fingerprint"], update_fields=fields)
    if len(unique) > ALERT_STATES_KEPT or incident.alert_count % TRIM_EVERY == 0:
        alert_states_trim(incident=incident)


def alert_states_trim(*, incident: Incident, kept: int | None = None) -> None:
    # "firing" sorts before "resolved": the firing rows and the latest resolved ones stay.
    kept = ALERT_STATES_KEPT if kept is None else kept
    keep = incident.alert_states.order_by("status", "-last_seen_at", "-id").values_list("id", flat=True)[:kept]
    incident.alert_states.exclude(id__in=Subquery(keep)).delete()


def _grouped_row(incident: Incident, raw: dict, event: AlertEvent, config: Any, at: datetime) -> IncidentAlertState:
    labels = _strings(raw.get("labels"))
    annotations = _strings(raw.get("annotations"))
    fingerprint = raw.get("fingerprint") if isinstance(raw.get("fingerprint"), str) else ""
    status = Status.RESOLVED if raw.get("status") == "resolved" else Status.FIRING
    severity = normalise_severity(labels["severity"], config) if labels.get("severity") else event.severity
    return IncidentAlertState(
        incident=incident, fingerprint=bounded_key(fingerprint or event.dedup_key), status=status,
        summary=truncate(_alert_summary(labels, annotations), 1024), severity=severity,
        labels=labels, annotations=annotations, starts_at=_moment(raw.get("startsAt")),
        ends_at=_moment(raw.get("endsAt")) if status == Status.RESOLVED else None, last_seen_at=at,
        runbook_url=safe_url(annotations.get("runbook_url") or annotations.get("runbook")) or "",
        generator_url=safe_url(raw.get("generatorURL")) or safe_url(raw.get("panelURL")) or "",
    )


def _single_row(incident: Incident, event: AlertEvent, at: datetime) -> IncidentAlertState:
    runbook = next((link.get("href") for link in event.links
                    if "runbook" in str(link.get("text", "")).lower()), None)
    return IncidentAlertState(
        incident=incident, fingerprint=bounded_key(event.fingerprint or event.dedup_key), status=Status.FIRING,
        summary=event.summary, severity=event.severity, starts_at=event.occurred_at or at, last_seen_at=at,
        runbook_url=safe_url(runbook) or "",
    )


def _alert_summary(labels: dict, annotations: dict) -> str:
    own = annotations.get("summary", "").strip()
    if own:
        return own
    where = next((labels[name] for name in ("instance", "host", "pod", "job", "service") if labels.get(name)), "")
    name = labels.get("alertname", "Alert")
    return f"{name} on {where}" if where else name


def _strings(value: Any) -> dict:
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _moment(value: Any) -> datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    # Alertmanager's "no time" is year 1.
    return moment if moment is not None and moment.year > 1 else None
