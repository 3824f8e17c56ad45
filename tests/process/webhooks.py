"""HTTP to a running stack, as a monitor posts alerts and as Twilio posts a signed SMS."""
from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.parse
import urllib.request

from .fake_twilio import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN


def http_post(url: str, *, data: bytes, content_type: str, headers: dict | None = None,
              timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def post_alert(url: str, body: dict) -> tuple[int, str]:
    return http_post(url, data=json.dumps(body).encode(), content_type="application/json")


def post_signed_sms(stack_url: str, public_url: str, *, from_: str, body: str) -> tuple[int, str]:
    """An inbound SMS as Twilio delivers it: form-encoded, signed over PUBLIC_URL + path."""
    from twilio.request_validator import RequestValidator

    path = "/notifications/twilio/sms/"
    # Every message has an id of its own: Vigil answers a repeated MessageSid with an empty reply.
    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": TWILIO_SID, "From": from_, "To": TWILIO_FROM,
              "Body": body, "NumMedia": "0"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public_url + path, params)
    return http_post(stack_url + path, data=urllib.parse.urlencode(params).encode(),
                     content_type="application/x-www-form-urlencoded", headers={"X-Twilio-Signature": signature})
