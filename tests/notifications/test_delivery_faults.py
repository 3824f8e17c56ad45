"""A page goes out, or fails visibly and hands over to the person's next rule, whatever breaks
around it: the rate-limit cache, the provider's answers, a worker, a missing provider."""
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.services import incident_trigger
from notifications.channels import (
    ChannelNotConfigured,
    channel_for,
    configured_kinds,
    console_fallback_active,
    unconfigured_kinds,
)
from notifications.channels.console import Console
from notifications.delivery import MAX_ATTEMPTS
from notifications.escalation import escalate
from notifications.models import Delivery, OutboxMessage
from notifications.sweep import STALE_CLAIM, sweep
from oncall.contacts import kinds_without_provider
from oncall.models import ContactMethod, NotificationRule
from tests.factories import UserFactory
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work, verified
from tests.oncall.test_api_people import ApiClient

ALICE = "+14155550101"


@pytest.fixture
def world(db):
    """alice is on call: SMS at once, a voice call after 30 minutes (so that a call before then
    can only be a fall-through)."""
    w = paging_setup(step_delays=(60, 60))  # nobody else is paged within the hour
    alice_on_call(w)
    NotificationRule.objects.filter(user=w["alice"], contact_method__kind="voice").update(delay_minutes=30)
    return w


def trigger(world, title="Checkout 5xx above 2%"):
    incident, _ = incident_trigger(service=world["service"], title=title, dedup_key=title)
    return incident


# --- the rate-limit cache is down --------------------------------------------------------------

def test_a_dead_rate_limit_cache_does_not_hold_back_a_page(world, twilio_fake, dead_cache, clock):
    trigger(world)
    run_due_work()
    assert twilio_fake.sent_to(ALICE) == 1
    sms = Delivery.objects.get(kind="sms")
    assert (sms.status, sms.attempts, sms.error) == ("sent", 1, "")


# --- anything unexpected after the claim ---------------------------------------------------------

def test_an_unexpected_error_after_the_claim_is_an_attempt_and_the_last_one_falls_through(world, twilio_fake, clock):
    twilio_fake.garble_next(times=MAX_ATTEMPTS)  # a proxy answers HTML: the SDK cannot parse it
    trigger(world)
    run_due_work()
    sms = Delivery.objects.get(kind="sms")
    assert (sms.status, sms.attempts) == ("pending", 1)
    assert sms.error.startswith("unexpected error:")

    for _ in range(MAX_ATTEMPTS - 1):
        clock.shift(timedelta(minutes=2))  # past every backoff
        run_due_work()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("failed", MAX_ATTEMPTS)
    assert twilio_fake.sent_to(ALICE) == 0
    # Ten minutes in, long before the call's own 30 minutes: the next rule took over.
    assert twilio_fake.calls_to(ALICE) == 1
    assert sms.page.incident.timeline.filter(kind="delivery_failed", text__contains="unexpected error").exists()


def test_a_claim_left_by_a_dead_worker_on_the_last_attempt_fails_and_falls_through(world, twilio_fake, clock):
    incident = trigger(world)
    escalate(incident_id=incident.pk)
    sms = Delivery.objects.get(kind="sms")
    # The worker claimed the last attempt and was killed inside the send.
    Delivery.objects.filter(pk=sms.pk).update(status="sending", attempts=MAX_ATTEMPTS, claimed_at=timezone.now())

    clock.shift(STALE_CLAIM + timedelta(seconds=1))
    sweep()
    sms.refresh_from_db()
    assert sms.status == "failed" and "worker lost" in sms.error
    run_due_work()
    assert twilio_fake.sent_to(ALICE) == 0 and twilio_fake.calls_to(ALICE) == 1


def test_a_claim_left_by_a_dead_worker_is_sent_again_after_the_lease(world, twilio_fake, clock):
    incident = trigger(world)
    escalate(incident_id=incident.pk)
    Delivery.objects.filter(kind="sms").update(status="sending", attempts=1, claimed_at=timezone.now())
    clock.shift(STALE_CLAIM - timedelta(seconds=1))
    sweep()
    run_due_work()
    assert twilio_fake.sent_to(ALICE) == 0  # a live worker may still be inside the provider call
    clock.shift(timedelta(seconds=2))
    sweep()
    run_due_work()
    assert twilio_fake.sent_to(ALICE) == 1
    assert Delivery.objects.get(kind="sms").attempts == 2


def test_the_lease_outlasts_a_send_that_uses_every_provider_timeout():
    from notifications.clients import TIMEOUT_SECONDS

    # Slack makes two calls per page (conversations.open, then chat.postMessage).
    assert STALE_CLAIM.total_seconds() > 2 * TIMEOUT_SECONDS
    assert STALE_CLAIM <= timedelta(seconds=30)


# --- a channel whose provider is not configured ------------------------------------------------

def test_with_twilio_but_no_email_an_email_page_fails_and_the_next_rule_goes_at_once(world, twilio_fake, settings, clock):
    settings.EMAIL_ENABLED = False
    NotificationRule.objects.filter(user=world["alice"]).delete()
    email = verified(world["alice"], "email", "alice@example.com", ("high", 0))
    sms = ContactMethod.objects.get(user=world["alice"], kind="sms")
    NotificationRule.objects.create(user=world["alice"], urgency="high", contact_method=sms, delay_minutes=10)

    trigger(world)
    run_due_work()
    failed = Delivery.objects.get(kind="email")
    assert (failed.status, failed.channel) == ("failed", "")
    assert failed.error.startswith("email is not configured")
    assert not OutboxMessage.objects.exists()
    email.refresh_from_db()
    assert email.disabled_at is None  # the address is not at fault
    assert twilio_fake.sent_to(ALICE) == 1  # not after its 10 minutes
    assert failed.page.incident.timeline.filter(kind="delivery_failed", text__contains="email is not configured").exists()


def test_with_no_provider_at_all_the_console_stands_in_for_every_kind(world, settings, clock):
    settings.EMAIL_ENABLED = False
    assert console_fallback_active() and configured_kinds() == frozenset()
    assert all(isinstance(channel_for(kind), Console) for kind in ("sms", "voice", "email", "slack"))
    trigger(world)
    run_due_work()
    assert Delivery.objects.get(kind="sms").channel == "console"
    assert OutboxMessage.objects.get().to == ALICE


def test_once_any_provider_is_configured_the_others_no_longer_fall_back_to_the_console(twilio_fake, settings):
    settings.EMAIL_ENABLED = False
    assert configured_kinds() == {"sms", "voice"} and not console_fallback_active()
    for kind in ("email", "slack"):
        with pytest.raises(ChannelNotConfigured) as failure:
            channel_for(kind)
        assert failure.value.message.startswith(f"{kind} is not configured")


@pytest.mark.parametrize("twilio,slack,email", [
    (t, s, e) for t in (False, True) for s in (False, True) for e in (False, True)])
def test_readiness_and_the_engine_agree_on_which_kinds_have_a_provider(settings, twilio, slack, email):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM_NUMBER = "x" if twilio else ""
    settings.SLACK_BOT_TOKEN = settings.SLACK_SIGNING_SECRET = "x" if slack else ""
    settings.EMAIL_ENABLED = email
    assert kinds_without_provider() == unconfigured_kinds()
    assert unconfigured_kinds() == (frozenset() if console_fallback_active()
                                    else {"sms", "voice", "email", "slack"} - configured_kinds())


def test_readiness_reports_a_rule_on_a_kind_without_a_provider(db, twilio_fake, settings):
    settings.EMAIL_ENABLED = False
    alice = UserFactory(username="alice")
    email = verified(alice, "email", "alice@example.com", ("high", 0))
    body = ApiClient(alice).get("/api/v1/me/oncall-readiness/").json()
    assert body["has_usable_rule"] is False
    assert f"Email contact method {email.pk} cannot be paged: Email is not configured on this Vigil." in body["problems"]
    verified(alice, "sms", ALICE, ("high", 5))
    assert ApiClient(alice).get("/api/v1/me/oncall-readiness/").json()["has_usable_rule"] is True


def test_no_verification_code_is_promised_for_a_kind_without_a_provider(db, twilio_fake, settings):
    settings.EMAIL_ENABLED = False
    alice = UserFactory(username="alice")
    email = ContactMethod.objects.create(user=alice, kind="email", value="alice@example.com")
    response = ApiClient(alice).post(f"/api/v1/contact-methods/{email.pk}/send-code/")
    assert response.status_code == 400
    assert "Email is not configured on this Vigil" in response.json()["detail"]
    assert not email.verification_codes.exists()
