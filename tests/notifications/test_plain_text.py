"""Alert titles are whatever a monitor sent. Plain-text channels carry them as they are; each
format escapes what it must, exactly once: HTML in the email's HTML part, Slack's &, < and >
(so that no title can mention @channel or a person), XML in TwiML."""
import json
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.utils import timezone

from incidents.services import incident_trigger
from notifications.models import Delivery
from notifications.slack.sync import incident_slack_sync
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work, verified
from tests.notifications.test_paging_twilio import signed_post

TITLE = "<script>alert(1)</script> & <!channel> <@U0BOSS>"
SLACK_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt; &lt;@U0BOSS&gt;"
ALICE = "+14155550101"


@pytest.fixture
def world(db):
    w = paging_setup()
    alice_on_call(w)
    return w


def page(world):
    incident, _ = incident_trigger(service=world["service"], title=TITLE, dedup_key="xss")
    run_due_work()
    return incident


def test_sms_carries_the_title_as_it_is(world, twilio_fake):
    # Short enough that the one-segment SMS never cuts it, whatever the incident's ack link length.
    incident_trigger(service=world["service"], title="<i>db</i> & <b>api</b>", dedup_key="xss")
    run_due_work()
    [sms] = twilio_fake.messages
    assert "<i>db</i> & <b>api</b>" in sms["body"] and "&lt;" not in sms["body"] and "&amp;" not in sms["body"]


def test_a_call_speaks_the_title_as_it_is(world, twilio_fake, client):
    page(world)
    voice = Delivery.objects.get(kind="voice")
    Delivery.objects.filter(pk=voice.pk).update(due_at=timezone.now())
    run_due_work()
    [call] = twilio_fake.calls
    twiml = signed_post(client, f"/notifications/twilio/voice/{voice.pk}/", {"CallSid": call["sid"], "AnsweredBy": "human"})
    spoken = " ".join(say.text for say in ET.fromstring(twiml.content).iter("Say"))
    assert TITLE in spoken and "&lt;" not in spoken and "&amp;" not in spoken


def test_plain_email_carries_the_title_as_it_is_and_the_html_part_escapes_it_once(world, twilio_fake, settings):
    settings.EMAIL_ENABLED = True
    world["alice"].contact_methods.all().delete()
    verified(world["alice"], "email", "alice@example.com", ("high", 0))
    page(world)
    [email] = mail.outbox
    assert TITLE in email.body and TITLE in email.subject
    html = email.alternatives[0][0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;" in html
    assert "<script>" not in html and "&amp;lt;" not in html


def test_a_slack_dm_escapes_the_title_once_by_slacks_rules(world, slack_fake):
    world["alice"].contact_methods.all().delete()
    verified(world["alice"], "slack", "U0ALICE123", ("high", 0))
    page(world)
    [dm] = slack_fake.messages
    assert SLACK_ESCAPED in dm["text"] and SLACK_ESCAPED in dm["blocks"][0]["text"]["text"]
    posted = json.dumps(dm["args"])
    assert "<!channel>" not in posted and "<@U0BOSS>" not in posted and "&amp;lt;" not in posted


def test_the_service_channel_message_escapes_the_title_once(world, slack_fake):
    world["service"].slack_channel = "C0CHECKOUT"
    world["service"].save(update_fields=["slack_channel"])
    incident, _ = incident_trigger(service=world["service"], title=TITLE, dedup_key="xss")
    incident_slack_sync(incident_id=incident.pk)
    [message] = slack_fake.messages
    assert SLACK_ESCAPED in message["text"] and SLACK_ESCAPED in message["blocks"][0]["text"]["text"]
    assert "<!channel>" not in json.dumps(message["args"]) and "&amp;lt;" not in json.dumps(message["args"])
