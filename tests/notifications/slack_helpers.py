"""Requests as Slack sends them (signed with the app's signing secret), and running the tasks the
code under test sent, as a worker would."""
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from django.test import TestCase
from django.utils import timezone

from notifications.slack import tasks as slack_tasks
from notifications.slack.sync import incident_slack_sync
from oncall.models import Override
from tests.notifications.conftest import SLACK_SECRET
from tests.notifications.engine_helpers import paging_setup, verified

SERVICE_CHANNEL = "C0CHECKOUT"
ALICE, CAROL = "U0ALICE123", "U0CAROL123"


def slack_world():
    """paging_setup() with checkout posting to SERVICE_CHANNEL, alice on call now and paged on
    Slack (ALICE), carol (step 2) on Slack too (CAROL)."""
    w = paging_setup()
    w["service"].slack_channel = SERVICE_CHANNEL
    w["service"].save(update_fields=["slack_channel"])
    w["alice"].contact_methods.all().delete()
    w["carol"].contact_methods.all().delete()
    verified(w["alice"], "slack", ALICE, ("high", 0))
    verified(w["carol"], "slack", CAROL, ("high", 0))
    Override.objects.create(schedule=w["schedule"], user=w["alice"], starts_at=timezone.now() - timezone.timedelta(hours=1),
                            ends_at=timezone.now() + timezone.timedelta(days=1))
    return w


def signed(client, path, body: str, content_type: str, *, secret=SLACK_SECRET, age=0):
    timestamp = str(int(time.time()) - age)
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    with after_commit():
        return client.post(path, data=body, content_type=content_type,
                           headers={"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature})


def after_commit():
    """Run on-commit callbacks (the Celery publishes, recorded by sent_tasks) as a commit would;
    the test's own transaction never commits."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def command(client, command_name, text, *, user_id=ALICE, channel_id=SERVICE_CHANNEL, **signing):
    """A slash command as Slack posts it (form-encoded)."""
    body = urlencode({"command": command_name, "text": text, "user_id": user_id, "team_id": "T0VIGIL",
                      "channel_id": channel_id, "response_url": "https://hooks.slack.com/commands/T0VIGIL/1/x"})
    return signed(client, "/notifications/slack/commands/", body, "application/x-www-form-urlencoded", **signing)


def event(client, payload: dict, **signing):
    """An Events API request (JSON)."""
    return signed(client, "/notifications/slack/events/", json.dumps(payload), "application/json", **signing)


def run_slack_tasks(sent_tasks) -> None:
    """Run what the Slack code sent after commit (channel opening, invites, pins, message sync)
    until nothing is left; engine tasks are left to run_due_work."""
    handlers = {
        "notifications.slack_incident_channel_open": slack_tasks.slack_incident_channel_open,
        "notifications.slack_incident_channel_invite": slack_tasks.slack_incident_channel_invite,
        "notifications.slack_pin_add": slack_tasks.slack_pin_add,
        "notifications.incident_changed": lambda incident_id: incident_slack_sync(incident_id=incident_id),
    }
    while True:
        # A new incident's escalate message announces it too (its paging is run_due_work's).
        opened = sent_tasks.opened()
        pending = [t for t in sent_tasks if t["name"] in handlers or t in opened]
        if not pending:
            return
        for task in pending:
            sent_tasks.remove(task)
            with after_commit():
                handlers["notifications.incident_changed" if task in opened else task["name"]](*task["args"])
