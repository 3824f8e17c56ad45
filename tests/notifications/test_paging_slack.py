"""Slack pages: a DM with buttons to the person and a message in the service's channel, both
rewritten in place as the incident changes."""
import pytest
from django.utils import timezone

from incidents.services import incident_acknowledge, incident_resolve, incident_trigger
from notifications.models import Delivery, SlackPost
from notifications.slack_sync import incident_slack_sync
from oncall.models import Override
from tests.notifications.engine_helpers import paging_setup, run_due_work, verified

CHANNEL = "C0CHECKOUT"


@pytest.fixture
def world(db, slack_fake):
    w = paging_setup()
    w["service"].slack_channel = CHANNEL
    w["service"].save(update_fields=["slack_channel"])
    w["alice"].contact_methods.all().delete()
    verified(w["alice"], "slack", "U0ALICE123", ("high", 0))
    Override.objects.create(schedule=w["schedule"], user=w["alice"], starts_at=timezone.now() - timezone.timedelta(hours=1),
                            ends_at=timezone.now() + timezone.timedelta(days=1))
    return w


def sync_tasks(sent_tasks):
    """Run the incident_changed tasks the services sent, as a worker would."""
    for task in sent_tasks.named("notifications.incident_changed"):
        incident_slack_sync(incident_id=task["args"][0])
    sent_tasks.clear()


def buttons(message):
    actions = [b for b in message["blocks"] if b["type"] == "actions"]
    return [e["action_id"] for e in actions[0]["elements"]] if actions else []


def test_slack_page_is_a_dm_with_acknowledge_and_resolve(world, slack_fake, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    run_due_work()
    dm = next(m for m in slack_fake.messages if m["channel"].startswith("D"))
    assert buttons(dm)[:2] == ["vigil_ack", "vigil_resolve"]
    assert any(e.get("value") == f"ack:{incident.pk}" for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert Delivery.objects.get(kind="slack").provider_id.startswith(dm["channel"])


def test_channel_message_and_dm_follow_the_incident(world, slack_fake, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    run_due_work()
    sync_tasks(sent_tasks)
    post = SlackPost.objects.get(incident=incident)
    assert slack_fake.posted_to(CHANNEL) == 1
    assert buttons(slack_fake.message(CHANNEL, post.ts))[:2] == ["vigil_ack", "vigil_resolve"]

    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, by=world["alice"], via="slack")
    sync_tasks(sent_tasks)
    channel_message = slack_fake.message(CHANNEL, post.ts)
    assert "Acknowledged" in channel_message["text"] and "alice" in channel_message["text"]
    assert buttons(channel_message) == ["vigil_resolve"]
    dm = next(m for m in slack_fake.messages if m["channel"].startswith("D"))
    assert buttons(dm) == ["vigil_resolve", "vigil_open"]

    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, by=world["alice"], via="slack")
    sync_tasks(sent_tasks)
    assert buttons(slack_fake.message(CHANNEL, post.ts)) == []
    assert slack_fake.posted_to(CHANNEL) == 1  # updated in place, never reposted


def test_unknown_slack_user_fails_that_method_and_falls_through(world, slack_fake, settings):
    settings.EMAIL_ENABLED = True
    slack_fake.reject("U0ALICE123", error="user_not_found")
    verified(world["alice"], "email", "alice@example.com", ("high", 1))
    incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    run_due_work()
    assert Delivery.objects.get(kind="slack").status == "failed"
    assert world["alice"].contact_methods.get(kind="slack").disabled_reason
    assert Delivery.objects.get(kind="email").status == "sent"  # brought forward, not after 1 minute
