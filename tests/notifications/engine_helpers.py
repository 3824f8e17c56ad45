"""Building blocks for engine tests: a team with a policy, and running due work in-process."""
from datetime import date, time, timedelta

from django.utils import timezone

from incidents.models import Incident
from notifications.delivery import deliver
from notifications.escalation import escalate
from notifications.models import Delivery
from oncall import contacts, policies, schedules
from oncall.models import Layer, Override, Schedule
from tests.factories import MembershipFactory, ServiceFactory, UserFactory


def verified(user, kind, value, *rules):
    """A verified contact method with the given (urgency, delay) rules (default: none)."""
    method = contacts.contact_method_create(user=user, kind=kind, value=value)
    method.verified_at = timezone.now()
    method.save(update_fields=["verified_at"])
    for urgency, delay in rules:
        contacts.notification_rule_create(user=user, urgency=urgency, contact_method=method, delay_minutes=delay)
    return method


def paging_setup(*, repeat_count=0, step_delays=(5, 10)):
    """checkout service; policy step 1 = the weekly 'Primary' schedule (alice, then bob),
    step 2 = carol. alice: SMS at once, voice at +2 min; bob: email; carol: SMS."""
    service = ServiceFactory(name="checkout")
    team = service.team
    alice, bob, carol = (MembershipFactory(team=team, user=UserFactory(username=n)).user for n in ("alice", "bob", "carol"))
    verified(alice, "sms", "+14155550101", ("high", 0), ("low", 0))
    verified(alice, "voice", "+14155550101", ("high", 2))
    verified(bob, "email", "bob@example.com", ("high", 0), ("low", 0))
    verified(carol, "sms", "+14155550103", ("high", 0))
    schedule = Schedule.objects.create(team=team, name="Primary", time_zone="UTC")
    layer = Layer.objects.create(schedule=schedule, turn_unit="weeks", turn_length=1, handoff_time=time(9),
                                 start_date=date(2020, 1, 6))
    schedules.layer_participants_set(layer=layer, users=[alice, bob])
    policy = policies.policy_create(team=team, name="Checkout", repeat_count=repeat_count, steps=[
        {"delay_minutes": step_delays[0], "targets": [{"kind": "schedule", "id": schedule.pk}]},
        {"delay_minutes": step_delays[1], "targets": [{"kind": "user", "id": carol.pk}]},
    ])
    service.escalation_policy = policy
    service.save(update_fields=["escalation_policy"])
    return {"service": service, "team": team, "alice": alice, "bob": bob, "carol": carol, "schedule": schedule,
            "policy": policy}


def alice_on_call(world: dict, *, days: int = 2) -> dict:
    """alice holds the world's schedule from an hour ago for `days`, whatever the weekly rotation says."""
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=days))
    return world


def run_due_work() -> int:
    """What the workers and the sweep would do by now: escalate due incidents, send due deliveries."""
    done = 0
    while True:
        now = timezone.now()
        due_incidents = list(Incident.objects.filter(
            status="triggered", next_escalation_at__lte=now).values_list("pk", flat=True))
        due_deliveries = list(Delivery.objects.filter(status="pending", due_at__lte=now).values_list("pk", flat=True))
        if not due_incidents and not due_deliveries:
            return done
        for pk in due_incidents:
            escalate(incident_id=pk)
        for pk in due_deliveries:
            deliver(delivery_id=pk)
        done += len(due_incidents) + len(due_deliveries)
