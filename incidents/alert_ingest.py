"""Turning parsed alert events into incidents: dedup, maintenance, storms, heartbeats.

Webhook views verify and parse; everything that writes lives here. One request's events are
stored in one transaction, so a request is either accepted whole (and then answered 202) or not
at all.
"""
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, QuerySet, Subquery
from django.utils import timezone

from config.celery import send_after_commit
from config.metrics import ALERTS, count_after_commit

from .alert_state import GROUPED_KINDS, alert_states_record
from .intake_cache import service_in_maintenance
from .models import Alert, ChangeEvent, Incident, Integration, Service, Severity, Urgency
from .services import AlreadyHandled, InvalidTransition, incident_acknowledge, incident_resolve, incident_trigger
from .services.lifecycle import incident_numbers_at_end
from .sources import AlertEvent

logger = logging.getLogger(__name__)

# How many raw alerts an incident keeps besides its first: an alert storm rewrites these rows.
RAW_ALERTS_KEPT = 100
# Acknowledge/resolve events an incident keeps (the latest), and alerts a service keeps (the latest)
# of those a maintenance window suppressed: a flapping monitor must not grow the table either.
STATE_EVENTS_KEPT = 20
SUPPRESSED_ALERTS_KEPT = 100

URGENCY_BY_SEVERITY = {"critical": Urgency.HIGH, "error": Urgency.HIGH, "warning": Urgency.LOW, "info": Urgency.LOW}
# SEV1 is declared by people; automation opens at most SEV2.
INCIDENT_SEVERITY = {"critical": Severity.SEV2, "error": Severity.SEV3, "warning": Severity.SEV4, "info": Severity.SEV5}

HEARTBEAT_DEDUP_KEY = "heartbeat"
HEARTBEAT_INTERVAL_DEFAULT = 300
HEARTBEAT_GRACE_DEFAULT = 60

_sqlite_writers = threading.Lock()


@dataclass(frozen=True)
class AlertOutcome:
    """What one event did: opened an incident, added to one, acknowledged/resolved, or nothing."""

    event: AlertEvent
    incident: Incident | None
    result: str  # "created" | "deduplicated" | "acknowledged" | "resolved" | "suppressed" | "ignored"


def urgency_for(*, integration: Integration, severity: str) -> str:
    """Severity decides urgency unless the integration overrides it, either for every alert
    (`"urgency": "low"`) or per severity (`"urgency": {"warning": "high"}`)."""
    override = integration.config.get("urgency") if isinstance(integration.config, dict) else None
    if override in Urgency.values:
        return override
    if isinstance(override, dict) and override.get(severity) in Urgency.values:
        return override[severity]
    return URGENCY_BY_SEVERITY.get(severity, Urgency.HIGH)


def in_maintenance(*, service: Service, at: datetime) -> bool:
    return service_in_maintenance(service_id=service.pk, at=at)


def alerts_ingest(*, integration: Integration, events: list[AlertEvent], received_at: datetime | None = None) -> list[AlertOutcome]:
    """Store a request's events; returns only after commit, so the caller may answer 202.

    Reads come before the transaction and new incidents take their numbers at its very end: on
    SQLite the transaction holds the database's one write lock, on PostgreSQL the number holds
    the team's counter row, and concurrent requests wait for either."""
    at = received_at or timezone.now()
    suppressed = in_maintenance(service=integration.service, at=at)
    with _sqlite_writers_queue(), transaction.atomic(), incident_numbers_at_end():
        outcomes = [_ingest_one(integration=integration, event=e, at=at, suppressed=suppressed) for e in events]
        for result in {o.result for o in outcomes}:
            count_after_commit(ALERTS, sum(o.result == result for o in outcomes), kind=integration.kind, outcome=result)
        if suppressed:
            _keep_latest(Alert.objects.filter(service_id=integration.service_id, suppressed=True),
                         SUPPRESSED_ALERTS_KEPT)
        _touch(integration, at)
    return outcomes


@contextmanager
def _sqlite_writers_queue():
    """On SQLite, this process's requests write one at a time, queued on a lock.

    SQLite has one writer at a time, and a writer that finds the database locked sleeps in its
    busy handler (up to 100 ms between tries) rather than being woken when the lock frees: in a
    burst, a request could sleep far longer than the writes it waited for. Threads of one process
    queue here instead and start the moment the one before commits; only the other processes
    (web workers, the Celery worker) still meet the busy handler. Not inside a caller's
    transaction: that one may already hold the database, and another thread waiting here for it
    would wait for ever."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with _sqlite_writers:
        yield


def _touch(integration: Integration, at: datetime) -> None:
    # "Last seen" is for people; refreshing it at most every few seconds keeps an alert storm at
    # one incident update per alert instead of two row updates.
    if integration.last_seen_at is None or at - integration.last_seen_at > timedelta(seconds=5):
        Integration.objects.filter(pk=integration.pk).update(last_seen_at=at)
        # The instance may be the one intake_cache hands every request of this process.
        integration.last_seen_at = at


def _ingest_one(*, integration: Integration, event: AlertEvent, at: datetime, suppressed: bool) -> AlertOutcome:
    if suppressed:
        _store_alert(integration=integration, event=event, at=at, incident=None, slot=None, suppressed=True)
        return AlertOutcome(event, None, "suppressed")
    if event.action == Alert.Action.TRIGGER:
        return _trigger(integration=integration, event=event, at=at)
    incident = (
        Incident.objects.filter(service=integration.service, dedup_key=event.dedup_key)
        .exclude(status=Incident.Status.RESOLVED).first()
    )
    if incident is None:
        # PagerDuty's rule: acknowledging or resolving an unknown or closed key changes nothing.
        # The alerts still resolved: the incident someone closed by hand shows them so.
        if event.action == Alert.Action.RESOLVE:
            closed = Incident.objects.filter(service=integration.service, dedup_key=event.dedup_key).first()
            if closed is not None:
                alert_states_record(incident=closed, integration=integration, event=event, at=at)
        return AlertOutcome(event, None, "ignored")
    if event.action == Alert.Action.RESOLVE and not integration.config.get("auto_resolve", True):
        alert_states_record(incident=incident, integration=integration, event=event, at=at)
        return AlertOutcome(event, incident, "ignored")
    note = f"{event.action.capitalize()}d by {integration.name} ({integration.get_kind_display()})"
    if event.summary:
        note += f": {event.summary}"
    action = incident_acknowledge if event.action == Alert.Action.ACKNOWLEDGE else incident_resolve
    try:
        incident = action(incident=incident, by=None, via="integration", note=note)
    except (AlreadyHandled, InvalidTransition):
        return AlertOutcome(event, incident, "ignored")
    _store_alert(integration=integration, event=event, at=at, incident=incident, slot=None)
    # Every notification the incident took counts, not only the triggers (the ring's slot
    # arithmetic only needs the count to grow).
    Incident.objects.filter(pk=incident.pk).update(alert_count=F("alert_count") + 1, last_alert_at=at)
    alert_states_record(incident=incident, integration=integration, event=event, at=at)
    # Only a change of state stores an event, but reopening or un-acknowledging can bring an incident
    # back to be resolved or acknowledged again and again.
    _keep_latest(Alert.objects.filter(incident=incident, slot__isnull=True), STATE_EVENTS_KEPT)
    return AlertOutcome(event, incident, "acknowledged" if event.action == Alert.Action.ACKNOWLEDGE else "resolved")


def _trigger(*, integration: Integration, event: AlertEvent, at: datetime) -> AlertOutcome:
    incident, created = incident_trigger(
        service=integration.service, title=event.summary, dedup_key=event.dedup_key,
        severity=INCIDENT_SEVERITY.get(event.severity, Severity.SEV3),
        urgency=urgency_for(integration=integration, severity=event.severity),
        via="integration", source=event.source, at=at,
        details=_incident_details(event), links=[*event.links, *({"image": i} for i in event.images)],
    )
    # Slot 0 keeps the first alert for ever; the others cycle through 1..RAW_ALERTS_KEPT.
    slot = 0 if created else 1 + (incident.alert_count - 2) % RAW_ALERTS_KEPT
    _store_alert(integration=integration, event=event, at=at, incident=incident, slot=slot)
    alert_states_record(incident=incident, integration=integration, event=event, at=at)
    if not created and integration.kind in GROUPED_KINDS and incident.title != event.summary:
        # A group's title names what fires now ("web2 (+1 more)" once web1 resolved); an
        # unchanged title costs no statement. The Slack message about it follows.
        Incident.objects.filter(pk=incident.pk).update(title=event.summary[:1024])
        send_after_commit("notifications.incident_changed", args=[incident.pk])
    return AlertOutcome(event, incident, "created" if created else "deduplicated")


def _incident_details(event: AlertEvent) -> dict:
    details = dict(event.details)
    if event.images:
        details["images"] = list(event.images)
    return details


def _store_alert(
    *, integration: Integration, event: AlertEvent, at: datetime, incident: Incident | None,
    slot: int | None, suppressed: bool = False,
) -> None:
    summary, severity = event.summary, event.severity
    if event.action != Alert.Action.TRIGGER and not summary:
        # PagerDuty's acknowledge and resolve carry no payload, and the parser's "info" is a
        # placeholder: the row says what happened to which incident, and no severity.
        summary, severity = f"{event.action.capitalize()}d: {incident.title if incident else event.dedup_key}", ""
    alert = Alert(
        integration=integration, service_id=integration.service_id, incident=incident, received_at=at,
        dedup_key=event.dedup_key, action=event.action, summary=summary[:1024],
        severity=severity, source=event.source[:255], slot=slot, suppressed=suppressed,
        payload={"details": event.details, "links": list(event.links), "images": list(event.images),
                 "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None},
    )
    if slot is None:
        alert.save()
        return
    fields = ["received_at", "dedup_key", "action", "summary", "severity", "source", "payload", "integration"]
    Alert.objects.bulk_create(
        [alert], update_conflicts=True, unique_fields=["incident", "slot"], update_fields=fields
    )


def _keep_latest(alerts: QuerySet[Alert], kept: int) -> None:
    """Delete all but the newest `kept` of these alerts, in one statement.

    Trigger alerts rewrite a ring of slots instead (one upsert per alert, nothing to delete), which
    needs a counter; these rarer kinds have none, so the oldest beyond the bound go. Concurrent
    requests delete in the same (id) order, so they wait for each other rather than deadlock.
    """
    newest_dropped = alerts.order_by("-id").values("id")[kept:kept + 1]
    alerts.filter(id__lte=Subquery(newest_dropped)).delete()


def change_event_record(*, integration: Integration, summary: str, occurred_at: datetime | None,
                        source: str, details: dict, links: list) -> ChangeEvent:
    with transaction.atomic():
        change = ChangeEvent.objects.create(
            service_id=integration.service_id, integration=integration, summary=summary[:1024],
            occurred_at=occurred_at or timezone.now(), source=source[:255], details=details, links=links,
        )
        Integration.objects.filter(pk=integration.pk).update(last_seen_at=timezone.now())
    return change


def heartbeat_settings(integration: Integration) -> tuple[int, int]:
    config = integration.config if isinstance(integration.config, dict) else {}
    interval = config.get("interval_seconds", HEARTBEAT_INTERVAL_DEFAULT)
    grace = config.get("grace_seconds", HEARTBEAT_GRACE_DEFAULT)
    return (interval if isinstance(interval, int) and interval > 0 else HEARTBEAT_INTERVAL_DEFAULT,
            grace if isinstance(grace, int) and grace >= 0 else HEARTBEAT_GRACE_DEFAULT)


def heartbeat_beat(*, integration: Integration, at: datetime | None = None) -> Incident | None:
    """Record a beat; a beat after a missed one resolves the incident the miss opened."""
    at = at or timezone.now()
    with transaction.atomic():
        Integration.objects.filter(pk=integration.pk).update(last_seen_at=at)
        missed = Incident.objects.filter(service_id=integration.service_id, dedup_key=_heartbeat_key(integration)).exclude(
            status=Incident.Status.RESOLVED).first()
        if missed is None:
            return None
        try:
            return incident_resolve(incident=missed, by=None, via="integration",
                                    note=f"Heartbeat {integration.name!r} is beating again")
        except (AlreadyHandled, InvalidTransition):
            return None


def _heartbeat_key(integration: Integration) -> str:
    return f"{HEARTBEAT_DEDUP_KEY}:{integration.pk}"


def heartbeats_check(*, now: datetime | None = None) -> list[Incident]:
    """Open an incident for every enabled heartbeat whose beat is later than interval + grace.

    Run by beat every few seconds; safe to run concurrently (the dedup constraint admits one
    open incident per heartbeat). Each heartbeat is checked on its own: one that fails (a row
    written around validation, a database hiccup) is logged and the others are still checked.
    """
    now = now or timezone.now()
    opened = []
    for integration in Integration.objects.filter(kind=Integration.Kind.HEARTBEAT, enabled=True).select_related("service"):
        try:
            with transaction.atomic():
                incident = _heartbeat_check(integration=integration, now=now)
        except Exception:
            logger.exception("Heartbeat check of integration %s failed; checking the others", integration.pk)
            continue
        if incident is not None:
            opened.append(incident)
    return opened


def _heartbeat_check(*, integration: Integration, now: datetime) -> Incident | None:
    """The incident a missed heartbeat opens now, or None."""
    interval, grace = heartbeat_settings(integration)
    last = integration.last_seen_at or integration.created_at
    if last + timedelta(seconds=interval + grace) > now or in_maintenance(service=integration.service, at=now):
        return None
    already_open = Incident.objects.filter(service_id=integration.service_id, dedup_key=_heartbeat_key(integration))
    if already_open.exclude(status=Incident.Status.RESOLVED).exists():
        return None
    incident, created = incident_trigger(
        service=integration.service, dedup_key=_heartbeat_key(integration),
        title=f"Heartbeat {integration.name!r} missed: last beat {_ago(now - last)} ago",
        severity=Severity.SEV3, urgency=urgency_for(integration=integration, severity="error"),
        via="integration", source=integration.name,
        details={"last_beat_at": integration.last_seen_at.isoformat() if integration.last_seen_at else None,
                 "interval_seconds": interval, "grace_seconds": grace},
    )
    return incident if created else None


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
