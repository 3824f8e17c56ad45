"""Paging through the real Twilio SDK against the local fake, and answering from a phone:
signed SMS replies, calls with keypresses, status callbacks, ack links."""
import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings
from twilio.request_validator import RequestValidator

from incidents.models import Incident
from incidents.services import incident_trigger
from notifications.responder_actions import parse_reply
from notifications.models import Delivery
from oncall.models import ContactMethod
from tests.notifications.conftest import TWILIO_TOKEN
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work
from tests.notifications.twilio_webhooks import press

ALICE = "+14155550101"
CAROL = "+14155550103"


@pytest.fixture
def world(db, twilio_fake):
    w = paging_setup()
    alice_on_call(w)
    return w


def page_alice(world, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    run_due_work()
    return incident


def signed_post(client, path, params, *, token=TWILIO_TOKEN):
    url = f"{settings.PUBLIC_URL}{path}"
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature})


def sms_reply(client, body, from_=ALICE):
    return signed_post(client, "/notifications/twilio/sms/", {"From": from_, "To": "+15005550006", "Body": body,
                                                              "MessageSid": "SMreply"})


@pytest.mark.parametrize("text,expected", [
    ("ack", ("acknowledge", None)), ("A", ("acknowledge", None)), ("  Ack 42 ", ("acknowledge", 42)),
    ("42a", ("acknowledge", 42)), ("42 ACK", ("acknowledge", 42)), ("r 42", ("resolve", 42)),
    ("resolve #7", ("resolve", 7)), ("RES", ("resolve", None)), ("hello", None), ("ack ack", None), ("", None),
])
def test_sms_replies_are_understood_in_any_case_and_spacing(text, expected):
    assert parse_reply(text) == expected


def test_page_sms_fits_one_segment_with_number_reply_hint_and_ack_link(world, twilio_fake, clock):
    incident = page_alice(world)
    [sms] = twilio_fake.messages
    assert sms["to"] == ALICE
    assert f"#{incident.number}" in sms["body"] and f"ack {incident.number}" in sms["body"]
    assert f"{settings.PUBLIC_URL}/a/" in sms["body"]
    assert len(sms["body"]) <= 160
    assert sms["status_callback"].endswith("/notifications/twilio/status/")
    assert Delivery.objects.get(kind="sms").provider_id.startswith("SM")


def test_ack_by_sms_reply_stops_further_pages(world, twilio_fake, client, clock):
    incident = page_alice(world)
    reply = sms_reply(client, "ack")
    assert reply.status_code == 200 and "Acknowledged" in reply.content.decode()
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == world["alice"]
    assert incident.timeline.get(kind="acknowledged").via == "sms"
    clock.shift(timedelta(minutes=30))
    run_due_work()
    assert twilio_fake.sent_to(ALICE) == 1 and twilio_fake.calls_to(ALICE) == 0
    assert twilio_fake.sent_to(CAROL) == 0


def test_reply_with_a_number_acts_on_that_incident(world, client, clock):
    first = page_alice(world, "first")
    second = page_alice(world, "second")
    sms_reply(client, f"r {first.number}")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("resolved", "triggered")


def test_unintelligible_reply_explains_and_changes_nothing(world, client, clock):
    incident = page_alice(world)
    reply = sms_reply(client, "what is this")
    assert "did not understand" in reply.content.decode()
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_forged_and_unsigned_sms_webhooks_are_refused(world, client, clock):
    incident = page_alice(world)
    forged = signed_post(client, "/notifications/twilio/sms/", {"From": ALICE, "Body": "ack"}, token="wrong-token")
    unsigned = client.post("/notifications/twilio/sms/", {"From": ALICE, "Body": "ack"})
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_a_stranger_number_cannot_act(world, client, clock):
    incident = page_alice(world)
    reply = sms_reply(client, "ack", from_="+14155550999")
    assert "not a verified Vigil contact method" in reply.content.decode()
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_call_reads_the_incident_and_keypress_1_acknowledges(world, twilio_fake, client, clock):
    incident = page_alice(world)
    clock.shift(timedelta(minutes=2))
    run_due_work()
    [call] = twilio_fake.calls
    delivery = Delivery.objects.get(kind="voice")
    assert call["url"].endswith(f"/notifications/twilio/voice/{delivery.pk}/")
    twiml = signed_post(client, f"/notifications/twilio/voice/{delivery.pk}/", {"CallSid": call["sid"], "AnsweredBy": "human"})
    assert b"<Gather" in twiml.content and incident.title.encode() in twiml.content
    pressed = press(client, delivery, "1", call_sid=call["sid"])
    assert b"Acknowledged" in pressed.content
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.timeline.get(kind="acknowledged").via == "voice"


def test_keypress_3_escalates_to_the_next_step_now(world, twilio_fake, client, clock):
    page_alice(world)
    clock.shift(timedelta(minutes=2))
    run_due_work()
    delivery = Delivery.objects.get(kind="voice")
    press(client, delivery, "3")
    run_due_work()
    assert twilio_fake.sent_to(CAROL) == 1


def test_failed_sms_status_falls_through_to_the_next_rule_at_once(world, twilio_fake, client, clock):
    page_alice(world)
    sms = Delivery.objects.get(kind="sms")
    response = signed_post(client, "/notifications/twilio/status/", {"MessageSid": sms.provider_id, "MessageStatus": "undelivered"})
    assert response.status_code == 204
    run_due_work()
    assert twilio_fake.calls_to(ALICE) == 1  # the call did not wait its 2 minutes
    assert Incident.objects.get().timeline.filter(kind="delivery_failed").exists()


def test_invalid_number_fails_the_contact_method_visibly(world, twilio_fake, clock):
    twilio_fake.reject_number(ALICE, code=21211)
    page_alice(world)
    method = ContactMethod.objects.get(kind="sms", user=world["alice"])
    assert method.disabled_at is not None and "21211" in method.disabled_reason or method.disabled_reason
    failures = list(Incident.objects.get().timeline.filter(kind="delivery_failed").values_list("text", flat=True))
    assert failures[0].startswith("sms page to alice failed")
    # The call was brought forward at once instead of waiting its 2 minutes (the fake refuses
    # that number for calls too, so it fails as well, visibly).
    assert Delivery.objects.get(kind="voice").status != "pending"


def test_transient_provider_error_is_retried_with_backoff(world, twilio_fake, clock):
    twilio_fake.fail_next(status=500, message="upstream hiccup")
    page_alice(world)
    sms = Delivery.objects.get(kind="sms")
    assert (sms.status, sms.attempts) == ("pending", 1)
    clock.shift(timedelta(seconds=6))
    run_due_work()
    assert twilio_fake.sent_to(ALICE) == 1
    sms.refresh_from_db()
    assert sms.status == "sent"


def test_more_than_five_pages_in_15_minutes_are_bundled_not_dropped(world, twilio_fake, clock):
    for i in range(8):
        page_alice(world, f"incident {i}")
    assert twilio_fake.sent_to(ALICE) == 5
    clock.shift(timedelta(minutes=1))  # the first page of a new incident waits at most a minute
    run_due_work()
    to_alice = [m["body"] for m in twilio_fake.messages if m["to"] == ALICE]
    assert len(to_alice) == 6
    assert "3 incidents need you: #6 incident 5; #7 incident 6; #8 incident 7;" in to_alice[-1]
    assert Delivery.objects.filter(kind="sms", status="bundled").count() == 2


def test_ack_link_get_changes_nothing_and_post_acknowledges(world, twilio_fake, client, clock):
    incident = page_alice(world)
    link = re.search(r"https?://\S+/a/(\S+)", twilio_fake.messages[0]["body"]).group(0)
    path = link.replace(settings.PUBLIC_URL, "")
    page = client.get(path)
    assert page.status_code == 200 and b"Acknowledge" in page.content
    incident.refresh_from_db()
    assert incident.status == "triggered"
    done = client.post(path, {"action": "acknowledge"})
    assert done.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.timeline.get(kind="acknowledged").via == "link"


def test_altered_or_foreign_ack_link_is_refused(world, twilio_fake, client, clock):
    from notifications.links import ack_token
    from tests.factories import UserFactory

    incident = page_alice(world)
    assert client.get("/a/1.1:abc:forged").status_code == 404
    stranger = UserFactory(username="mallory")
    response = client.post(f"/a/{ack_token(incident_id=incident.pk, user_id=stranger.pk)}", {"action": "resolve"})
    assert response.status_code == 403 and b"not paged" in response.content
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_provider_send_rate_pauses_a_page_without_bundling_it(world, twilio_fake, clock, settings):
    settings.PROVIDER_SENDS_PER_SECOND = {"sms": 1, "voice": 5}
    page_alice(world, "first")
    page_alice(world, "second")
    held = Delivery.objects.get(kind="sms", page__incident__title="second")
    assert held.status == "pending" and held.error == "held by the provider's send rate"
    clock.shift(timedelta(seconds=2))
    run_due_work()
    bodies = [m["body"] for m in twilio_fake.messages if m["to"] == ALICE]
    assert len(bodies) == 2 and "more incidents" not in bodies[1]
