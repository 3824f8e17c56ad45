"""Paging rounds: every action that restarts paging on purpose (reopen, un-acknowledge, reassign,
escalate now, an acknowledgement that timed out) pages again, exactly once per person."""
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections, transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_reopen, incident_resolve, incident_trigger
from notifications.escalation import escalate
from notifications.models import Delivery, OutboxMessage, Page
from oncall.models import Override
from tests.notifications.engine_helpers import paging_setup, run_due_work

ALICE_SMS = "+14155550101"


@pytest.fixture
def world(db):
    world = paging_setup()
    # alice holds the primary schedule for the whole test, whatever the date.
    Override.objects.create(schedule=world["schedule"], user=world["alice"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=30))
    return world


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def open_incident(world, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    return incident


def sms_to(value):
    return OutboxMessage.objects.filter(to=value, kind="sms").count()


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
