"""Paging rounds: every action that restarts paging on purpose (reopen, un-acknowledge, reassign,
escalate now, an acknowledgement that timed out) pages again, exactly once per person."""
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.services import (
    AlreadyHandled,
    IncidentError,
    InvalidTransition,
    incident_acknowledge,
    incident_escalate_now,
    incident_mitigate,
    incident_reassign,
    incident_reopen,
    incident_resolve,
    incident_trigger,
    incident_unacknowledge,
    incidents_ack_timeouts_expire,
)
from incidents.tasks import ack_timeouts_expire
from notifications import escalation
from notifications.escalation import escalate
from notifications.models import Delivery, OutboxMessage, Page
from oncall import policies
from oncall.models import Override
from tests.factories import ServiceFactory
from tests.notifications.engine_helpers import paging_setup, run_due_work

ALICE_SMS = "+14155550101"


@pytest.fixture
def world(db):
    world = paging_setup()
    # alice holds the primary schedule for the whole test, whatever the date.
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=30))
    return world


def open_incident(world, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    return incident


def sms_to(value):
    return OutboxMessage.objects.filter(to=value, kind="sms").count()


def paged(world, name, **filters):
    return Page.objects.filter(user=world[name], **filters).count()


def kinds(incident):
    return list(incident.timeline.values_list("kind", flat=True))


def test_reopened_incident_pages_again_from_the_first_step_once_per_person(world, clock):
    incident = open_incident(world)
    run_due_work()
    incident_resolve(incident=incident, by=world["bob"], via="web")
    clock.shift(timedelta(minutes=30))
    incident_reopen(incident=incident, by=world["bob"], via="web")
    run_due_work()
    Incident.objects.filter(pk=incident.pk).update(next_escalation_at=timezone.now(), escalation_step=0)
    escalate(incident_id=incident.pk)  # the same step run twice in the new round
    assert Page.objects.filter(user=world["alice"], step=0, loop=0).count() == 2
    assert sms_to(ALICE_SMS) == 2
    assert not incident.timeline.filter(kind="escalation_exhausted").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_escalation_pages_while_alert_intake_holds_the_incident_row():
    assert connection.vendor == "postgresql"
    world = paging_setup()
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=1))
    incident = open_incident(world)
    counted, release, started = threading.Event(), threading.Event(), threading.Event()
    result: dict = {}

    def alert_storm_transaction():
        # One alert counted on the open incident, its transaction still open (as under a storm).
        try:
            with transaction.atomic():
                incident_trigger(service=world["service"], title="again", dedup_key=incident.dedup_key)
                counted.set()
                release.wait(timeout=60)
        finally:
            connections.close_all()

    def escalator():
        try:
            connection.ensure_connection()
            result["pid"] = connection.connection.info.backend_pid
            started.set()
            result["deliveries"] = escalate(incident_id=incident.pk)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            result["error"] = e
        finally:
            connections.close_all()

    intake = threading.Thread(target=alert_storm_transaction)
    intake.start()
    assert counted.wait(timeout=60)
    engine = threading.Thread(target=escalator)
    engine.start()
    # Let intake commit once the escalator has either finished or is queued behind the row lock
    # (a wait of milliseconds in production, not a skipped step).
    assert started.wait(timeout=60)
    with connection.cursor() as cursor:
        for _ in range(6000):
            if not engine.is_alive():
                break
            cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [result["pid"]])
            if cursor.fetchone()[0]:
                break
            engine.join(timeout=0.01)
    release.set()
    intake.join()
    engine.join()
    assert "error" not in result, result
    assert result["deliveries"], "the escalator stepped aside for alert intake and paged nobody"
    assert Page.objects.filter(incident=incident, user=world["alice"]).count() == 1
    assert Delivery.objects.filter(page__incident=incident).count() == 2
    incident.refresh_from_db()
    assert incident.alert_count == 2
    assert incident.escalation_step == 1


def test_unacknowledging_pages_the_step_that_was_paging_again_then_goes_on(world, clock):
    incident = open_incident(world)
    run_due_work()
    incident_acknowledge(incident=incident, by=world["alice"], via="sms")
    clock.shift(timedelta(minutes=20))
    incident = incident_unacknowledge(incident=incident, by=world["bob"], via="web")
    assert incident.status == "triggered" and incident.acknowledged_by is None
    run_due_work()
    assert paged(world, "alice", step=0) == 2
    assert paged(world, "carol") == 0
    clock.shift(timedelta(minutes=5))
    run_due_work()
    assert paged(world, "carol", step=1, round=1) == 1
    event = incident.timeline.get(kind="unacknowledged")
    assert (event.actor, event.via) == (world["bob"], "web")


def test_unacknowledging_what_is_not_acknowledged_is_refused(world, clock):
    incident = open_incident(world)
    with pytest.raises(AlreadyHandled, match="already triggered"):
        incident_unacknowledge(incident=incident, by=world["bob"], via="web")
    incident_resolve(incident=incident, by=world["bob"], via="web")
    with pytest.raises(InvalidTransition, match="resolved"):
        incident_unacknowledge(incident=incident, by=world["bob"], via="web")


def test_escalate_now_pages_the_next_step_without_waiting(world, clock):
    incident = open_incident(world)
    run_due_work()
    incident_escalate_now(incident=incident, by=world["alice"], via="web")
    run_due_work()
    assert paged(world, "carol", step=1) == 1
    assert sms_to("+14155550103") == 1
    event = incident.timeline.get(kind="escalated")
    assert (event.actor, event.via) == (world["alice"], "web")


def test_escalate_now_on_an_acknowledged_incident_triggers_it_and_pages_the_next_step(world, clock):
    incident = open_incident(world)
    run_due_work()
    incident_acknowledge(incident=incident, by=world["alice"], via="sms")
    incident = incident_escalate_now(incident=incident, by=world["alice"], via="api")
    assert incident.status == "triggered"
    run_due_work()
    assert paged(world, "carol", step=1) == 1


def test_escalate_now_after_the_policy_ran_out_starts_it_over(world, clock):
    incident = open_incident(world)
    run_due_work()
    clock.shift(timedelta(minutes=5))
    run_due_work()
    clock.shift(timedelta(minutes=10))
    run_due_work()
    assert incident.timeline.filter(kind="escalation_exhausted").exists()
    incident_escalate_now(incident=incident, by=world["bob"], via="web")
    run_due_work()
    assert paged(world, "alice", step=0) == 2


def test_voice_keypress_escalation_goes_through_the_incident_service(world, clock):
    incident = open_incident(world)
    run_due_work()
    assert escalation.escalate_now(incident=incident, by=world["alice"], via="voice")
    run_due_work()
    assert paged(world, "carol") == 1
    incident_resolve(incident=incident, by=world["alice"], via="web")
    assert not escalation.escalate_now(incident=incident, by=world["alice"], via="voice")


def test_reassigning_to_a_person_pages_them_at_once_and_then_the_policy(world, clock):
    incident = open_incident(world)
    run_due_work()
    incident_acknowledge(incident=incident, by=world["alice"], via="sms")
    incident = incident_reassign(incident=incident, by=world["alice"], via="web", to_user=world["bob"])
    assert (incident.status, incident.assignee) == ("triggered", world["bob"])
    run_due_work()
    assert Page.objects.get(user=world["bob"]).reason == Page.Reason.ASSIGNED
    assert paged(world, "alice") == 1
    clock.shift(timedelta(minutes=5))  # bob gets as long as the policy's first step
    run_due_work()
    assert paged(world, "alice") == 2
    assert incident.timeline.get(kind="reassigned").text == "Reassigned to bob by alice"


def test_reassigning_to_another_policy_pages_its_first_step(world, clock):
    incident = open_incident(world)
    run_due_work()
    database = policies.policy_create(team=world["team"], name="Database", steps=[
        {"delay_minutes": 10, "targets": [{"kind": "user", "id": world["carol"].pk}]}])
    incident_reassign(incident=incident, by=world["alice"], via="api", to_policy=database)
    run_due_work()
    assert paged(world, "carol", step=0, round=1) == 1
    clock.shift(timedelta(minutes=10))
    run_due_work()
    incident.refresh_from_db()
    assert paged(world, "alice") == 1  # the service's policy is no longer paged
    assert incident.next_escalation_at is None
    assert "escalation policy Database" in incident.timeline.get(kind="reassigned").text


def test_reassigning_needs_exactly_one_target(world):
    incident = open_incident(world)
    with pytest.raises(IncidentError):
        incident_reassign(incident=incident, by=world["alice"], via="web")


def test_acknowledgement_expires_after_the_services_timeout(world, clock):
    world["service"].ack_timeout_minutes = 30
    world["service"].save(update_fields=["ack_timeout_minutes"])
    incident = open_incident(world)
    run_due_work()
    incident_acknowledge(incident=incident, by=world["alice"], via="sms")
    clock.shift(timedelta(minutes=29))
    assert incidents_ack_timeouts_expire() == 0
    clock.shift(timedelta(minutes=2))
    ack_timeouts_expire.apply().get()  # what beat runs every half minute
    assert incidents_ack_timeouts_expire() == 0
    incident.refresh_from_db()
    assert incident.status == "triggered"
    assert "acknowledgement by alice expired" in incident.timeline.get(kind="ack_timeout").text
    run_due_work()
    assert paged(world, "alice", round=1) == 1


def test_mitigated_incidents_and_services_without_a_timeout_keep_their_acknowledgement(world, clock):
    world["service"].ack_timeout_minutes = 30
    world["service"].save(update_fields=["ack_timeout_minutes"])
    mitigated = open_incident(world, "one")
    incident_mitigate(incident=mitigated, by=world["alice"], via="web")
    other = open_incident({"service": ServiceFactory(team=world["team"])}, "two")
    incident_acknowledge(incident=other, by=world["alice"], via="web")
    clock.shift(timedelta(hours=5))
    assert incidents_ack_timeouts_expire() == 0
    assert set(Incident.objects.values_list("status", flat=True)) == {"mitigated", "acknowledged"}


def test_an_acknowledgement_during_a_step_is_not_undone_by_the_escalator(world, clock, monkeypatch):
    incident = open_incident(world)
    page_step = escalation._page_step

    def acknowledged_meanwhile(**kwargs):
        made = page_step(**kwargs)
        incident_acknowledge(incident=incident, by=world["alice"], via="sms")
        return made

    monkeypatch.setattr(escalation, "_page_step", acknowledged_meanwhile)
    escalate(incident_id=incident.pk)
    incident.refresh_from_db()
    assert (incident.status, incident.next_escalation_at, incident.escalation_step) == ("acknowledged", None, 0)


def test_beat_looks_for_expired_acknowledgements(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert ack_timeouts_expire.name in tasks


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_escalators_running_at_once_page_each_person_once():
    world = paging_setup()
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=1))
    incident = open_incident(world)
    barrier = threading.Barrier(4)
    errors = []

    def escalator():
        try:
            barrier.wait(timeout=60)
            escalate(incident_id=incident.pk)
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=escalator) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Page.objects.filter(incident=incident).count() == 1
    assert Delivery.objects.filter(page__incident=incident).count() == 2
    incident.refresh_from_db()
    assert incident.escalation_step == 1


def test_a_step_reached_because_nobody_acknowledged_is_an_escalation_on_the_timeline(world, clock):
    incident = open_incident(world)
    run_due_work()
    assert not incident.timeline.filter(kind="escalated").exists()  # the first step is no escalation
    clock.shift(timedelta(minutes=5))
    run_due_work()
    [event] = incident.timeline.filter(kind="escalated")
    assert event.actor is None and event.data == {"step": 1, "loop": 0, "automatic": True}
    assert "step 2" in event.text


def test_escalating_now_is_one_escalation_not_two(world, clock):
    incident = open_incident(world)
    run_due_work()
    incident_escalate_now(incident=incident, by=world["alice"], via="web")
    run_due_work()
    assert incident.timeline.filter(kind="escalated").count() == 1
