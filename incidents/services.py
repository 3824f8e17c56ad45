"""Every write to incidents. Each function is one verb, keyword-only, one transaction, and one
timeline line naming who did it and through which channel."""
import uuid
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from config.celery import send_after_commit
from oncall.models import EscalationPolicy, Team, hash_secret, new_secret

from .integration_config import config_merged, config_problems
from .models import Incident, Integration, MaintenanceWindow, Service, Severity, TimelineEvent, Urgency
from .selectors import incident_escalation_plan
from .severity_policy import MAJOR_SEVERITIES

Status = Incident.Status


class IncidentError(Exception):
    """A request that cannot be carried out; the message is shown to the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AlreadyHandled(IncidentError):
    """Someone else got there first (two people pressing Acknowledge at once)."""


class InvalidTransition(IncidentError):
    pass


def timeline_add(
    *, incident: Incident, kind: str, text: str = "", actor: User | None = None,
    via: str = TimelineEvent.Via.SYSTEM, data: dict | None = None, at: datetime | None = None,
) -> TimelineEvent:
    return TimelineEvent.objects.create(
        incident=incident, kind=kind, text=text, actor=actor, via=via, data=data or {}, at=at or timezone.now()
    )


def _next_incident_number(team_id: int) -> int:
    # The update takes the team row's lock until commit, so numbers are gap-free and unique
    # even with many workers opening incidents for one team at once.
    Team.objects.filter(pk=team_id).update(last_incident_number=F("last_incident_number") + 1)
    return Team.objects.filter(pk=team_id).values_list("last_incident_number", flat=True).get()


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
    with transaction.atomic():
        existing = _bump_open_incident(service=service, dedup_key=dedup_key, at=at, latest=latest)
        if existing:
            return existing, False
        try:
            with transaction.atomic():
                incident = Incident.objects.create(
                    team_id=service.team_id, number=_next_incident_number(service.team_id), service=service,
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
        timeline_add(
            incident=incident, kind="triggered", actor=by, via=via, at=at,
            text=f"Triggered: {incident.title}", data={"dedup_key": dedup_key, "source": latest["source"]},
        )
        _kick_engine(incident.pk)
        _announce(incident.pk)
        if severity in MAJOR_SEVERITIES:
            send_after_commit("notifications.page_major_incident_policy", args=[incident.pk])
    return incident, True


def _kick_engine(incident_id: int) -> None:
    """Start paging once the incident is committed. By task name: incidents never imports
    notifications. If the message is lost, the engine's sweep finds next_escalation_at anyway."""
    send_after_commit("notifications.escalate", args=[incident_id])


def _announce(incident_id: int) -> None:
    """Tell the notifications app, after commit, that the incident changed (Slack messages
    about it are updated in place)."""
    send_after_commit("notifications.incident_changed", args=[incident_id])


def _bump_open_incident(*, service: Service, dedup_key: str, at: datetime, latest: dict) -> Incident | None:
    open_ = Incident.objects.filter(service=service, dedup_key=dedup_key).exclude(status=Status.RESOLVED)
    changes = {k: v for k, v in latest.items() if v}
    if not open_.update(alert_count=F("alert_count") + 1, last_alert_at=at, updated_at=timezone.now(), **changes):
        return None
    return open_.get()


def _transition(
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
        _announce(incident.pk)
    incident.refresh_from_db()
    return incident


def _who(by: User | None) -> str:
    return by.get_username() if by else "the system"


def incident_acknowledge(*, incident: Incident, by: User | None, via: str, note: str = "") -> Incident:
    """Stop the escalation and record who took the page."""
    now = timezone.now()
    return _transition(
        incident=incident, to=Status.ACKNOWLEDGED, allowed_from=(Status.TRIGGERED,), by=by, via=via,
        kind="acknowledged", text=note or f"Acknowledged by {_who(by)}",
        at=now, changes={"acknowledged_at": now, "acknowledged_by": by, "next_escalation_at": None,
                         "unreachable_since": None},
    )


def incident_mitigate(*, incident: Incident, by: User | None, via: str, note: str = "") -> Incident:
    """Impact is over though the cause may remain. Mitigating an unacknowledged incident also
    acknowledges it: someone is clearly on it, so paging must stop."""
    now = timezone.now()
    with transaction.atomic():
        incident = _transition(
            incident=incident, to=Status.MITIGATED, allowed_from=(Status.TRIGGERED, Status.ACKNOWLEDGED),
            by=by, via=via, kind="mitigated", text=note or f"Mitigated by {_who(by)}",
            at=now, changes={"mitigated_at": now, "next_escalation_at": None, "unreachable_since": None},
        )
        if Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=by
        ):
            incident.refresh_from_db()
    return incident


def incident_resolve(*, incident: Incident, by: User | None, via: str, note: str = "") -> Incident:
    return _transition(
        incident=incident, to=Status.RESOLVED, allowed_from=Incident.OPEN_STATUSES, by=by, via=via,
        kind="resolved", text=note or f"Resolved by {_who(by)}",
        changes={"resolved_at": timezone.now(), "resolved_by": by, "next_escalation_at": None,
                 "unreachable_since": None},
    )


def incident_reopen(*, incident: Incident, by: User | None, via: str, reason: str = "") -> Incident:
    """Back to triggered, paging again from the first step."""
    now = timezone.now()
    try:
        with transaction.atomic():
            reopened = _transition(
                incident=incident, to=Status.TRIGGERED, allowed_from=(Status.RESOLVED,), by=by, via=via,
                kind="reopened", text=reason or f"Reopened by {_who(by)}",
                at=now, changes={
                    "acknowledged_at": None, "acknowledged_by": None, "mitigated_at": None,
                    "resolved_at": None, "resolved_by": None, "reopened_at": now, "next_escalation_at": now,
                    "escalation_step": 0, "escalation_loop": 0, "paging_round": F("paging_round") + 1,
                },
            )
            _kick_engine(reopened.pk)
        return reopened
    except IntegrityError:
        other = Incident.objects.filter(service_id=incident.service_id, dedup_key=incident.dedup_key).exclude(
            status=Status.RESOLVED).first()
        number = f" #{other.number}" if other else ""
        raise InvalidTransition(
            f"Incident #{incident.number} cannot be reopened: incident{number} is already open "
            "for the same alert (dedup key)."
        ) from None


# --- Restarting paging on purpose --------------------------------------------------------------
# Each bumps the paging round (a page is unique per round, so people paged before are paged again,
# once), puts the incident back to triggered, and kicks the engine after commit.

def _restart_paging(
    *, incident: Incident, allowed_from: tuple[str, ...], by: User | None, via: str, kind: str, text: str,
    position, changes: dict | None = None, data: dict | None = None, expect: dict | None = None,
) -> Incident:
    """`position(current) -> (step, loop)`: where the new round starts, from the row as it is now."""
    now = timezone.now()
    with transaction.atomic():
        current = Incident.objects.select_related("service__escalation_policy", "escalation_policy", "assignee").get(
            pk=incident.pk)
        step, loop = position(current)
        restarted = _transition(
            incident=current, to=Status.TRIGGERED, allowed_from=allowed_from, by=by, via=via, kind=kind, text=text,
            at=now, data=data, expect={"paging_round": current.paging_round, **(expect or {})},
            changes={"acknowledged_at": None, "acknowledged_by": None, "next_escalation_at": now,
                     "escalation_step": step, "escalation_loop": loop, "paging_round": F("paging_round") + 1,
                     **(changes or {})},
        )
        _kick_engine(restarted.pk)
    return restarted


def _next_step(incident: Incident) -> tuple[int, int]:
    # The engine keeps the position of the step it pages next; past the end (the policy ran out),
    # escalating starts it over.
    if incident.escalation_step >= len(incident_escalation_plan(incident=incident).steps):
        return 0, 0
    return incident.escalation_step, incident.escalation_loop


def _step_paged_last(incident: Incident) -> tuple[int, int]:
    step, loop = incident.escalation_step, incident.escalation_loop
    count = len(incident_escalation_plan(incident=incident).steps)
    if step > 0:
        return min(step, max(count, 1)) - 1, loop
    if loop > 0 and count:
        return count - 1, loop - 1
    return 0, 0


def incident_escalate_now(*, incident: Incident, by: User | None, via: str) -> Incident:
    """Page the next step at once instead of waiting for its delay (an acknowledged incident is
    triggered again for it)."""
    return _restart_paging(
        incident=incident, allowed_from=(Status.TRIGGERED, Status.ACKNOWLEDGED), by=by, via=via, kind="escalated",
        text=f"Escalated to the next step by {_who(by)}", position=_next_step,
    )


def incident_unacknowledge(*, incident: Incident, by: User | None, via: str, reason: str = "") -> Incident:
    """Back to triggered: the step that was paging when it was acknowledged is paged again, and
    the policy goes on from there."""
    return _restart_paging(
        incident=incident, allowed_from=(Status.ACKNOWLEDGED,), by=by, via=via, kind="unacknowledged",
        text=reason or f"Un-acknowledged by {_who(by)}: paging resumes", position=_step_paged_last,
    )


def incident_reassign(
    *, incident: Incident, by: User | None, via: str, to_user: User | None = None,
    to_policy: EscalationPolicy | None = None,
) -> Incident:
    """Hand the incident to a person (paged at once, then the policy if they do not acknowledge)
    or to another escalation policy (paged from its first step). Callers check that the caller may
    see the target."""
    if (to_user is None) == (to_policy is None):
        raise IncidentError("Reassign to either a person or an escalation policy.")
    if to_user is not None:
        if not to_user.is_active:
            raise IncidentError(f"{to_user.get_username()} cannot be paged: their account is inactive.")
        changes, target, data = {"assignee": to_user}, to_user.get_username(), {"user": to_user.pk}
    else:
        changes = {"escalation_policy": to_policy, "assignee": None}
        target, data = f"escalation policy {to_policy.name}", {"escalation_policy": to_policy.pk}
    return _restart_paging(
        incident=incident, allowed_from=(Status.TRIGGERED, Status.ACKNOWLEDGED), by=by, via=via, kind="reassigned",
        text=f"Reassigned to {target} by {_who(by)}", position=lambda current: (0, 0), changes=changes, data=data,
    )


ACK_TIMEOUT_BATCH = 200


def incidents_ack_timeouts_expire(*, now: datetime | None = None) -> int:
    """Trigger again every incident whose acknowledgement outlived its service's timeout without
    mitigation or resolution. Returns how many."""
    now = now or timezone.now()
    expired = 0
    timeouts = Service.objects.filter(ack_timeout_minutes__isnull=False).values_list(
        "ack_timeout_minutes", flat=True).distinct()
    for minutes in sorted(set(timeouts)):
        overdue = Incident.objects.filter(
            status=Status.ACKNOWLEDGED, service__ack_timeout_minutes=minutes,
            acknowledged_at__lte=now - timedelta(minutes=minutes),
        ).select_related("acknowledged_by")[:ACK_TIMEOUT_BATCH]
        for incident in overdue:
            who = f" by {incident.acknowledged_by.get_username()}" if incident.acknowledged_by else ""
            try:
                _restart_paging(
                    incident=incident, allowed_from=(Status.ACKNOWLEDGED,), by=None, via=TimelineEvent.Via.SYSTEM,
                    kind="ack_timeout", position=_step_paged_last, data={"ack_timeout_minutes": minutes},
                    text=f"The acknowledgement{who} expired: not mitigated or resolved within {minutes} min. "
                         "Triggered again; paging resumes.",
                    # Acknowledged again since it was read: that acknowledgement has its own time.
                    expect={"acknowledged_at": incident.acknowledged_at},
                )
            except IncidentError:
                continue  # mitigated, resolved or acknowledged again meanwhile
            expired += 1
    return expired


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


def integration_create(*, service: Service, kind: str, name: str, config: dict | None = None) -> tuple[Integration, str]:
    """Create an integration and return it with its raw token: shown once, stored only as a hash."""
    if kind not in Integration.Kind.values:
        raise IncidentError(f"Unknown integration kind {kind!r}; use one of {', '.join(Integration.Kind.values)}.")
    config = _integration_config(kind=kind, stored={}, given=config or {})
    raw = new_secret("int")
    integration = Integration.objects.create(
        service=service, kind=kind, name=name, config=config,
        token_hash=hash_secret(raw), token_prefix=raw[:10],
    )
    return integration, raw


def _integration_config(*, kind: str, stored: dict, given: dict) -> dict:
    config = config_merged(kind, stored=stored, given=given)
    problems = config_problems(kind, config)
    if problems:
        raise IncidentError("Invalid config: " + "; ".join(problems) + ".")
    return config


def integration_rotate_token(*, integration: Integration) -> str:
    raw = new_secret("int")
    Integration.objects.filter(pk=integration.pk).update(token_hash=hash_secret(raw), token_prefix=raw[:10])
    integration.refresh_from_db()
    return raw


def service_create(*, team: Team, name: str, description: str = "", runbook_url: str = "",
                   escalation_policy: EscalationPolicy | None = None, slack_channel: str = "",
                   ack_timeout_minutes: int | None = None,
                   major_incident_policy: EscalationPolicy | None = None) -> Service:
    return Service.objects.create(team=team, name=name, description=description, runbook_url=runbook_url,
                                  escalation_policy=escalation_policy, slack_channel=slack_channel,
                                  ack_timeout_minutes=ack_timeout_minutes, major_incident_policy=major_incident_policy)


_KEEP = object()


def service_update(
    *, service: Service, name: str | None = None, description: str | None = None, runbook_url: str | None = None,
    escalation_policy: EscalationPolicy | None | object = _KEEP, slack_channel: str | None = None,
    ack_timeout_minutes: int | None | object = _KEEP, major_incident_policy: EscalationPolicy | None | object = _KEEP,
) -> Service:
    """Fields given as None are kept, except the policies and ack_timeout_minutes, which None clears."""
    changes = {k: v for k, v in {"name": name, "description": description, "runbook_url": runbook_url,
                                 "slack_channel": slack_channel}.items() if v is not None}
    if escalation_policy is not _KEEP:
        changes["escalation_policy"] = escalation_policy
    if ack_timeout_minutes is not _KEEP:
        changes["ack_timeout_minutes"] = ack_timeout_minutes
    if major_incident_policy is not _KEEP:
        changes["major_incident_policy"] = major_incident_policy
    for field, value in changes.items():
        setattr(service, field, value)
    if changes:
        service.save(update_fields=list(changes))
    return service


def service_delete(*, service: Service) -> None:
    """Incidents keep their service (PROTECT): a service with history raises ProtectedError."""
    service.delete()


def integration_update(
    *, integration: Integration, name: str | None = None, enabled: bool | None = None, config: dict | None = None,
) -> Integration:
    """A config given replaces the old one, except for secrets it omits (see integration_config)."""
    if config is not None:
        config = _integration_config(kind=integration.kind, stored=integration.config, given=config)
    changes = {k: v for k, v in {"name": name, "enabled": enabled, "config": config}.items() if v is not None}
    for field, value in changes.items():
        setattr(integration, field, value)
    if changes:
        integration.save(update_fields=list(changes))
    return integration


def integration_delete(*, integration: Integration) -> None:
    integration.delete()


def maintenance_window_create(*, service: Service, starts_at: datetime, ends_at: datetime, reason: str = "",
                              created_by: User | None = None) -> MaintenanceWindow:
    return MaintenanceWindow.objects.create(service=service, starts_at=starts_at, ends_at=ends_at, reason=reason,
                                            created_by=created_by)


def maintenance_window_update(*, window: MaintenanceWindow, **changes) -> MaintenanceWindow:
    for field, value in changes.items():
        setattr(window, field, value)
    if changes:
        window.save(update_fields=list(changes))
    return window


def maintenance_window_delete(*, window: MaintenanceWindow) -> None:
    """Ending maintenance early: a window already under way ends now, so its alerts stay explained."""
    now = timezone.now()
    if window.starts_at < now < window.ends_at:
        window.ends_at = now
        window.save(update_fields=["ends_at"])
    else:
        window.delete()
