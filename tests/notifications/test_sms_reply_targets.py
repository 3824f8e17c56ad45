"""Which incident an SMS reply acts on: a bare 'ack' takes the newest incident still paging the
person, says what else still pages them, and 'ack all' takes every one of them."""
from datetime import timedelta

import pytest

from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_trigger
from notifications.channels.twilio_sms import GSM7_SEGMENT
from tests.factories import IncidentFactory, ServiceFactory
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work
from tests.notifications.twilio_webhooks import send_sms

ALICE = "+14155550101"


@pytest.fixture
def world(db, twilio_fake):
    w = paging_setup()
    alice_on_call(w)
    return w


def page_alice(world, clock, title):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    run_due_work()
    clock.shift(timedelta(seconds=10))  # pages are sent one after the other, not in the same instant
    return incident


def statuses(*incidents):
    return [Incident.objects.get(pk=i.pk).status for i in incidents]


def test_bare_ack_skips_the_newest_page_when_it_is_already_handled(world, client, clock):
    older = page_alice(world, clock, "older fire")
    newer = page_alice(world, clock, "newer fire")
    incident_acknowledge(incident=newer, by=world["bob"], via="web")
    reply = send_sms(client, "ack", from_=ALICE)
    assert f"Acknowledged #{older.number}" in reply.content.decode()
    assert statuses(older, newer) == ["acknowledged", "acknowledged"]
    assert Incident.objects.get(pk=older.pk).acknowledged_by == world["alice"]


def test_bare_ack_says_how_many_incidents_still_page_you_in_one_segment(world, client, clock):
    first = page_alice(world, clock, "first fire " + "x" * 60)
    second = page_alice(world, clock, "second fire " + "x" * 60)
    third = page_alice(world, clock, "third fire " + "x" * 60)
    reply = send_sms(client, "ack", from_=ALICE).content.decode()
    assert statuses(first, second, third) == ["triggered", "triggered", "acknowledged"]
    text = reply.split("<Message>")[1].split("</Message>")[0]
    assert "2 more incidents still paging you" in text and "'ack all'" in text and f"'ack {second.number}'" in text
    assert len(text) <= GSM7_SEGMENT


def test_bare_ack_with_nothing_paging_you_changes_nothing_and_says_so(world, client, clock):
    incident = page_alice(world, clock, "fire")
    incident_acknowledge(incident=incident, by=world["bob"], via="web")
    reply = send_sms(client, "ack", from_=ALICE).content.decode()
    assert "Nothing is paging you now" in reply
    assert Incident.objects.get(pk=incident.pk).acknowledged_by == world["bob"]


def test_ack_all_acknowledges_every_incident_paging_you_and_nothing_else(world, twilio_fake, client, clock):
    mine = [page_alice(world, clock, f"fire {i}") for i in range(6)]
    handled = page_alice(world, clock, "already handled")
    incident_acknowledge(incident=handled, by=world["bob"], via="web")
    not_paging_alice = IncidentFactory(service=ServiceFactory(team=world["team"]), title="nobody paged")
    reply = send_sms(client, "ACK ALL", from_=ALICE).content.decode()
    assert "Acknowledged 6 incidents" in reply
    assert statuses(*mine) == ["acknowledged"] * 6
    assert {i.acknowledged_by for i in Incident.objects.filter(pk__in=[i.pk for i in mine])} == {world["alice"]}
    assert Incident.objects.get(pk=handled.pk).acknowledged_by == world["bob"]
    assert statuses(not_paging_alice) == ["triggered"]
    texts_so_far = twilio_fake.sent_to(ALICE)
    clock.shift(timedelta(minutes=30))
    run_due_work()
    assert twilio_fake.sent_to(ALICE) == texts_so_far and twilio_fake.calls_to(ALICE) == 0


def test_resolve_all_is_refused_with_an_explanation(world, client, clock):
    first = page_alice(world, clock, "first")
    second = page_alice(world, clock, "second")
    reply = send_sms(client, "resolve all", from_=ALICE).content.decode()
    assert "one at a time" in reply
    assert statuses(first, second) == ["triggered", "triggered"]


def test_bare_resolve_after_ack_resolves_the_one_open_incident(world, client, clock):
    incident = page_alice(world, clock, "fire")
    send_sms(client, "ack", from_=ALICE)
    reply = send_sms(client, "resolve", from_=ALICE).content.decode()
    assert f"Resolved #{incident.number}" in reply
    assert statuses(incident) == ["resolved"]


def test_bare_resolve_with_several_open_incidents_asks_for_the_number(world, client, clock):
    first = page_alice(world, clock, "first")
    second = page_alice(world, clock, "second")
    send_sms(client, "ack all", from_=ALICE)
    reply = send_sms(client, "resolve", from_=ALICE).content.decode()
    assert f"'resolve {second.number}'" in reply
    assert statuses(first, second) == ["acknowledged", "acknowledged"]
