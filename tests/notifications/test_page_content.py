"""Pages say what happened: the alert's labels, its own runbook and graph links and its details,
in the email (both parts), the Slack DM and channel message, the ack-link page and, as much as
fits one segment, the SMS. Real captured Alertmanager payloads posted over HTTP; Twilio and Slack
through their SDKs against the fakes."""
import json
from pathlib import Path

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from incidents.models import Incident
from notifications.channels.twilio_sms import gsm7_fits_one_segment
from notifications.links import ack_token
from notifications.slack.sync import incident_slack_sync
from tests.factories import IntegrationFactory
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work, verified

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RUNBOOK = "https://runbooks.example.com/high-latency"
GRAPH = "http://prometheus.example.com/graph?g0.expr=latency"


def fixture(kind: str, name: str) -> dict:
    return json.loads((FIXTURES / kind / name).read_text())


@pytest.fixture
def world(db):
    cache.clear()  # the intake's rate limits
    w = paging_setup()
    alice_on_call(w)
    return w


def alert(world, body: dict) -> Incident:
    _, token = IntegrationFactory(service=world["service"], kind="alertmanager")
    response = Client().post(f"/integrations/{token}/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 202, response.content
    run_due_work()
    return Incident.objects.get()


def only(world, kind: str, value: str) -> None:
    world["alice"].contact_methods.all().delete()
    verified(world["alice"], kind, value, ("high", 0), ("low", 0))


def test_the_email_carries_labels_runbook_graph_and_details_in_both_parts(world, settings):
    settings.EMAIL_ENABLED = True
    only(world, "email", "alice@example.com")
    alert(world, fixture("alertmanager", "firing-group-of-3.json"))
    [email] = mail.outbox
    html = email.alternatives[0][0]
    for part in (email.body, html):
        assert "instance=web1" in part and "alertname=HighLatency" in part
        assert RUNBOOK in part and "3 of 3 alerts firing" in part
    assert f"Graph: {GRAPH}" in email.body
    assert f'href="{GRAPH.replace("&", "&amp;")}"' in html


def test_the_email_carries_the_senders_details(world, settings):
    settings.EMAIL_ENABLED = True
    only(world, "email", "alice@example.com")
    body = fixture("pagerduty", "trigger.json")
    integration, token = IntegrationFactory(service=world["service"], kind="pagerduty")
    Client().post("/v2/enqueue", data=json.dumps({**body, "routing_key": token}), content_type="application/json")
    run_due_work()
    [email] = mail.outbox
    assert "custom_details: " in email.body and "lag_seconds=312" in email.body


def test_the_slack_dm_carries_labels_and_the_alerts_own_links(world, slack_fake):
    only(world, "slack", "U0ALICE123")
    alert(world, fixture("alertmanager", "firing-group-of-3.json"))
    [dm] = slack_fake.messages
    text = dm["blocks"][0]["text"]["text"]
    assert "instance=web1" in text and f"Runbook: {RUNBOOK}" in text
    assert f"Graph: {GRAPH.replace('&', '&amp;')}" in text  # escaped once, by Slack's rules


def test_the_service_channel_message_carries_labels_and_links(world, slack_fake):
    world["service"].slack_channel = "C0CHECKOUT"
    world["service"].save(update_fields=["slack_channel"])
    incident = alert(world, fixture("alertmanager", "firing-group-of-3.json"))
    incident_slack_sync(incident_id=incident.pk)
    message = next(m for m in slack_fake.messages if m["channel"] == "C0CHECKOUT")
    assert "instance=web1" in message["text"] and RUNBOOK in message["text"]


def test_the_sms_names_severity_and_where_it_fires_in_one_segment(world, twilio_fake):
    body = fixture("alertmanager", "firing.json")
    body["alerts"][0]["annotations"]["summary"] = body["commonAnnotations"]["summary"] = "Disk almost full"
    incident = alert(world, body)
    [sms] = twilio_fake.messages
    assert sms["body"].startswith(f"Vigil #{incident.number} SEV2 checkout: Disk almost full @db1 Reply")
    assert "/a/" in sms["body"] and gsm7_fits_one_segment(sms["body"])


def test_a_long_sms_keeps_the_instance_and_the_link_and_cuts_the_title(world, twilio_fake):
    body = fixture("alertmanager", "firing.json")
    body["alerts"][0]["annotations"]["summary"] = body["commonAnnotations"]["summary"] = "Disk almost full " * 20
    alert(world, body)
    [sms] = twilio_fake.messages
    assert "... @db1 Reply" in sms["body"] and "/a/" in sms["body"] and gsm7_fits_one_segment(sms["body"])


def test_the_ack_link_page_shows_what_the_alert_said(world, client):
    incident = alert(world, fixture("alertmanager", "firing-group-of-3.json"))
    page = client.get(f"/a/{ack_token(incident_id=incident.pk, user_id=world['alice'].pk)}").content.decode()
    assert "instance=web1" in page and f'href="{RUNBOOK}"' in page and "3 of 3 alerts firing" in page
    assert "Graph</a>" in page
