"""Posting to Vigil's Twilio webhooks as Twilio does: form-encoded, signed with X-Twilio-Signature
by the real RequestValidator over the public URL."""
import itertools
from urllib.parse import urlencode

from django.conf import settings
from twilio.request_validator import RequestValidator

from tests.notifications.conftest import TWILIO_FROM, TWILIO_TOKEN

_sids = itertools.count(1)


def signed_post(client, path, params, *, token=TWILIO_TOKEN):
    url = f"{settings.PUBLIC_URL}{path}"
    signature = RequestValidator(token).compute_signature(url, params)
    return client.post(path, data=urlencode(params), content_type="application/x-www-form-urlencoded",
                       headers={"X-Twilio-Signature": signature})


def sms_params(body, *, from_, sid=None):
    """An inbound SMS as Twilio posts it; every message has a MessageSid of its own."""
    return {"From": from_, "To": TWILIO_FROM, "Body": body, "MessageSid": sid or f"SM{next(_sids):032x}"}


def send_sms(client, body, *, from_, sid=None):
    return signed_post(client, "/notifications/twilio/sms/", sms_params(body, from_=from_, sid=sid))


def keypress_params(digits, *, call_sid, to):
    """The <Gather> action of an outbound call: To is the person's number, From ours."""
    return {"CallSid": call_sid, "Digits": digits, "From": TWILIO_FROM, "To": to, "Direction": "outbound-api"}


def press(client, delivery, digits, *, call_sid=None, to=None):
    params = keypress_params(digits, call_sid=call_sid or delivery.provider_id, to=to or delivery.contact_method.value)
    return signed_post(client, f"/notifications/twilio/voice/{delivery.pk}/keypress/", params)
