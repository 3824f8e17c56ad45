"""Restarting paging on purpose: escalate now, un-acknowledge, reassign, and acknowledgements that
time out. Each bumps the paging round (a page is unique per round, so people paged before are
paged again, once), puts the incident back to triggered, and kicks the engine after commit."""
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oncall.models import EscalationPolicy

from ..models import Incident, Service, TimelineEvent
from ..selectors import incident_escalation_plan
from .errors import IncidentError
from .lifecycle import Status, kick_engine, transition, who_did


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
        restarted = transition(
            incident=current, to=Status.TRIGGERED, allowed_from=allowed_from, by=by, via=via, kind=kind, text=text,
            at=now, data=data, expect={"paging_round": current.paging_round, **(expect or {})},
            changes={"acknowledged_at": None, "acknowledged_by": None, "next_escalation_at": now,
                     "escalation_step": step, "escalation_loop": loop, "paging_round": F("paging_round") + 1,
                     **(changes or {})},
        )
        kick_engine(restarted.pk)
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
        text=f"Escalated to the next step by {who_did(by)}", position=_next_step,
    )


def incident_unacknowledge(*, incident: Incident, by: User | None, via: str, reason: str = "") -> Incident:
    """Back to triggered: the step that was paging when it was acknowledged is paged again, and
    the policy goes on from there."""
    return _restart_paging(
        incident=incident, allowed_from=(Status.ACKNOWLEDGED,), by=by, via=via, kind="unacknowledged",
        text=reason or f"Un-acknowledged by {who_did(by)}: paging resumes", position=_step_paged_last,
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
        text=f"Reassigned to {target} by {who_did(by)}", position=lambda current: (0, 0), changes=changes, data=data,
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
