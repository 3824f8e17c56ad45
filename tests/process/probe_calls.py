"""Functions that run inside a DjangoProbe, where Django is set up: `probe(seed_paging, ...)`.

They import Django and the apps inside their bodies, so that importing this module needs no Django.
"""
from __future__ import annotations

import time


def seed_paging(*, team: str, people: dict, steps: list, on_call: list[str] | None = None,
                repeat_count: int = 0) -> dict:
    """One team, service, escalation policy and generic integration.

    people: {"alice": {"sms": ["+14155550101", [["high", 0]]], "voice": [...]}} — verified
        contact methods and their notification rules (urgency, delay in minutes).
    on_call: people of a weekly "Primary" schedule (the first is on call this week if alone).
    steps: [[delay_minutes, ["alice", "schedule", ...]], ...]. The delay is written to the row
        directly, so 0 (the next step is due at once) is possible, below the editor's 1 minute.
    Returns ids, usernames and the integration's path (with its token).
    """
    from datetime import date, time as clock

    from django.contrib.auth.models import User
    from django.utils import timezone

    from incidents.models import Service
    from incidents.services import integration_create
    from oncall import contacts, policies, schedules
    from oncall.models import EscalationStep, Layer, Membership, Schedule, Team

    team_row = Team.objects.create(name=team, slug=team.lower().replace(" ", "-"))
    users, methods = {}, {}
    for name, kinds in people.items():
        user = User.objects.create_user(username=name, email=f"{name}@example.com")
        Membership.objects.create(team=team_row, user=user, role=Membership.Role.RESPONDER)
        users[name] = user
        for kind, (value, rules) in kinds.items():
            method = contacts.contact_method_create(user=user, kind=kind, value=value)
            method.verified_at = timezone.now()
            method.save(update_fields=["verified_at"])
            methods.setdefault(name, {})[kind] = method.pk
            for urgency, delay in rules:
                contacts.notification_rule_create(user=user, urgency=urgency, contact_method=method,
                                                  delay_minutes=delay)
    schedule = None
    if on_call:
        schedule = Schedule.objects.create(team=team_row, name="Primary", time_zone="UTC")
        layer = Layer.objects.create(schedule=schedule, turn_unit="weeks", turn_length=1, handoff_time=clock(9),
                                     start_date=date(2020, 1, 6))
        schedules.layer_participants_set(layer=layer, users=[users[n] for n in on_call])

    def target(name: str) -> dict:
        return {"kind": "schedule", "id": schedule.pk} if name == "schedule" else {"kind": "user", "id": users[name].pk}

    policy = policies.policy_create(team=team_row, name="Paging", repeat_count=repeat_count, steps=[
        {"delay_minutes": 1, "targets": [target(n) for n in names]} for _delay, names in steps])
    for position, (delay, _names) in enumerate(steps):
        EscalationStep.objects.filter(policy=policy, position=position).update(delay_minutes=delay)
    service = Service.objects.create(team=team_row, name=f"{team} service", escalation_policy=policy)
    _, token = integration_create(service=service, kind="generic", name="monitor")
    return {"team": team_row.pk, "service": service.pk, "policy": policy.pk,
            "users": {n: u.pk for n, u in users.items()}, "methods": methods,
            "integration_path": f"/integrations/{token}/"}


def trigger(*, service: int, title: str, dedup_key: str) -> dict:
    """Open an incident as an alert would (the engine is kicked after commit)."""
    from incidents.models import Service
    from incidents.services import incident_trigger

    incident, _ = incident_trigger(service=Service.objects.get(pk=service), title=title, dedup_key=dedup_key)
    return {"id": incident.pk, "number": incident.number}


def send_task(*, name: str, args: list | None = None, **options) -> float:
    """Send a task through the stack's broker; returns the wall-clock time it was sent."""
    from celery import current_app

    current_app.send_task(name, args=args or [], **options)
    return time.time()


def incident_state(*, incident: int) -> dict:
    """The engine's view of one incident: status, position, pages, deliveries and timeline."""
    from incidents.models import Incident
    from notifications.models import Delivery, Page

    row = Incident.objects.get(pk=incident)
    return {
        "number": row.number, "status": row.status, "step": row.escalation_step, "loop": row.escalation_loop,
        "next_escalation_at": row.next_escalation_at,
        "pages": [{"user": p.user.username, "step": p.step, "loop": p.loop}
                  for p in Page.objects.filter(incident=row).select_related("user")],
        "deliveries": [{"id": d.pk, "user": d.page.user.username, "kind": d.kind, "status": d.status,
                        "attempts": d.attempts, "provider_id": d.provider_id, "error": d.error}
                       for d in Delivery.objects.filter(page__incident=row).select_related("page__user")],
        "timeline": [{"kind": e.kind, "text": e.text, "data": e.data} for e in row.timeline.order_by("at", "id")],
    }
