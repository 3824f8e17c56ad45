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
from incidents.services import timeline_add
from oncall.models import NotificationRule
from oncall.policies import step_users_at

from .models import Delivery, Page

log = logging.getLogger(__name__)


def _locked_incident(incident_id: int) -> Incident | None:
    qs = Incident.objects.select_related("service", "service__escalation_policy").filter(pk=incident_id)
    if connection.vendor == "postgresql":
        # Another worker escalating this incident right now holds the row: skip rather than wait,
        # it is doing the work. (SQLite serialises writers with BEGIN IMMEDIATE instead.)
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return qs.first()


def escalate(*, incident_id: int, now: datetime | None = None) -> list[Delivery]:
    """Page the current step of a due, still-triggered incident and schedule the next step."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = _locked_incident(incident_id)
        if incident is None or incident.status != Incident.Status.TRIGGERED:
            return []
        if incident.next_escalation_at is None or incident.next_escalation_at > now:
            return []
        policy = incident.service.escalation_policy
        steps = list(policy.steps.order_by("position")) if policy else []
        if not steps:
            _stop(incident, "no_policy", f"Nobody is paged: service {incident.service.name} has no escalation "
                  "policy with steps. Set one on the service.")
            return []
        step = steps[incident.escalation_step % len(steps)]
        deliveries = _page_step(incident=incident, step=step, now=now)
        next_at = _advance(incident=incident, steps=steps, repeat_count=policy.repeat_count,
                           delay=step.delay_minutes, now=now)
        _enqueue(deliveries, incident.pk, next_at)
    return deliveries


def _page_step(*, incident: Incident, step, now: datetime) -> list[Delivery]:
    label = f"step {incident.escalation_step + 1}" + (f", repeat {incident.escalation_loop}" if incident.escalation_loop else "")
    users = step_users_at(step=step, at=now)
    if not users:
        timeline_add(incident=incident, kind="warning", at=now,
                     text=f"Nobody to page at {label}: no one is on call for its targets. Moving on.")
        return []
    deliveries: list[Delivery] = []
    for user in users:
        page, created = Page.objects.get_or_create(
            incident=incident, user=user, step=incident.escalation_step, loop=incident.escalation_loop,
            defaults={"created_at": now})
        if not created:
            continue
        made = _deliveries_for(page=page, urgency=incident.urgency, now=now)
        deliveries += made
        if made:
            timeline_add(incident=incident, kind="paged", at=now, actor=None,
                         text=f"Paging {user.get_username()} ({label}): " + ", ".join(
                             f"{d.kind} {'now' if d.due_at <= now else 'at +' + str(int((d.due_at - now).total_seconds() // 60)) + ' min'}"
                             for d in made),
                         data={"user": user.pk, "step": incident.escalation_step, "loop": incident.escalation_loop})
        else:
            timeline_add(incident=incident, kind="warning", at=now,
                         text=f"{user.get_username()} has no verified contact method for {incident.urgency}-urgency "
                              f"pages ({label}): they cannot be reached.", data={"user": user.pk})
    return deliveries


def _deliveries_for(*, page: Page, urgency: str, now: datetime) -> list[Delivery]:
    rules = NotificationRule.objects.filter(
        user_id=page.user_id, urgency=urgency, contact_method__verified_at__isnull=False,
        contact_method__disabled_at__isnull=True,
    ).select_related("contact_method").order_by("delay_minutes", "id")
    return Delivery.objects.bulk_create([
        Delivery(page=page, contact_method=rule.contact_method, rule=rule, kind=rule.contact_method.kind,
                 due_at=now + timedelta(minutes=rule.delay_minutes))
        for rule in rules
    ])


def _advance(*, incident: Incident, steps: list, repeat_count: int, delay: int, now: datetime) -> datetime | None:
    """Move to the next step (or loop); returns when it is due, None when the policy is done."""
    step, loop = incident.escalation_step + 1, incident.escalation_loop
    if step >= len(steps):
        step, loop = 0, loop + 1
    if loop > repeat_count:
        Incident.objects.filter(pk=incident.pk).update(
            next_escalation_at=None, escalation_step=len(steps), escalation_loop=incident.escalation_loop)
        timeline_add(incident=incident, kind="escalation_exhausted", at=now,
                     text="The escalation policy has run out of steps; nobody more will be paged.")
        return None
    next_at = now + timedelta(minutes=delay)
    Incident.objects.filter(pk=incident.pk).update(escalation_step=step, escalation_loop=loop, next_escalation_at=next_at)
    return next_at


def _stop(incident: Incident, kind: str, text: str) -> None:
    Incident.objects.filter(pk=incident.pk).update(next_escalation_at=None)
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
    """Skip the wait: page the next step at once (a responder pressed 3 on the call)."""
    with transaction.atomic():
        moved = Incident.objects.filter(pk=incident.pk, status=Incident.Status.TRIGGERED,
                                        next_escalation_at__isnull=False).update(next_escalation_at=timezone.now())
        if moved:
            timeline_add(incident=incident, kind="escalated", actor=by, via=via,
                         text=f"Escalated to the next step by {by.get_username() if by else 'the system'}")
            send_after_commit("notifications.escalate", args=[incident.pk])
    return bool(moved)
