"""The escalation engine with the console channel (no provider configured): timing by
time_machine, the real database, the real services."""
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_trigger
from notifications.escalation import escalate
from notifications.models import Delivery, OutboxMessage, Page
from notifications.sweep import sweep
from oncall.models import Override
from tests.factories import ServiceFactory
from tests.notifications.engine_helpers import paging_setup, run_due_work


def outbox_to(value):
    return OutboxMessage.objects.filter(to=value).count()


@pytest.fixture
def world(db):
    return paging_setup()


def open_incident(world, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    return incident


def oncall_now(world):
    from oncall.schedules import oncall_users_at

    return oncall_users_at(schedule=world["schedule"], at=timezone.now())[0]


def test_opening_an_incident_kicks_the_engine_after_commit(world, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_incident(world)
    assert [t["args"] for t in sent_tasks.named("notifications.escalate")] == [[incident.pk]]


def test_first_step_pages_whoever_is_on_call_by_their_rules(world, clock):
    incident = open_incident(world)
    person = oncall_now(world)
    run_due_work()
    assert list(Page.objects.values_list("user__username", "step")) == [(person.username, 0)]
    kinds = sorted(Delivery.objects.values_list("kind", "status"))
    if person == world["alice"]:
        assert kinds == [("sms", "sent"), ("voice", "pending")]  # voice waits 2 minutes
        assert outbox_to("+14155550101") == 1
    else:
        assert kinds == [("email", "sent")]
    assert "Paging" in incident.timeline.get(kind="paged").text


def test_rule_delay_sends_the_second_method_later(world, clock):
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=1))
    open_incident(world)
    run_due_work()
    clock.shift(timedelta(minutes=1, seconds=59))
    run_due_work()
    assert Delivery.objects.get(kind="voice").status == "pending"
    clock.shift(timedelta(seconds=2))
    run_due_work()
    assert Delivery.objects.get(kind="voice").status == "sent"


def test_next_step_pages_after_the_step_delay_and_policy_repeats(db, clock):
    world = paging_setup(repeat_count=1)
    open_incident(world)
    run_due_work()
    assert Page.objects.filter(user=world["carol"]).count() == 0
    clock.shift(timedelta(minutes=5))
    run_due_work()
    assert Page.objects.filter(user=world["carol"], step=1, loop=0).count() == 1
    clock.shift(timedelta(minutes=10))
    run_due_work()  # loop 2 starts again at step 1
    assert Page.objects.filter(step=0, loop=1).count() == 1
    clock.shift(timedelta(minutes=5))
    run_due_work()
    clock.shift(timedelta(hours=1))
    run_due_work()
    incident = Incident.objects.get()
    assert Page.objects.count() == 4
    assert incident.next_escalation_at is None
    assert incident.timeline.filter(kind="escalation_exhausted").count() == 1


def test_acknowledging_stops_further_pages_and_cancels_pending_ones(world, clock):
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=1))
    incident = open_incident(world)
    run_due_work()
    incident_acknowledge(incident=incident, by=world["alice"], via="sms")
    clock.shift(timedelta(hours=2))
    run_due_work()
    sweep()
    assert outbox_to("+14155550101") == 1  # the first SMS only, no call
    assert Delivery.objects.get(kind="voice").status == "cancelled"
    assert not Page.objects.filter(user=world["carol"]).exists()


def test_running_a_step_twice_pages_once(world, clock):
    incident = open_incident(world)
    first = escalate(incident_id=incident.pk)
    Incident.objects.filter(pk=incident.pk).update(next_escalation_at=timezone.now(), escalation_step=0)
    second = escalate(incident_id=incident.pk)
    assert first and not second
    assert Page.objects.count() == 1


def test_a_step_with_nobody_on_call_warns_and_moves_on(world, clock):
    world["schedule"].layers.all().delete()
    open_incident(world)
    run_due_work()
    incident = Incident.objects.get()
    assert "Nobody to page at step 1" in incident.timeline.get(kind="warning").text
    clock.shift(timedelta(minutes=5))
    run_due_work()
    assert Page.objects.filter(user=world["carol"]).exists()


def test_service_without_policy_shows_a_warning_once(db, clock):
    incident, _ = incident_trigger(service=ServiceFactory(), title="Disk full", dedup_key="d")
    run_due_work()
    sweep()
    run_due_work()
    assert incident.timeline.filter(kind="no_policy").count() == 1
    incident.refresh_from_db()
    assert incident.next_escalation_at is None


def test_person_without_usable_rules_is_named_on_the_timeline(world, clock):
    world["carol"].contact_methods.update(verified_at=None)
    open_incident(world)
    run_due_work()
    clock.shift(timedelta(minutes=5))
    run_due_work()
    assert "carol has no verified contact method" in " ".join(Incident.objects.get().timeline.values_list("text", flat=True))


def test_sweep_reenqueues_due_work_that_lost_its_message(world, clock, sent_tasks):
    incident = open_incident(world)
    clock.shift(timedelta(seconds=10))
    result = sweep()
    assert result["escalations"] == 1
    assert [incident.pk] in [t["args"] for t in sent_tasks.named("notifications.escalate")]


def test_a_stale_claim_from_a_dead_worker_is_retried(world, clock):
    open_incident(world)
    escalate(incident_id=Incident.objects.get().pk)
    delivery = Delivery.objects.order_by("due_at").first()
    Delivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=timezone.now())
    clock.shift(timedelta(minutes=3))
    assert sweep()["revived"] == 1
    run_due_work()
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_low_urgency_uses_low_rules(world, clock):
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=1))
    incident_trigger(service=world["service"], title="Queue slow", dedup_key="q", urgency="low")
    run_due_work()
    assert list(Delivery.objects.values_list("kind", flat=True)) == ["sms"]  # no call for low urgency


def test_acknowledging_cancels_pending_deliveries_at_once(world, clock, sent_tasks, django_capture_on_commit_callbacks):
    from notifications.tasks import incident_changed

    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=1))
    incident = open_incident(world)
    run_due_work()
    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, by=world["alice"], via="web")
    for task in sent_tasks.named("notifications.incident_changed"):
        incident_changed.apply(args=task["args"]).get()
    assert Delivery.objects.get(kind="voice").status == "cancelled"
