"""An incident's life: opened (or counted again) by alerts, acknowledged, mitigated, resolved,
reopened; notes and severity. Each function is one verb, keyword-only, one transaction, and one
timeline line naming who did it and through which channel."""
import secrets
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from config.celery import send_after_commit
from config.metrics import INCIDENTS_OPENED, count_after_commit
from oncall.models import Team

from ..models import Incident, Service, Severity, TimelineEvent, Urgency
from ..outgoing.events import webhook_events_emit
from ..severity_policy import MAJOR_SEVERITIES
from .errors import AlreadyHandled, IncidentError, InvalidTransition


Status = Incident.Status


def timeline_add(
    *, incident: Incident, kind: str, text: str = "", actor: User | None = None,
    via: str = TimelineEvent.Via.SYSTEM, data: dict | None = None, at: datetime | None = None,
    emit: bool = True,
) -> TimelineEvent:
    """`emit=False`: the caller sends the line's outgoing webhooks (webhook_events_emit) later."""
    event = TimelineEvent.objects.create(
        incident=incident, kind=kind, text=text, actor=actor, via=via, data=data or {}, at=at or timezone.now()
    )
    if emit:
        webhook_events_emit(timeline_event=event)
    return event


def _next_incident_number(team_id: int) -> int:
    # The update takes the team row's lock until commit, so numbers are gap-free and unique
    # even with many workers opening incidents for one team at once.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Team._meta.db_table} SET last_incident_number = last_incident_number + 1 "
                       "WHERE id = %s RETURNING last_incident_number", [team_id])
        return cursor.fetchone()[0]


# Numbers an incident holds between its insert and incident_numbers_at_end's exit, never seen
# outside its transaction: far above any team's real numbers, picked at random so that concurrent
# transactions rarely pick the same one (if they do, the second insert waits for the first to
# commit, by when it holds its real number).
PROVISIONAL_NUMBERS = (2**30, 2**31 - 1)
_numbering = threading.local()


@contextmanager
def incident_numbers_at_end():
    """Incidents opened inside the block take their team's next number as the block's last
    statements, with the "triggered" lines' outgoing webhooks (which show the number).

    The team's counter row stays locked from the moment a number is taken until commit: taking it
    last keeps concurrent openings for one team from queueing behind each other's whole
    transaction (alert intake's inserts of the alert and its state). Use it inside the
    transaction, as its last step."""
    if getattr(_numbering, "pending", None) is not None:
        yield
        return
    _numbering.pending = []
    try:
        yield
        pending, _numbering.pending = _numbering.pending, None
        for incident, line in pending:
            incident.number = _next_incident_number(incident.team_id)
            Incident.objects.filter(pk=incident.pk).update(number=incident.number)
            webhook_events_emit(timeline_event=line)
    finally:
        _numbering.pending = None


def _provisional_number() -> int:
    taken = {incident.number for incident, _ in _numbering.pending}
    while (number := PROVISIONAL_NUMBERS[0] + secrets.randbelow(PROVISIONAL_NUMBERS[1] - PROVISIONAL_NUMBERS[0])) in taken:
        pass
    return number


def incident_trigger(
    *, service: Service, title: str, dedup_key: str | None = None, severity: str = Severity.SEV3,
    urgency: str = Urgency.HIGH, by: User | None = None, via: str = TimelineEvent.Via.SYSTEM,
    details: dict | None = None, links: list | None = None, source: str = "", at: datetime | None = None,
) -> tuple[Incident, bool]:
    """Open an incident, or count one more alert on the open incident with the same dedup key.

    Returns (incident, created). Concurrent calls with one key open exactly one incident: the
    partial unique constraint on (service, dedup_key) decides, and the loser counts its alert on
    the winner's incident. An alert on an open incident costs one row update (an alert storm
    must not write a timeline line per alert); it refreshes the incident's details and links.
    """
    at = at or timezone.now()
    dedup_key = dedup_key or uuid.uuid4().hex
    latest = {"source": source[:255], "details": details or {}, "links": links or []}
    numbered_later = getattr(_numbering, "pending", None) is not None
    # No savepoint of its own: nothing here is retried after an error but the insert below.
    with transaction.atomic(savepoint=False):
        existing = _bump_open_incident(service=service, dedup_key=dedup_key, at=at, latest=latest)
        if existing:
            return existing, False
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    team_id=service.team_id, service=service,
                    number=_provisional_number() if numbered_later else _next_incident_number(service.team_id),
                    title=title[:1024], dedup_key=dedup_key, severity=severity, urgency=urgency,
                    triggered_at=at, alert_count=1, last_alert_at=at, **latest,
                    # The paging engine picks up every incident whose escalation is due.
                    next_escalation_at=at,
                )
        except IntegrityError:
            existing = _bump_open_incident(service=service, dedup_key=dedup_key, at=at, latest=latest)
            if existing is None:
                raise
            return existing, False
        line = timeline_add(
            incident=incident, kind="triggered", actor=by, via=via, at=at, emit=not numbered_later,
            text=f"Triggered: {incident.title}", data={"dedup_key": dedup_key, "source": latest["source"]},
        )
        if numbered_later:
            _numbering.pending.append((incident, line))
        # One message for all that follows the opening: a publish is a broker round trip per request.
        kick_engine(incident.pk, opened=True, major=severity in MAJOR_SEVERITIES)
        count_after_commit(INCIDENTS_OPENED, service=service.name, severity=severity)
    return incident, True


def kick_engine(incident_id: int, *, opened: bool = False, major: bool = False) -> None:
    """Start paging once the incident is committed. By task name: incidents never imports
    notifications. If the message is lost, the engine's sweep finds next_escalation_at anyway.

    `opened`: a new incident; the same message announces it (what `announce` does for a change)
    and, when `major`, pages the service's major-incident policy."""
    if opened:
        send_after_commit("notifications.escalate", args=[incident_id], kwargs={"opened": True, "major": major})
    else:
        send_after_commit("notifications.escalate", args=[incident_id])


def announce(incident_id: int) -> None:
    """Tell the notifications app, after commit, that the incident changed (Slack messages
    about it are updated in place)."""
    send_after_commit("notifications.incident_changed", args=[incident_id])


def _bump_open_incident(*, service: Service, dedup_key: str, at: datetime, latest: dict) -> Incident | None:
    """Count one more alert on the open incident with this key and return it as updated, in one
    statement (UPDATE … RETURNING: an alert storm costs one statement on the incident, not two)."""
    fields = Incident._meta
    changes = {"last_alert_at": at, "updated_at": timezone.now(), **{k: v for k, v in latest.items() if v}}
    assignments = ", ".join(f"{fields.get_field(name).column} = %s" for name in changes)
    sql = (f"UPDATE {fields.db_table} SET alert_count = alert_count + 1, {assignments} "
           "WHERE service_id = %s AND dedup_key = %s AND status <> %s "
           f"RETURNING {', '.join(f.column for f in fields.concrete_fields)}")
    params = [fields.get_field(name).get_db_prep_save(value, connection) for name, value in changes.items()]
    bumped = list(Incident.objects.raw(sql, [*params, service.pk, dedup_key, Status.RESOLVED]))
    return bumped[0] if bumped else None


def transition(
    *, incident: Incident, to: str, allowed_from: tuple[str, ...], by: User | None, via: str,
    kind: str, text: str, changes: dict, at: datetime | None = None, data: dict | None = None,
    expect: dict | None = None,
) -> Incident:
    """Move an incident between states with a conditional update, so that of two concurrent
    requests exactly one wins and the other learns what happened instead. `expect`: further
    fields that must still hold the values the caller read."""
    now = at or timezone.now()
    with transaction.atomic():
        won = Incident.objects.filter(pk=incident.pk, status__in=allowed_from, **(expect or {})).update(
            status=to, updated_at=now, **changes
        )
        if not won:
            current = Incident.objects.select_related("acknowledged_by").get(pk=incident.pk)
            if current.status in allowed_from:
                raise AlreadyHandled(f"Incident #{current.number} changed meanwhile (someone else acted on it); "
                                     "reload it and try again.")
            if current.status == to and kind != "reopened":
                who = f" by {current.acknowledged_by}" if to == Status.ACKNOWLEDGED and current.acknowledged_by else ""
                raise AlreadyHandled(f"Incident #{current.number} is already {current.status}{who}.")
            allowed = " or ".join(allowed_from)
            raise InvalidTransition(
                f"Incident #{current.number} is {current.status}; only a {allowed} incident can be {kind}."
            )
        timeline_add(incident=incident, kind=kind, text=text, actor=by, via=via, data=data, at=now)
        announce(incident.pk)
    incident.refresh_from_db()
    return incident


def who_did(by: User | None) -> str:
    return by.get_username() if by else "the system"


def incident_acknowledge(*, incident: Incident, by: User | None, via: str, note: str = "") -> Incident:
    """Stop the escalation and record who took the page."""
    now = timezone.now()
    return transition(
        incident=incident, to=Status.ACKNOWLEDGED, allowed_from=(Status.TRIGGERED,), by=by, via=via,
        kind="acknowledged", text=note or f"Acknowledged by {who_did(by)}",
        at=now, changes={"acknowledged_at": now, "acknowledged_by": by, "next_escalation_at": None,
                         "unreachable_since": None},
    )


def incident_mitigate(*, incident: Incident, by: User | None, via: str, note: str = "") -> Incident:
    """Impact is over though the cause may remain. Mitigating an unacknowledged incident also
    acknowledges it: someone is clearly on it, so paging must stop."""
    now = timezone.now()
    with transaction.atomic():
        incident = transition(
            incident=incident, to=Status.MITIGATED, allowed_from=(Status.TRIGGERED, Status.ACKNOWLEDGED),
            by=by, via=via, kind="mitigated", text=note or f"Mitigated by {who_did(by)}",
            at=now, changes={"mitigated_at": now, "next_escalation_at": None, "unreachable_since": None},
        )
        if Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=by
        ):
            incident.refresh_from_db()
    return incident


def incident_resolve(*, incident: Incident, by: User | None, via: str, note: str = "") -> Incident:
    """Closes the incident; a SEV1 or SEV2 gets its postmortem in the same transaction (once: one
    made before a reopen is kept)."""
    # Imported here: postmortems reads the commander rule of incidents/status_updates.py, which
    # imports this package.
    from .postmortems import postmortem_create_if_major

    with transaction.atomic():
        resolved = transition(
            incident=incident, to=Status.RESOLVED, allowed_from=Incident.OPEN_STATUSES, by=by, via=via,
            kind="resolved", text=note or f"Resolved by {who_did(by)}",
            changes={"resolved_at": timezone.now(), "resolved_by": by, "next_escalation_at": None,
                     "unreachable_since": None},
        )
        postmortem_create_if_major(incident=resolved, by=by, via=via)
    return resolved


def incident_reopen(*, incident: Incident, by: User | None, via: str, reason: str = "") -> Incident:
    """Back to triggered, paging again from the first step."""
    now = timezone.now()
    try:
        with transaction.atomic():
            reopened = transition(
                incident=incident, to=Status.TRIGGERED, allowed_from=(Status.RESOLVED,), by=by, via=via,
                kind="reopened", text=reason or f"Reopened by {who_did(by)}",
                at=now, changes={
                    "acknowledged_at": None, "acknowledged_by": None, "mitigated_at": None,
                    "resolved_at": None, "resolved_by": None, "reopened_at": now, "next_escalation_at": now,
                    "escalation_step": 0, "escalation_loop": 0, "paging_round": F("paging_round") + 1,
                },
            )
            kick_engine(reopened.pk)
        return reopened
    except IntegrityError:
        other = Incident.objects.filter(service_id=incident.service_id, dedup_key=incident.dedup_key).exclude(
            status=Status.RESOLVED).first()
        number = f" #{other.number}" if other else ""
        raise InvalidTransition(
            f"Incident #{incident.number} cannot be reopened: incident{number} is already open "
            "for the same alert (dedup key)."
        ) from None


def incident_note_add(*, incident: Incident, by: User | None, via: str, text: str) -> TimelineEvent:
    text = (text or "").strip()
    if not text:
        raise IncidentError("A note needs some text.")
    if len(text) > 10_000:
        raise IncidentError("A note is limited to 10,000 characters.")
    return timeline_add(incident=incident, kind="note", text=text, actor=by, via=via)


def incident_severity_set(*, incident: Incident, severity: str, by: User | None, via: str) -> Incident:
    if severity not in Severity.values:
        raise IncidentError(f"Unknown severity {severity!r}; use one of {', '.join(Severity.values)}.")
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.severity != severity:
            previous = locked.severity
            Incident.objects.filter(pk=incident.pk).update(severity=severity, updated_at=timezone.now())
            timeline_add(
                incident=incident, kind="severity_changed", actor=by, via=via,
                text=f"Severity {previous} → {severity}", data={"from": previous, "to": severity},
            )
            if severity in MAJOR_SEVERITIES:
                send_after_commit("notifications.page_major_incident_policy", args=[incident.pk])
    incident.refresh_from_db()
    return incident
