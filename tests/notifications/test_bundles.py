"""The per-number limit (5 SMS or calls per 15 minutes) holds repeats and low-urgency pages and
sends them as one bundle that names every incident it carries; the first page about a new
high-urgency incident waits at most a minute."""
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_trigger
from notifications.channels.twilio_sms import sms_cost
from notifications.delivery import HELD
from notifications.models import Delivery
from oncall.contacts import notification_rule_create
from oncall.models import ContactMethod
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work
from tests.notifications.test_paging_twilio import signed_post
from tests.notifications.twilio_webhooks import press

ALICE = "+14155550101"


@pytest.fixture
def world(db, twilio_fake):
    """alice is on call: SMS at once (high and low urgency), a call after 2 minutes (high)."""
    w = paging_setup(step_delays=(60, 60))  # nobody else is paged within the hour
    alice_on_call(w)
    return w


def trigger(world, title, urgency="high"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title, urgency=urgency)
    run_due_work()
    return incident


def sms_bodies(twilio_fake):
    return [m["body"] for m in twilio_fake.messages if m["to"] == ALICE]


def fill_the_window(world, clock):
    for i in range(5):
        trigger(world, f"filler {i}")
    clock.shift(timedelta(seconds=10))


def test_the_first_page_of_a_new_high_urgency_incident_waits_at_most_a_minute(world, twilio_fake, clock):
    fill_the_window(world, clock)
    fire = trigger(world, "Payments down")
    held = Delivery.objects.get(kind="sms", page__incident=fire)
    assert (held.status, held.error) == ("pending", HELD)
    assert held.due_at - timezone.now() <= timedelta(seconds=60)

    clock.shift(timedelta(seconds=50))  # a minute after the last SMS to the number
    run_due_work()
    assert len(sms_bodies(twilio_fake)) == 6 and "Payments down" in sms_bodies(twilio_fake)[-1]


def test_low_urgency_pages_still_wait_for_the_window(world, twilio_fake, clock):
    fill_the_window(world, clock)
    trigger(world, "Disk 80% full", urgency="low")
    clock.shift(timedelta(minutes=5))
    run_due_work()
    assert len(sms_bodies(twilio_fake)) == 5
    clock.shift(timedelta(minutes=11))
    run_due_work()
    assert len(sms_bodies(twilio_fake)) == 6


def test_a_repeat_page_about_the_same_incident_waits_and_rides_with_the_next_new_fire(world, twilio_fake, clock):
    sms = ContactMethod.objects.get(user=world["alice"], kind="sms")
    notification_rule_create(user=world["alice"], urgency="high", contact_method=sms, delay_minutes=1)  # a reminder
    for i in range(5):
        trigger(world, f"filler {i}")
    clock.shift(timedelta(minutes=1))
    run_due_work()
    assert len(sms_bodies(twilio_fake)) == 5  # five reminders held: they are repeats
    assert Delivery.objects.filter(kind="sms", status="pending", error=HELD).count() == 5

    fire = trigger(world, "Payments down")  # a minute after the last SMS: out at once
    bodies = sms_bodies(twilio_fake)
    assert len(bodies) == 6 and bodies[-1].startswith(f"Vigil: 6 incidents need you: #{fire.number} Payments down;")
    assert Delivery.objects.filter(kind="sms", status="bundled").count() == 5


def test_a_bundled_sms_names_every_incident_and_cuts_titles_to_fit(world, twilio_fake, clock):
    fill_the_window(world, clock)
    low = [trigger(world, f"Replica {i} of the orders database is lagging behind the primary by minutes",
                   urgency="low") for i in range(14)]
    clock.shift(timedelta(seconds=60))
    fire = trigger(world, "Payments API answers 503 to every request in eu-west-1")
    [bundle] = sms_bodies(twilio_fake)[5:]
    assert bundle.startswith(f"Vigil: 15 incidents need you: #{fire.number} Payments")
    assert all(f"#{i.number} " in bundle or f"#{i.number}," in bundle or f"#{i.number}." in bundle
               for i in [fire, *low])
    assert "..." in bundle  # titles were cut
    encoding, cost = sms_cost(bundle)
    assert encoding == "GSM-7" and cost <= 3 * 153


def test_a_bundled_call_reads_every_incident_and_1_acknowledges_them_all(world, twilio_fake, client, clock):
    voice = ContactMethod.objects.get(user=world["alice"], kind="voice")
    notification_rule_create(user=world["alice"], urgency="low", contact_method=voice, delay_minutes=0)
    for i in range(5):
        trigger(world, f"filler {i}")
    clock.shift(timedelta(minutes=2))
    run_due_work()
    assert len(twilio_fake.calls) == 5
    backlog = [trigger(world, "Disk 80% full on db2", urgency="low"), trigger(world, "Cert expires in 9 days", urgency="low")]
    clock.shift(timedelta(minutes=1))
    fire = trigger(world, "Payments down")
    clock.shift(timedelta(minutes=2))  # the fire's call is due, a minute after the last call
    run_due_work()

    assert len(twilio_fake.calls) == 6
    call = Delivery.objects.get(kind="voice", page__incident=fire)
    assert call.status == "sent"
    assert set(Delivery.objects.filter(bundled_into=call).values_list("page__incident", flat=True)) == {
        i.pk for i in backlog}
    twiml = signed_post(client, f"/notifications/twilio/voice/{call.pk}/", {"CallSid": call.provider_id, "AnsweredBy": "human"})
    spoken = " ".join(say.text for say in ET.fromstring(twiml.content).iter("Say"))
    assert "Payments down" in spoken and "Disk 80% full on db2" in spoken and "Cert expires in 9 days" in spoken
    assert "2 more incidents also need you" in spoken and "Press 1 to acknowledge all 3 incidents" in spoken

    pressed = press(client, call, "1")
    assert b"Acknowledged 3 of 3 incidents" in pressed.content
    statuses = Incident.objects.filter(pk__in=[fire.pk, *(i.pk for i in backlog)]).values_list("status", flat=True)
    assert set(statuses) == {"acknowledged"}


def test_keypress_1_on_a_single_call_acknowledges_only_its_incident(world, twilio_fake, client, clock):
    first = trigger(world, "Payments down")
    other = trigger(world, "Search slow")
    clock.shift(timedelta(minutes=2))
    run_due_work()
    call = Delivery.objects.get(kind="voice", page__incident=first)
    press(client, call, "1")
    first.refresh_from_db()
    other.refresh_from_db()
    assert (first.status, other.status) == ("acknowledged", "triggered")
