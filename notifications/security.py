"""Checks that an inbound webhook really comes from Twilio or Slack. Both return False when the
secret is not configured: an unconfigured provider cannot sign anything."""
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from slack_sdk.signature import SignatureVerifier
from twilio.request_validator import RequestValidator

# Slack's own window: a captured request replayed later than this is refused.
# https://docs.slack.dev/authentication/verifying-requests-from-slack/
SLACK_MAX_AGE_SECONDS = 5 * 60


def twilio_signature_valid(request: HttpRequest) -> bool:
    """X-Twilio-Signature is an HMAC over the URL Twilio called and the POST parameters.

    Vigil sits behind proxies and load balancers, so the URL Django sees (http://10.0.0.5:8000/…)
    is not the one Twilio signed: rebuild it from PUBLIC_URL's scheme and host. The path comes
    from the request and already carries any script prefix Django is told about.
    """
    token, signature = settings.TWILIO_AUTH_TOKEN, request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    public = urlsplit(settings.PUBLIC_URL)
    url = f"{public.scheme}://{public.netloc}{request.get_full_path()}"
    # Twilio's JSON webhooks sign the URL (with a bodySHA256 query parameter) and hash the raw body.
    params = request.body.decode("utf-8", "replace") if "bodySHA256" in request.GET else request.POST
    return RequestValidator(token).validate(url, params, signature)


def slack_request_valid(request: HttpRequest) -> bool:
    """X-Slack-Signature is v0=HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the signing secret."""
    secret = settings.SLACK_SIGNING_SECRET
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not secret or not signature or not timestamp.isdigit():
        return False
    verifier = SignatureVerifier(secret)
    # SignatureVerifier refuses the same 5-minute window; checked here too so the rule is ours.
    if abs(verifier.clock.now() - int(timestamp)) > SLACK_MAX_AGE_SECONDS:
        return False
    try:
        return verifier.is_valid(body=request.body, timestamp=timestamp, signature=signature)
    except UnicodeDecodeError:  # the SDK decodes the body as UTF-8; Slack always sends UTF-8
        return False
