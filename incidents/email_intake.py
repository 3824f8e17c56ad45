"""Email alerts over HTTP and from a local MTA: verify, then parse, then the intake.

``POST /integrations/<token>/email/`` takes a raw RFC 822 message (``Content-Type:
message/rfc822`` or ``text/plain``) or the form Mailgun or SendGrid posts for a mail they received
(``multipart/form-data`` or ``application/x-www-form-urlencoded``; see
:mod:`incidents.sources.email_forms`). ``.../email/mime`` is the same endpoint: Mailgun posts the
raw message only to a URL that ends in "mime". ``manage.py receive_email`` hands a piped message to
:func:`mail_receive`. Answers follow the other intake endpoints (alert_endpoints): 202 once
stored, 404/413/415/400/401/429 with a message, and a rejected request stores nothing.
"""
import base64
import binascii
import hashlib
import hmac
import logging
import time
from io import BytesIO

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.metrics import observe_intake

from . import alert_ingest
from .alert_endpoints import Rejected, answer, check_rate, find_integration, outcomes_body
from .models import Integration
from .sources import ParseError
from .sources.email import MailParts, mail_events, message_parts
from .sources.email_forms import MAILGUN_MAX_AGE_SECONDS, form_parts, mailgun_signature_problem
from .sources.fields import get_config

log = logging.getLogger(__name__)

MESSAGE_TYPES = ("message/rfc822", "text/plain")
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
# Every byte one character: fields keep their bytes, so SendGrid's charsets and raw MIME survive.
FORM_ENCODING = "iso-8859-1"
RAW_FIELDS = ("body-mime", "email")
KINDS = (Integration.Kind.EMAIL,)


def read_limited(request: HttpRequest) -> bytes:
    """The body, or Rejected(413) past the intake limit (declared or actual)."""
    limit = settings.INTAKE_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Rejected(400, "Content-Length is not a number.") from None
    raw = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(raw) > limit:
        raise Rejected(413, f"Body is larger than {limit // 1024} KB.")
    return raw


def _form(request: HttpRequest, raw: bytes, content_type: str) -> dict:
    try:
        if content_type == "application/x-www-form-urlencoded":
            fields, files = QueryDict(raw, encoding=FORM_ENCODING), {}
        else:
            meta = {**request.META, "CONTENT_LENGTH": str(len(raw))}
            fields, files = MultiPartParser(meta, BytesIO(raw), request.upload_handlers, FORM_ENCODING).parse()
    except (MultiPartParserError, SuspiciousOperation, ValueError) as e:
        raise Rejected(400, f"The form cannot be read: {str(e)[:200]}") from None
    form = {name: fields.get(name) for name in fields}
    for name in RAW_FIELDS:  # a raw message sent as a file part rather than a field
        if name not in form and name in files:
            form[name] = files[name].read(settings.INTAKE_MAX_BODY_BYTES + 1).decode(FORM_ENCODING)
    return form


def _check_basic_auth(integration: Integration, header: str | None) -> None:
    expected = get_config(integration).get("basic_auth")
    if not isinstance(expected, str) or not expected:
        return
    given = b""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() == "basic":
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            given = b""
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        raise Rejected(401, "This integration needs basic-auth credentials, and these are missing or wrong.",
                       headers={"WWW-Authenticate": 'Basic realm="Vigil email intake"'})


def _mailgun_token_key(integration: Integration, token: str) -> str:
    return "mailgun-token:" + hashlib.sha256(f"{integration.pk}:{token}".encode("utf-8", "replace")).hexdigest()


def _check_mailgun(integration: Integration, form: dict | None) -> str | None:
    """The Mailgun token to remember once the mail is stored, or None when no key is configured."""
    key = get_config(integration).get("mailgun_signing_key")
    if not isinstance(key, str) or not key:
        return None
    form = form or {}
    problem = mailgun_signature_problem(timestamp=form.get("timestamp"), token=form.get("token"),
                                        signature=form.get("signature"), signing_key=key, now=time.time())
    if problem:
        raise Rejected(401, problem)
    token = form["token"].strip()
    if _cache_get(_mailgun_token_key(integration, token)):
        raise Rejected(401, "This Mailgun token was used before: refused as a replay.")
    return token


def _cache_get(key: str) -> object:
    # The cache is a helper, never a gate (see incidents.ratelimit): unreachable, replays go unchecked.
    try:
        return cache.get(key)
    except Exception as e:  # redis and socket errors share no base class
        log.warning("replay cache unreachable (%s): Mailgun tokens go unchecked", type(e).__name__)
        return None


def _remember(key: str) -> None:
    try:
        cache.set(key, 1, timeout=2 * MAILGUN_MAX_AGE_SECONDS)
    except Exception as e:
        log.warning("replay cache unreachable (%s): a Mailgun token was not remembered", type(e).__name__)


def read_mail(request: HttpRequest, integration: Integration) -> tuple[MailParts, str | None]:
    """The mail a request carries, and the Mailgun token to remember; Rejected or ParseError."""
    raw = read_limited(request)
    content_type = (request.content_type or "").lower()
    if content_type in MESSAGE_TYPES:
        form = None
    elif content_type in FORM_TYPES:
        form = _form(request, raw, content_type)
    else:
        raise Rejected(415, f"Content-Type must be message/rfc822 or text/plain (a raw message), or a Mailgun or "
                            f"SendGrid form (multipart/form-data), not {content_type or 'missing'!r}.")
    mailgun_token = _check_mailgun(integration, form)
    return (form_parts(form) if form is not None else message_parts(raw)), mailgun_token


@csrf_exempt
@observe_intake("email")
@require_http_methods(["POST"])
def email_webhook(request: HttpRequest, token: str) -> JsonResponse:
    try:
        integration = find_integration(token, kinds=KINDS)
        check_rate(integration)
        _check_basic_auth(integration, request.headers.get("Authorization"))
        mail, mailgun_token = read_mail(request, integration)
        events = mail_events(mail, get_config(integration))
    except Rejected as r:
        return answer(r.status, {"status": "rejected", "message": r.message, "errors": r.errors}, r.headers)
    except ParseError as e:
        return answer(400, {"status": "rejected", **e.to_dict()})
    outcomes = alert_ingest.alerts_ingest(integration=integration, events=events)
    if mailgun_token:
        _remember(_mailgun_token_key(integration, mailgun_token))
    return answer(202, outcomes_body(outcomes))


def mail_receive(*, token: str, raw: bytes) -> list[alert_ingest.AlertOutcome]:
    """One message piped in by a local MTA. The address's token is the credential, as the URL's is
    over HTTP; the rate limit and size limit hold as they do there. Rejected or ParseError."""
    integration = find_integration(token, kinds=KINDS)
    check_rate(integration)
    limit = settings.INTAKE_MAX_BODY_BYTES
    if len(raw) > limit:
        raise Rejected(413, f"The message is larger than {limit // 1024} KB.")
    events = mail_events(message_parts(raw, via="mta"), get_config(integration))
    return alert_ingest.alerts_ingest(integration=integration, events=events)
