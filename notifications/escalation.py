"""The escalation engine. The database holds the truth; Celery timers are only hints.

`escalate` runs whenever an incident's `next_escalation_at` is due (kicked after commit when the
incident opens, re-kicked by countdown after each step, and found by the sweep if a worker died).
Each run pages one step and moves the incident's position; a run that finds nothing due does
nothing, so running it twice, or on two workers at once, pages once.
"""
import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from config.celery import send_after_commit
from incidents.models import Incident
from incidents.selectors import PlanStep, incident_escalation_plan
from incidents.services import IncidentError, incident_escalate_now, timeline_add
from oncall.policies import step_shadows_at, step_users_at

from .models import Delivery, Page
from .paging import copy_to_shadows, page_people
from .unreachable import page_managers_instead

log = logging.getLogger(__name__)

# The first key of the advisory lock escalators take, so that it cannot clash with another
# advisory lock on the same number (b"vESC").
ESCALATOR_LOCK_NAMESPACE = 0x76455343


def _escalator_lock(incident_id: int) -> bool:
    """Only escalators exclude each other. Alert intake locks the incident row for every alert it
    counts; an escalator that waited for, or stepped aside from, that row would page nobody during
    an alert storm. Returns False when another escalator is on this incident: it does the work."""
    if connection.vendor != "postgresql":
        return True  # SQLite serialises writers (BEGIN IMMEDIATE)
    with connection.cursor() as cursor:
        # The second key is an int4: ids past 2**31 share a lock with another incident, which at
        # worst delays one of them to the next sweep.
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s::int4, %s::int4)",
                       [ESCALATOR_LOCK_NAMESPACE, incident_id % 2**31])
        return cursor.fetchone()[0]


def escalate(*, incident_id: int, now: datetime | None = None) -> list[Delivery]:
    """Page the current step of a due, still-triggered incident and schedule the next step.

    The incident row is read, not locked: every write below is an insert under a unique constraint
    or an update conditional on the position read, so an acknowledgement or a restart committed
    meanwhile wins and this run's position change is dropped."""
    now = now or timezone.now()
    with transaction.atomic():
        if not _escalator_lock(incident_id):
            return []
        incident = Incident.objects.select_related(
            "service__escalation_policy", "escalation_policy", "assignee", "team").filter(pk=incident_id).first()
        if incident is None or incident.status != Incident.Status.TRIGGERED:
            return []
        if incident.next_escalation_at is None or incident.next_escalation_at > now:
            return []
        plan = incident_escalation_plan(incident=incident)
        if not plan.steps:
            deliveries, next_at = page_managers_instead(
                incident=incident, step=0, label="no escalation policy", now=now), None
            _stop(incident, "no_policy", f"Nobody is paged: service {incident.service.name} has no escalation "
                  "policy with steps. Set one on the service.")
        else:
            # Past the end only when the policy lost steps since the position was set: start at the top.
            index = incident.escalation_step if incident.escalation_step < len(plan.steps) else 0
            _record_escalation(incident=incident, index=index, now=now)
            deliveries = _page_step(incident=incident, step=plan.steps[index], index=index, now=now)
            next_at = _advance(incident=incident, index=index, steps=plan.steps, repeat_count=plan.repeat_count,
                               now=now)
        _enqueue(deliveries, incident.pk, next_at)
    return deliveries


def _record_escalation(*, incident: Incident, index: int, now: datetime) -> None:
    """A step reached because nobody acknowledged the one before is an escalation, on the timeline
    (and so to outgoing webhooks). The first step paged in a round is not: that round began with a
    trigger, a reopen, or a person's action (escalate now, reassign), which wrote its own line."""
    if not Page.objects.filter(incident_id=incident.pk, round=incident.paging_round).exists():
        return
    label = f"step {index + 1}" + (f", repeat {incident.escalation_loop}" if incident.escalation_loop else "")
    timeline_add(incident=incident, kind="escalated", at=now,
                 text=f"Nobody acknowledged in time: escalating to {label}",
                 data={"step": index, "loop": incident.escalation_loop, "automatic": True})


def _page_step(*, incident: Incident, step: PlanStep, index: int, now: datetime) -> list[Delivery]:
    label = f"step {index + 1}" + (f", repeat {incident.escalation_loop}" if incident.escalation_loop else "")
    if step.person is not None:
        users = [step.person] if step.person.is_active else []
        reason = Page.Reason.ASSIGNED
    else:
        users = step_users_at(step=step.policy_step, at=now)
        reason = Page.Reason.STEP
    if not users:
        timeline_add(incident=incident, kind="warning", at=now,
                     text=f"Nobody to page at {label}: no one is on call for its targets.")
    deliveries, reached = page_people(incident=incident, users=users, step=index, reason=reason, label=label, now=now)
    if step.person is None:
        deliveries += copy_to_shadows(incident=incident, shadows=step_shadows_at(step=step.policy_step, at=now),
                                      paged=users, step=index, label=label, now=now)
    if reached:
        if incident.unreachable_since is not None:
            Incident.objects.filter(pk=incident.pk, paging_round=incident.paging_round).update(unreachable_since=None)
        return deliveries
    return deliveries + page_managers_instead(incident=incident, step=index, label=label, now=now)


def _advance(*, incident: Incident, index: int, steps: list, repeat_count: int, now: datetime) -> datetime | None:
    """Move to the next step (or loop); returns when it is due, None when the policy is done or
    someone acknowledged or restarted paging since the incident was read."""
    step, loop = index + 1, incident.escalation_loop
    if step >= len(steps):
        step, loop = 0, loop + 1
    as_read = Incident.objects.filter(
        pk=incident.pk, status=Incident.Status.TRIGGERED, paging_round=incident.paging_round,
        escalation_step=incident.escalation_step, escalation_loop=incident.escalation_loop)
    if loop > repeat_count:
        if as_read.update(next_escalation_at=None, escalation_step=len(steps)):
            timeline_add(incident=incident, kind="escalation_exhausted", at=now,
                         text="The escalation policy has run out of steps; nobody more will be paged.")
        return None
    next_at = now + timedelta(minutes=steps[index].delay_minutes)
    if not as_read.update(escalation_step=step, escalation_loop=loop, next_escalation_at=next_at):
        return None
    return next_at


def _stop(incident: Incident, kind: str, text: str) -> None:
    Incident.objects.filter(pk=incident.pk, status=Incident.Status.TRIGGERED,
                            paging_round=incident.paging_round).update(next_escalation_at=None)
    if not incident.timeline.filter(kind=kind).exists():
        timeline_add(incident=incident, kind=kind, text=text)


def _enqueue(deliveries: list[Delivery], incident_id: int, next_at: datetime | None) -> None:
    """Hints for the workers, sent after commit; if any is lost the sweep finds the due rows anyway."""
    now = timezone.now()
    for delivery in deliveries:
        countdown = max(0.0, (delivery.due_at - now).total_seconds())
        send_after_commit("notifications.deliver", args=[delivery.pk], countdown=countdown)
    if next_at is not None:
        send_after_commit("notifications.escalate", args=[incident_id],
                          countdown=max(0.0, (next_at - now).total_seconds()))


def escalate_now(*, incident: Incident, by=None, via: str = "voice") -> bool:
    """Skip the wait: page the next step at once (a responder pressed 3 on the call). Kept for the
    inbound channels; the state change is incidents' incident_escalate_now."""
    try:
        incident_escalate_now(incident=incident, by=by, via=via)
    except IncidentError:
        return False
    return True
