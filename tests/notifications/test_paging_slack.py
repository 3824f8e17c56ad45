"""Slack pages: a DM with buttons to the person and a message in the service's channel, both
rewritten in place as the incident changes; and Slack answering back: the buttons and the
`/vigil` slash command, each a request signed with the app's signing secret."""
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from incidents.services import incident_acknowledge, incident_resolve, incident_trigger
from notifications.models import Delivery, SlackPost
from notifications.slack.sync import incident_slack_sync
from oncall.models import Override
from tests.factories import MembershipFactory, ServiceFactory
from tests.notifications.conftest import SLACK_SECRET
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
    """Run the incident_changed tasks the services sent, as a worker would (a new incident's
    escalate message announces it too)."""
    for task in sent_tasks.named("notifications.incident_changed") + sent_tasks.opened():
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


# --- Slack answering back ---------------------------------------------------------------------

def slack_signed(client, path, data, *, secret=SLACK_SECRET, age=0):
    """A request as Slack sends it: form-encoded, signed over "v0:<timestamp>:<body>"."""
    body = urlencode(data)
    timestamp = str(int(time.time()) - age)
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                       headers={"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})


def slash_command(client, text, *, user_id="U0ALICE123", command="/vigil", channel_id=CHANNEL, **signing):
    """The fields Slack posts for a slash command that matter here."""
    return slack_signed(client, "/notifications/slack/commands/",
                        {"command": command, "text": text, "user_id": user_id, "team_id": "T0VIGIL",
                         "channel_id": channel_id, "response_url": "https://hooks.slack.com/commands/T0VIGIL/1/x"},
                        **signing)


def test_slack_acknowledge_button_acknowledges(world, slack_fake, client):
    incident, _ = incident_trigger(service=world["service"], title="Disk", dedup_key="disk")
    payload = {"type": "block_actions", "user": {"id": "U0ALICE123"},
               "actions": [{"action_id": "vigil_ack", "value": f"ack:{incident.pk}"}]}
    response = slack_signed(client, "/notifications/slack/interactions/", {"payload": json.dumps(payload)})
    assert response.status_code == 200 and "Acknowledged" in response.json()["text"]
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.timeline.get(kind="acknowledged").via == "slack"


def test_replayed_or_forged_slack_requests_are_refused(world, slack_fake, client):
    incident, _ = incident_trigger(service=world["service"], title="Disk", dedup_key="disk")
    payload = {"payload": json.dumps({"user": {"id": "U0ALICE123"}, "actions": [{"value": f"ack:{incident.pk}"}]})}
    assert slack_signed(client, "/notifications/slack/interactions/", payload, age=6 * 60).status_code == 403
    assert slack_signed(client, "/notifications/slack/interactions/", payload, secret="nope").status_code == 403
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_vigil_ack_command_acknowledges_the_incident_it_numbers(world, slack_fake, client):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    response = slash_command(client, f"ack {incident.number}")
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"  # only the person who typed it sees the answer
    assert response.json()["text"].startswith(f"Acknowledged #{incident.number}: Checkout 5xx.")
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == world["alice"]
    assert incident.timeline.get(kind="acknowledged").via == "slack"


def test_vigil_resolve_command_resolves_the_incident_it_numbers(world, slack_fake, client):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    response = slash_command(client, f"Resolve #{incident.number}")
    assert response.status_code == 200 and response.json()["text"].startswith(f"Resolved #{incident.number}")
    incident.refresh_from_db()
    assert incident.status == "resolved"


@pytest.mark.parametrize("text", ["", "hello 1", "page everyone"])
def test_vigil_command_without_an_action_and_a_number_answers_its_usage(world, slack_fake, client, text):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    response = slash_command(client, text)
    assert response.status_code == 200
    assert response.json()["response_type"] == "ephemeral"
    assert "Usage:" in response.json()["text"] and "/incident declare <title>" in response.json()["text"]
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_vigil_ack_without_a_number_outside_an_incident_channel_says_to_name_one(world, slack_fake, client):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    response = slash_command(client, "ack")
    assert response.json()["response_type"] == "ephemeral"
    assert "not one" in response.json()["text"] and "/incident ack 42" in response.json()["text"]
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_vigil_command_from_an_unlinked_slack_account_changes_nothing(world, slack_fake, client):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    response = slash_command(client, f"ack {incident.number}", user_id="U0MALLORY")
    assert response.status_code == 200 and "not linked to a Vigil person" in response.json()["text"]
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_vigil_command_acts_on_the_callers_team_not_another_with_the_same_number(world, slack_fake, client):
    theirs, _ = incident_trigger(service=ServiceFactory(name="billing"), title="Billing down", dedup_key="b")
    ours, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    assert theirs.number == ours.number  # numbers count per team
    assert slash_command(client, f"ack {ours.number}").status_code == 200
    theirs.refresh_from_db(), ours.refresh_from_db()
    assert (theirs.status, ours.status) == ("triggered", "acknowledged")


def test_vigil_command_from_a_viewer_of_the_team_changes_nothing(world, slack_fake, client):
    viewer = MembershipFactory(team=world["team"], role="viewer").user
    verified(viewer, "slack", "U0VIEWER1")
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    response = slash_command(client, f"ack {incident.number}", user_id="U0VIEWER1")
    assert response.status_code == 200 and "nothing was changed" in response.json()["text"]
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_replayed_or_forged_vigil_commands_are_refused(world, slack_fake, client):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    assert slash_command(client, f"ack {incident.number}", age=6 * 60).status_code == 403
    assert slash_command(client, f"ack {incident.number}", secret="nope").status_code == 403
    incident.refresh_from_db()
    assert incident.status == "triggered"
