import hashlib
import hmac
import time

import pytest
from django.test import RequestFactory
from twilio.request_validator import RequestValidator

from notifications.security import slack_request_valid, twilio_signature_valid

TOKEN = "twilio-test-auth-token"
SECRET = "slack-test-signing-secret"
PUBLIC_URL = "https://vigil.example.com"
SMS_PATH = "/notifications/twilio/sms/?delivery=17"
REPLY = {"From": "+14155550100", "To": "+15005550006", "Body": "ack 12", "MessageSid": "SM" + "1" * 32}


@pytest.fixture(autouse=True)
def secrets_configured(settings):
    settings.PUBLIC_URL, settings.TWILIO_AUTH_TOKEN, settings.SLACK_SIGNING_SECRET = PUBLIC_URL, TOKEN, SECRET


def twilio_request(params=REPLY, *, signed_url=PUBLIC_URL + SMS_PATH, token=TOKEN, signature=None):
    signature = signature if signature is not None else RequestValidator(token).compute_signature(signed_url, REPLY)
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return RequestFactory().post(SMS_PATH, data=params, **headers)


def test_a_request_twilio_signed_for_the_public_url_passes():
    assert twilio_signature_valid(twilio_request()) is True


def test_a_signature_for_the_url_behind_the_proxy_fails():
    # Django sees http://testserver/...; Twilio only ever signs the public URL it called.
    assert twilio_signature_valid(twilio_request(signed_url="http://testserver" + SMS_PATH)) is False


def test_a_twilio_request_signed_with_another_token_fails():
    assert twilio_signature_valid(twilio_request(token="someone-elses-token")) is False


def test_a_twilio_request_with_a_changed_body_fails():
    assert twilio_signature_valid(twilio_request({**REPLY, "Body": "resolve 12"})) is False


def test_a_twilio_request_without_a_signature_fails():
    assert twilio_signature_valid(twilio_request(signature="")) is False


def test_no_twilio_token_configured_refuses_every_request(settings):
    settings.TWILIO_AUTH_TOKEN = ""
    assert twilio_signature_valid(twilio_request(token="")) is False


BODY = b"payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B%22value%22%3A%22ack%3A42%22%7D%5D%7D"


def slack_request(*, age_seconds=0, secret=SECRET, timestamp=None, signature=None, body=BODY):
    timestamp = str(int(time.time()) - age_seconds) if timestamp is None else timestamp
    if signature is None:
        basestring = b"v0:" + timestamp.encode() + b":" + body
        signature = "v0=" + hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    headers = {}
    if timestamp:
        headers["HTTP_X_SLACK_REQUEST_TIMESTAMP"] = timestamp
    if signature:
        headers["HTTP_X_SLACK_SIGNATURE"] = signature
    return RequestFactory().post("/notifications/slack/interactions/", data=body,
                                 content_type="application/x-www-form-urlencoded", **headers)


def test_a_request_slack_signed_now_passes():
    assert slack_request_valid(slack_request()) is True


def test_a_request_slack_signed_four_minutes_ago_still_passes():
    assert slack_request_valid(slack_request(age_seconds=4 * 60)) is True


def test_a_slack_request_replayed_six_minutes_later_fails():
    assert slack_request_valid(slack_request(age_seconds=6 * 60)) is False


def test_a_slack_request_signed_with_another_secret_fails():
    assert slack_request_valid(slack_request(secret="not-the-secret")) is False


def test_a_slack_request_with_a_changed_body_fails():
    request = slack_request()
    request._body = BODY.replace(b"ack", b"resolve")
    assert slack_request_valid(request) is False


@pytest.mark.parametrize("timestamp", ["", "yesterday"])
def test_a_slack_request_without_a_usable_timestamp_fails(timestamp):
    assert slack_request_valid(slack_request(timestamp=timestamp, signature="v0=" + "0" * 64)) is False


def test_a_slack_request_without_a_signature_fails():
    assert slack_request_valid(slack_request(signature="")) is False


def test_no_slack_secret_configured_refuses_every_request(settings):
    settings.SLACK_SIGNING_SECRET = ""
    assert slack_request_valid(slack_request(secret="")) is False
