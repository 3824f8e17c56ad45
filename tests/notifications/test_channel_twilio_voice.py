import xml.etree.ElementTree as ET

import pytest

from notifications.channels import channel_for
from notifications.channels.base import DeliveryError, Message
from notifications.channels.twilio_voice import TwilioVoice, gather_twiml, reply_twiml
from notifications.tasks import send_verification
from oncall.contacts import contact_method_create
from tests.factories import UserFactory

from .conftest import TWILIO_FROM, TWILIO_SID

BOB = "+14155550199"
TWIML_URL = "https://vigil.example.com/notifications/twilio/voice/7/"
STATUS_URL = "https://vigil.example.com/notifications/twilio/status/"


def call(**fields) -> Message:
    return Message(user=None, kind="voice", to=BOB, subject="", text="Incident 7: checkout is down", **fields)


def test_a_call_fetches_the_page_twiml_and_reports_when_it_ends(twilio_fake):
    sid = TwilioVoice().send(call(voice_url=TWIML_URL, status_callback_url=STATUS_URL))

    [request] = twilio_fake.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Calls.json"
    form = request["form"]
    assert form["To"] == [BOB] and form["From"] == [TWILIO_FROM]
    assert form["Url"] == [TWIML_URL] and form["StatusCallback"] == [STATUS_URL]
    assert form["StatusCallbackEvent"] == ["completed"]
    assert form["MachineDetection"] == ["Enable"] and form["Timeout"] == ["30"]
    assert sid.startswith("CA") and sid == twilio_fake.calls[0]["sid"]
    assert twilio_fake.calls_to(BOB) == 1


def test_a_call_without_twiml_url_reads_the_text_inline(twilio_fake):
    TwilioVoice().send(call())
    form = twilio_fake.requests[0]["form"]
    assert "Url" not in form and "StatusCallback" not in form
    say = ET.fromstring(form["Twiml"][0]).find("Say")
    assert say.text == "Incident 7: checkout is down" and say.get("loop") == "2"


def test_a_verification_code_by_phone_is_read_digit_by_digit(twilio_fake, db):
    method = contact_method_create(user=UserFactory(), kind="voice", value=BOB)
    send_verification.apply(kwargs={"contact_method_id": method.pk, "code": "482913"}).get()
    [placed] = twilio_fake.calls
    assert placed["to"] == BOB and "4 8 2 9 1 3" in placed["twiml"]


@pytest.mark.parametrize("code", [21211, 21214, 21215, 21216, 21217])
def test_a_number_twilio_can_never_call_is_a_permanent_failure(twilio_fake, code):
    twilio_fake.reject_number(BOB, code=code)
    with pytest.raises(DeliveryError) as failure:
        TwilioVoice().send(call(voice_url=TWIML_URL))
    assert failure.value.permanent is True and str(code) in failure.value.message


def test_a_twilio_outage_during_a_call_is_transient(twilio_fake):
    twilio_fake.fail_next(status=502)
    with pytest.raises(DeliveryError) as failure:
        TwilioVoice().send(call(voice_url=TWIML_URL))
    assert failure.value.permanent is False


def test_voice_goes_through_twilio_when_configured(twilio_fake):
    assert isinstance(channel_for("voice"), TwilioVoice)


def test_the_page_twiml_offers_the_keypress_menu_twice_then_says_goodbye():
    action = "https://vigil.example.com/notifications/twilio/voice/7/keypress/?t=a&b"
    root = ET.fromstring(gather_twiml(text="Incident 7: checkout is down", action_url=action))
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["Gather", "Gather", "Say"]
    for gather in root.findall("Gather"):
        assert gather.get("numDigits") == "1" and gather.get("action") == action
        assert gather.get("method") == "POST" and gather.get("timeout") == "10"
        said = [say.text for say in gather.findall("Say")]
        assert said == ["Incident 7: checkout is down", "Press 1 to acknowledge, 2 to resolve, 3 to escalate now."]
    assert "Goodbye" in root.findall("Say")[-1].text


def test_a_reply_says_its_text_and_hangs_up():
    root = ET.fromstring(reply_twiml("Acknowledged. Thank you."))
    assert [(child.tag, child.text) for child in root] == [("Say", "Acknowledged. Thank you."), ("Hangup", None)]


def test_long_numbers_are_spoken_digit_by_digit_but_short_ones_stay_words():
    root = ET.fromstring(reply_twiml("Port 5432 on db1 is down, SEV2"))
    assert root.find("Say").text == "Port 5 4 3 2 on db1 is down, SEV2"
