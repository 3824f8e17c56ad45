"""Who may act from a phone: only the number that was actually paged, through a method that is
still verified, and every signed Twilio request only once."""
from datetime import timedelta

import pytest

from incidents.models import Incident
from incidents.services import incident_reopen, incident_trigger
from notifications.models import Delivery
from oncall.contacts import contact_method_update
from oncall.models import ContactMethod
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work, verified
from tests.notifications.twilio_webhooks import keypress_params, press, send_sms, signed_post, sms_params

ALICE = "+14155550101"
NEW_NUMBER = "+14155550177"
EMPTY_SMS_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@pytest.fixture
def world(db, twilio_fake):
    w = paging_setup()
    alice_on_call(w)
    return w


def page_alice(world, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    run_due_work()
    return incident


def call_alice(world, clock):
    incident = page_alice(world)
    clock.shift(timedelta(minutes=2))
    run_due_work()
    return incident, Delivery.objects.get(kind="voice", page__incident=incident)


def status(incident):
    return Incident.objects.get(pk=incident.pk).status


# --- the number that was paged (issue 9 §3) ---------------------------------------------------

def test_the_delivery_records_the_number_it_was_sent_to(world, clock):
    page_alice(world)
    assert Delivery.objects.get(kind="sms").to == ALICE


def test_a_reply_from_a_changed_unverified_number_changes_nothing(world, client, clock):
    incident = page_alice(world)
    method = ContactMethod.objects.get(user=world["alice"], kind="sms")
    contact_method_update(contact_method=method, value=NEW_NUMBER)
    reply = send_sms(client, f"ack {incident.number}", from_=NEW_NUMBER)
    assert reply.status_code == 200 and "not a verified Vigil contact method" in reply.content.decode()
    assert status(incident) == "triggered"


def test_a_reply_from_the_old_number_after_a_change_changes_nothing(world, client, clock):
    incident = page_alice(world)
    for method in ContactMethod.objects.filter(user=world["alice"]):
        contact_method_update(contact_method=method, value=NEW_NUMBER)
    reply = send_sms(client, "ack", from_=ALICE)
    assert "not a verified Vigil contact method" in reply.content.decode()
    assert status(incident) == "triggered"


def test_a_verified_number_that_was_never_paged_cannot_act(world, client, clock):
    incident = page_alice(world)
    verified(world["alice"], "sms", NEW_NUMBER)
    reply = send_sms(client, f"ack {incident.number}", from_=NEW_NUMBER)
    assert "was sent to this number" in reply.content.decode()
    assert status(incident) == "triggered"


def test_a_keypress_on_a_call_whose_number_is_no_longer_verified_changes_nothing(world, client, clock):
    incident, delivery = call_alice(world, clock)
    contact_method_update(contact_method=delivery.contact_method, value=NEW_NUMBER)
    pressed = press(client, delivery, "1", to=ALICE)
    assert pressed.status_code == 200 and b"Acknowledged" not in pressed.content
    assert status(incident) == "triggered"


def test_a_keypress_on_a_call_to_another_number_changes_nothing(world, client, clock):
    incident, delivery = call_alice(world, clock)
    pressed = press(client, delivery, "2", to="+14155550999")
    assert pressed.status_code == 200 and b"Resolved" not in pressed.content
    assert status(incident) == "triggered"


# --- replays (issue 9 §7) ---------------------------------------------------------------------

def test_a_replayed_signed_sms_reply_changes_nothing_and_gets_empty_twiml(world, client, clock):
    first = page_alice(world, "first")
    captured = sms_params("resolve", from_=ALICE)
    assert b"Resolved" in signed_post(client, "/notifications/twilio/sms/", captured).content
    newer = page_alice(world, "newer")
    replayed = signed_post(client, "/notifications/twilio/sms/", captured)
    assert replayed.status_code == 200 and replayed.content.decode() == EMPTY_SMS_TWIML
    assert (status(first), status(newer)) == ("resolved", "triggered")


def test_a_replayed_keypress_changes_nothing(world, client, clock):
    incident, delivery = call_alice(world, clock)
    assert b"Resolved" in press(client, delivery, "2").content
    incident_reopen(incident=incident, by=world["bob"], via="web")
    replayed = press(client, delivery, "2")
    assert replayed.status_code == 200 and b"<Say>" not in replayed.content
    assert status(incident) == "triggered"


def test_the_same_call_may_press_another_key(world, client, clock):
    incident, delivery = call_alice(world, clock)
    assert b"Escalating" in press(client, delivery, "3").content
    assert b"Acknowledged" in press(client, delivery, "1").content
    assert status(incident) == "acknowledged"


def test_twilio_requests_without_their_sid_are_refused(world, client, clock):
    incident, delivery = call_alice(world, clock)
    sms = {k: v for k, v in sms_params("ack", from_=ALICE).items() if k != "MessageSid"}
    call = {k: v for k, v in keypress_params("1", call_sid="x", to=ALICE).items() if k != "CallSid"}
    assert signed_post(client, "/notifications/twilio/sms/", sms).status_code == 400
    assert signed_post(client, f"/notifications/twilio/voice/{delivery.pk}/keypress/", call).status_code == 400
    assert status(incident) == "triggered"


def test_a_failed_action_is_not_recorded_so_twilio_may_retry_it(world, client, clock, monkeypatch):
    incident = page_alice(world)
    params = sms_params("ack", from_=ALICE)

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("notifications.responder_actions.incident_acknowledge", broken)
    client.raise_request_exception = False
    assert signed_post(client, "/notifications/twilio/sms/", params).status_code == 500
    monkeypatch.undo()
    assert b"Acknowledged" in signed_post(client, "/notifications/twilio/sms/", params).content
    assert status(incident) == "acknowledged"


def test_receipts_are_kept_for_the_retention_period_then_pruned_by_beat(world, client, clock, settings):
    from notifications.models import WebhookReceipt
    from notifications.replay import RECEIPT_RETENTION
    from notifications.tasks import prune_webhook_receipts

    assert settings.CELERY_BEAT_SCHEDULE["webhook-receipts-prune"]["task"] == prune_webhook_receipts.name
    page_alice(world)
    send_sms(client, "ack", from_=ALICE)
    clock.shift(RECEIPT_RETENTION - timedelta(minutes=1))
    prune_webhook_receipts.apply().get()
    assert WebhookReceipt.objects.count() == 1
    clock.shift(timedelta(minutes=2))
    prune_webhook_receipts.apply().get()
    assert not WebhookReceipt.objects.exists()


def test_a_keypress_for_a_call_older_than_any_call_can_last_changes_nothing(world, client, clock):
    incident, delivery = call_alice(world, clock)
    clock.shift(timedelta(hours=4, minutes=1))
    pressed = press(client, delivery, "1")
    assert b"Acknowledged" not in pressed.content
    assert status(incident) == "triggered"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_sms_delivered_twice_at_once_acts_once(world, clock):
    import threading

    from django.db import connections

    from notifications.sms_replies import sms_received

    older, newer = page_alice(world, "older"), page_alice(world, "newer")
    barrier, results = threading.Barrier(2), [None, None]

    def deliver_webhook(i):
        try:
            barrier.wait()
            results[i] = sms_received(message_sid="SM" + "c" * 32, from_number=ALICE, body="resolve")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver_webhook, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r is None for r in results) == [False, True], results
    assert sorted([status(older), status(newer)]) == ["resolved", "triggered"]
