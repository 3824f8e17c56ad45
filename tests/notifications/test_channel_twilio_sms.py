import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from notifications.channels import channel_for
from notifications.channels.base import DeliveryError, Message
from notifications.channels.console import Console
from notifications.channels.twilio_sms import TwilioSms
from notifications.clients import RebasedTwilioHttpClient, twilio_client
from notifications.models import OutboxMessage
from notifications.tasks import send_verification
from oncall.contacts import contact_method_create
from tests.factories import UserFactory

from .conftest import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN

ALICE = "+14155550100"


def sms(text="Vigil #12 triggered: disk full on db1", **fields) -> Message:
    return Message(user=None, kind="sms", to=ALICE, subject="", text=text, **fields)


def test_an_sms_reaches_twilio_with_the_account_credentials_and_returns_its_sid(twilio_fake):
    sid = TwilioSms().send(sms(status_callback_url="https://vigil.example.com/notifications/twilio/status/"))

    [request] = twilio_fake.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    credentials = base64.b64decode(request["headers"]["Authorization"].removeprefix("Basic ")).decode()
    assert credentials == f"{TWILIO_SID}:{TWILIO_TOKEN}"
    assert request["form"] == {"To": [ALICE], "From": [TWILIO_FROM], "Body": ["Vigil #12 triggered: disk full on db1"],
                               "StatusCallback": ["https://vigil.example.com/notifications/twilio/status/"]}
    assert sid.startswith("SM") and sid == twilio_fake.messages[0]["sid"]
    assert twilio_fake.sent_to(ALICE) == 1


def test_an_sms_without_a_status_callback_url_asks_for_no_callback(twilio_fake):
    TwilioSms().send(sms())
    assert "StatusCallback" not in twilio_fake.requests[0]["form"]


@pytest.mark.parametrize("code", [21211, 21614, 21610, 21612, 21408])
def test_a_number_twilio_can_never_text_is_a_permanent_failure(twilio_fake, code):
    twilio_fake.reject_number(ALICE, code=code, message="The 'To' number is not a valid phone number.")
    with pytest.raises(DeliveryError) as failure:
        TwilioSms().send(sms())
    assert failure.value.permanent is True
    assert str(code) in failure.value.message and "not a valid phone number" in failure.value.message
    assert twilio_fake.sent_to(ALICE) == 0


@pytest.mark.parametrize("status,code", [(429, 20429), (500, None), (503, None), (401, 20003)])
def test_rate_limits_server_errors_and_account_problems_are_retried(twilio_fake, status, code):
    twilio_fake.fail_next(status=status, code=code)
    with pytest.raises(DeliveryError) as failure:
        TwilioSms().send(sms())
    assert failure.value.permanent is False
    assert TwilioSms().send(sms()).startswith("SM")  # the fake failed once; the retry goes through


def test_twilio_out_of_reach_is_a_transient_failure(twilio_fake, settings, closed_port_url):
    settings.TWILIO_API_BASE_URL = closed_port_url
    with pytest.raises(DeliveryError) as failure:
        TwilioSms().send(sms())
    assert failure.value.permanent is False and "unreachable" in failure.value.message


def test_without_twilio_credentials_sms_and_voice_go_to_the_console(settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM_NUMBER = ""
    assert isinstance(channel_for("sms"), Console)
    assert isinstance(channel_for("voice"), Console)


def test_with_twilio_credentials_sms_goes_through_twilio(twilio_fake):
    assert isinstance(channel_for("sms"), TwilioSms)


def test_a_verification_code_is_texted_when_twilio_is_configured(twilio_fake, db):
    method = contact_method_create(user=UserFactory(), kind="sms", value=ALICE)
    send_verification.apply(kwargs={"contact_method_id": method.pk, "code": "482913"}).get()
    [message] = twilio_fake.messages
    assert message["to"] == ALICE and "482913" in message["body"]
    assert not OutboxMessage.objects.exists()


def test_the_client_follows_the_settings_it_was_built_from(twilio_fake, settings):
    assert twilio_client() is twilio_client()
    settings.TWILIO_AUTH_TOKEN = "rotated-token"
    assert twilio_client().password == "rotated-token"


def test_the_base_url_replaces_only_twilios_api_host():
    client = RebasedTwilioHttpClient("http://127.0.0.1:8025/twilio")
    assert (client.rebase("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=1")
            == "http://127.0.0.1:8025/twilio/2010-04-01/Accounts/AC1/Messages.json?PageSize=1")
    regional = "https://api.dublin.ie1.twilio.com/2010-04-01/x.json"
    assert client.rebase(regional) == "http://127.0.0.1:8025/twilio/2010-04-01/x.json"
    other_product = "https://lookups.twilio.com/v2/PhoneNumbers/x"
    assert client.rebase(other_product) == other_product


def _settings_in_a_fresh_process(env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SLACK_"))}
    code = "import django; django.setup(); from django.conf import settings; print(settings.TWILIO_AUTH_TOKEN)"
    return subprocess.run([sys.executable, "-c", code], env={**clean, "VIGIL_VAR_DIR": str(tmp_path), **env},
                          cwd=django_settings.BASE_DIR, capture_output=True, text=True, timeout=60)


def test_half_a_set_of_twilio_credentials_stops_start_up(tmp_path):
    run = _settings_in_a_fresh_process({"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_FROM_NUMBER": TWILIO_FROM}, tmp_path)
    assert run.returncode != 0
    assert "ConfigError: TWILIO_AUTH_TOKEN must be set too" in run.stderr


def test_the_twilio_auth_token_can_come_from_a_file(tmp_path):
    (tmp_path / "token").write_text("from-a-secret-file\n")
    run = _settings_in_a_fresh_process({"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_FROM_NUMBER": TWILIO_FROM,
                                        "TWILIO_AUTH_TOKEN_FILE": str(tmp_path / "token")}, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "from-a-secret-file"
