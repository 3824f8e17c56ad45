"""The forms Mailgun and SendGrid post for a mail they received, as :class:`MailParts`; and
Mailgun's webhook signature.

Mailgun (routes with a ``forward()`` action,
https://documentation.mailgun.com/docs/mailgun/user-manual/receive-forward-store/receive-http):
``body-mime`` holds the raw message when the route's URL ends in ``mime``; otherwise Mailgun posts
what it parsed, in UTF-8: ``subject``, ``from``, ``body-plain``, ``body-html``, the headers as
fields of their own (``Message-Id``, ``In-Reply-To``, ``References``, ``Date``) and all of them in
``message-headers`` (a JSON list of ``[name, value]`` pairs). Every post carries ``timestamp``,
``token`` and ``signature``: the hex HMAC-SHA256 of timestamp + token, keyed with the account's
webhook signing key (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks).

SendGrid Inbound Parse
(https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/inbound-email): with "POST the
raw, full MIME message" on, ``email`` holds the message; otherwise ``subject``, ``from``, ``text``,
``html``, ``headers`` (the raw header block) and ``charsets``, a JSON object naming the charset
each field is in (SendGrid does not convert them). SendGrid signs nothing: the secret URL, and
optionally basic-auth credentials, are all that protect it.

Form values are given as the endpoint read them: bytes decoded as ISO-8859-1, which maps every
byte to one character, so the bytes (and with them SendGrid's charsets) can be recovered exactly.
"""
from __future__ import annotations

import codecs
import hashlib
import hmac
import json
import re
from datetime import datetime, timezone
from email import policy
from email.parser import HeaderParser
from typing import Any, Mapping

from .email import INVALID, MailParts, message_ids, message_parts
from .errors import ErrorList, ParseError
from .fields import parse_timestamp
from .text import clean_text

__all__ = ["form_parts", "mailgun_signature_problem", "MAILGUN_MAX_AGE_SECONDS", "MAILGUN_FIELDS", "SENDGRID_FIELDS"]

MAILGUN_FIELDS = ("body-mime", "body-plain", "body-html", "message-headers", "stripped-text")
SENDGRID_FIELDS = ("email", "text", "html", "headers", "charsets")
# Mailgun retries for hours, and a retry may wait in its queue: a tight window would refuse real
# mail. Within the window a token is accepted once (the endpoint remembers it).
MAILGUN_MAX_AGE_SECONDS = 15 * 60
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _raw_bytes(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:  # already text (a caller that decoded as UTF-8)
        return value.encode("utf-8", "surrogatepass")


def _text(value: Any, charset: str | None, name: str, errors: ErrorList) -> str:
    if not isinstance(value, str):
        return ""
    try:
        codec = codecs.lookup(charset or "utf-8").name
    except LookupError:
        errors.add(f"the charset {charset!r} given for '{name}' is unknown")
        return ""
    return clean_text(_raw_bytes(value).decode(codec, "replace"))


def form_parts(form: Mapping[str, Any]) -> MailParts:
    """A Mailgun or SendGrid inbound form -> MailParts; ParseError when it is neither."""
    if isinstance(form.get("body-mime"), str):
        return message_parts(_raw_bytes(form["body-mime"]), via="mailgun")
    if isinstance(form.get("email"), str):
        return message_parts(_raw_bytes(form["email"]), via="sendgrid")
    if any(name in form for name in MAILGUN_FIELDS):
        return _mailgun(form)
    if any(name in form for name in SENDGRID_FIELDS):
        return _sendgrid(form)
    raise ParseError(INVALID, [
        "the form carries none of the fields Mailgun posts (body-mime, body-plain, body-html, message-headers) "
        "nor those SendGrid posts (email, text, html, headers)"])


def _mailgun(form: Mapping[str, Any]) -> MailParts:
    errors = ErrorList()
    headers: dict[str, str] = {}
    raw_headers = form.get("message-headers")
    if isinstance(raw_headers, str) and raw_headers.strip():
        try:
            pairs = json.loads(_text(raw_headers, "utf-8", "message-headers", errors))
        except (ValueError, RecursionError):
            pairs = None
        if not isinstance(pairs, list):
            errors.add("'message-headers' must be a JSON list of [name, value] pairs")
            pairs = []
        for pair in pairs:
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(item, str) for item in pair):
                headers.setdefault(pair[0].lower(), clean_text(pair[1]))

    def field(name: str) -> str:
        return _text(form.get(name), "utf-8", name, errors)

    def header(name: str) -> str:
        return field(name) or headers.get(name.lower(), "")

    parts = MailParts(
        subject=field("subject") or headers.get("subject", ""), sender=field("from") or headers.get("from", ""),
        text=field("body-plain"), html=field("body-html"),
        message_id=next(iter(message_ids(header("Message-Id"))), ""),
        in_reply_to=next(iter(message_ids(header("In-Reply-To"))), ""),
        references=message_ids(header("References")),
        date=_rfc822_date(header("Date")),
        attachments=_count(field("attachment-count")), received_via="mailgun",
    )
    errors.raise_if_any(INVALID)
    return parts


def _sendgrid(form: Mapping[str, Any]) -> MailParts:
    errors = ErrorList()
    charsets: dict = {}
    raw_charsets = form.get("charsets")
    if isinstance(raw_charsets, str) and raw_charsets.strip():
        try:
            charsets = json.loads(_text(raw_charsets, "utf-8", "charsets", errors))
        except (ValueError, RecursionError):
            charsets = None
        if not isinstance(charsets, dict) or not all(isinstance(v, str) for v in charsets.values()):
            errors.add("'charsets' must be a JSON object naming each field's charset")
            charsets = {}

    def field(name: str) -> str:
        return _text(form.get(name), charsets.get(name), name, errors)

    headers = HeaderParser(policy=policy.default).parsestr(field("headers"))

    def header(name: str) -> str:
        try:
            return clean_text(str(headers.get(name) or ""))
        except Exception:  # the header parser still trips on some malformed headers
            return ""

    parts = MailParts(
        subject=field("subject") or header("Subject"), sender=field("from") or header("From"),
        text=field("text"), html=field("html"),
        message_id=next(iter(message_ids(header("Message-ID"))), ""),
        in_reply_to=next(iter(message_ids(header("In-Reply-To"))), ""),
        references=message_ids(header("References")),
        date=_rfc822_date(header("Date")),
        attachments=_count(field("attachments")), received_via="sendgrid",
    )
    errors.raise_if_any(INVALID)
    return parts


def _count(value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 6 else 0


def _rfc822_date(value: str) -> datetime | None:
    """A Date header's time, or None: a date nobody can read is no reason to lose the alert."""
    if not value.strip():
        return None
    try:
        moment = getattr(policy.default.header_factory("Date", value), "datetime", None)
    except Exception:
        moment = None
    if moment is None:
        return parse_timestamp(value, "Date", ErrorList())  # some relays rewrite it as ISO 8601
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def mailgun_signature_problem(*, timestamp: Any, token: Any, signature: Any, signing_key: str,
                              now: float) -> str | None:
    """Why a Mailgun post's signature fails (a sentence for the 401), or None when it holds.

    The signature is the hex HMAC-SHA256 of ``timestamp + token`` keyed with the signing key; a
    timestamp more than :data:`MAILGUN_MAX_AGE_SECONDS` from ``now`` (either way) is refused as a
    replay. Comparison is constant-time.
    """
    if not all(isinstance(value, str) and value.strip() for value in (timestamp, token, signature)):
        return "Mailgun's timestamp, token and signature fields are required by this integration."
    timestamp, token, signature = timestamp.strip(), token.strip(), signature.strip()
    if not timestamp.isdigit() or len(timestamp) > 12 or len(token) > 200 or not _HEX64.fullmatch(signature):
        return "Mailgun's timestamp, token or signature is malformed."
    signed = (timestamp + token).encode("utf-8", "surrogatepass")
    expected = hmac.new(signing_key.encode("utf-8", "surrogatepass"), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("ascii")):
        return "Mailgun's signature does not match this integration's signing key."
    if abs(now - int(timestamp)) > MAILGUN_MAX_AGE_SECONDS:
        minutes = MAILGUN_MAX_AGE_SECONDS // 60
        return f"Mailgun's timestamp is more than {minutes} minutes from now: refused as a replay."
    return None
