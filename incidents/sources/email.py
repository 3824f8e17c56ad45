"""Email alerts: a monitoring mail becomes one :class:`AlertEvent`.

A message arrives as RFC 822 bytes (posted raw, piped in by an MTA, or in Mailgun's ``body-mime``
and SendGrid's ``email`` fields), parsed here with the standard library's ``email`` package; or as
the fields Mailgun and SendGrid post after parsing it themselves (:mod:`.email_forms`). Both become
:class:`MailParts`, and :func:`mail_events` turns those into the event:

- title: the subject, one line, without ``Re:``/``Fwd:`` prefixes; with no subject, the body's
  first line;
- details: ``body`` (text/plain preferred, else the HTML part as text; cut at
  :data:`MAX_BODY_CHARS`), ``from``, ``subject``, ``message_id``, ``received_via``, and how many
  attachments were ignored; links: the http(s) links of the HTML part, else the URLs in the text;
- dedup key: the config's ``dedup_pattern`` (a regular expression searched in the subject: its
  group named ``key``, else its first group, else the whole match), else the thread: the first
  ``References`` id, else ``In-Reply-To``, else the message's own ``Message-ID`` (so replies join
  the incident their thread opened), else a hash of the subject;
- action: ``resolve`` when the config's ``resolve_pattern`` is found in the subject or the body,
  else ``trigger``;
- severity: the earliest ``severity_map`` key found as a word in the subject
  (``{"CRITICAL": "critical", "WARNING": "warning"}``), else ``error``. Only the subject: a body
  that explains thresholds ("warning at 80%, critical at 90%") must not lower a page's urgency.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

from .errors import ErrorList, ParseError, describe_type
from .events import MAX_SOURCE, MAX_SUMMARY, SEVERITIES, AlertEvent
from .fields import get_config
from .html_text import html_to_text
from .links import dedupe_links, make_link
from .severity import DEFAULT_SEVERITY, validate_common_config
from .text import bounded_key, clean_text, hashed_key, truncate

__all__ = ["MailParts", "message_parts", "mail_events", "parse", "validate_config", "message_ids",
           "MAX_BODY_CHARS", "MAX_PATTERN"]

INVALID = "Email is invalid"
MAX_BODY_CHARS = 10_000
MAX_PATTERN = 500
MAX_EMAIL_LINKS = 10
MAX_TITLE_FROM_BODY = 200
_IDENTIFYING = ("From", "Subject", "Message-ID", "Date")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs|antw)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,500})>")
# The parser keeps a header's raw 8-bit bytes as lone surrogates (surrogateescape).
_SMUGGLED_BYTES = re.compile("[\udc80-\udcff]")
_TEXT_URL = re.compile(r"https?://[^\s<>\"'()\[\]]{1,2000}", re.IGNORECASE)
# Base64 that cannot be decoded gives garbage (or the encoded text itself); bad padding alone is harmless.
_UNDECODABLE = (email_errors.InvalidBase64LengthDefect, email_errors.InvalidBase64CharactersDefect)


@dataclass(frozen=True)
class MailParts:
    """What an alert needs from a mail, however it arrived. Strings are cleaned; "" when absent."""

    subject: str = ""
    text: str = ""
    html: str = ""
    sender: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    date: datetime | None = None
    attachments: int = 0
    received_via: str = "raw"


def message_ids(value: str) -> tuple[str, ...]:
    """The ids in a Message-ID, In-Reply-To or References header, without their angle brackets."""
    found = _MESSAGE_ID.findall(value or "")
    if not found and value and value.strip() and len(value.split()) == 1:
        found = [value.strip()[:500]]  # some senders leave the brackets off
    return tuple(found)


# --------------------------------------------------------------------------------------- parsing

def message_parts(raw: Any, *, via: str = "raw") -> MailParts:
    """RFC 822 bytes -> :class:`MailParts`, or ParseError naming what is wrong with the message."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if not isinstance(raw, (bytes, bytearray)):
        raise ParseError(INVALID, [f"the message must be RFC 822 text, not {describe_type(raw)}"])
    if not raw.strip():
        raise ParseError(INVALID, ["the message is empty"])
    try:
        message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
    except Exception:  # the parser is lenient by design; this is for its rare bugs
        raise ParseError(INVALID, ["the message cannot be parsed as RFC 822"]) from None
    errors = ErrorList()
    if not any(name in message for name in _IDENTIFYING):
        raise ParseError(INVALID, [
            "this is not an email message: it has none of the headers From, Subject, Message-ID, Date "
            "(a message starts with header lines, then a blank line, then the body)"])
    text, html = _bodies(message, errors)
    parts = MailParts(
        subject=_header(message, "Subject", errors), sender=_header(message, "From", errors),
        message_id=next(iter(message_ids(_header(message, "Message-ID", errors))), ""),
        in_reply_to=next(iter(message_ids(_header(message, "In-Reply-To", errors))), ""),
        references=message_ids(_header(message, "References", errors)),
        date=_date(message), text=text, html=html, received_via=via,
        attachments=sum(1 for part in message.walk() if _is_attachment(part)),
    )
    errors.raise_if_any(INVALID)
    return parts


def _header(message: EmailMessage, name: str, errors: ErrorList) -> str:
    try:
        raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), None)
        if raw is None:
            return ""
        if _SMUGGLED_BYTES.search(raw):
            return clean_text(" ".join(_raw_header_text(message, raw).split()))
        return clean_text(str(message.get(name)))
    except Exception:  # the header parser still trips on some malformed headers
        errors.add(f"the {name} header cannot be decoded")
        return ""


def _raw_header_text(message: EmailMessage, raw: str) -> str:
    """A header sent as raw 8-bit bytes instead of RFC 2047 words (Windows tools do this): UTF-8
    if it is that, else the body's charset, else Windows-1252, as mail clients read it."""
    data = raw.encode("ascii", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    charset = message.get_content_charset() or ""
    try:
        return data.decode(charset) if charset and "ascii" not in charset else data.decode("windows-1252", "replace")
    except (LookupError, UnicodeDecodeError):
        return data.decode("windows-1252", "replace")


def _date(message: EmailMessage) -> datetime | None:
    try:
        moment = getattr(message.get("Date"), "datetime", None)
    except Exception:
        return None
    if not isinstance(moment, datetime):
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _is_attachment(part: EmailMessage) -> bool:
    try:
        return part.is_attachment()
    except Exception:
        return False


def _bodies(message: EmailMessage, errors: ErrorList) -> tuple[str, str]:
    """The text/plain body (else "") and the text/html body (else ""), attachments left out."""
    found = {"plain": "", "html": ""}
    for subtype in found:
        try:
            part = message.get_body(preferencelist=(subtype,))
        except Exception:
            part = None
        if part is None or part.get_content_type() != f"text/{subtype}":
            continue
        try:
            content = clean_text(part.get_content())
        except LookupError:
            errors.add(f"the text/{subtype} part's charset {part.get_content_charset()!r} is unknown")
            continue
        except Exception:
            errors.add(f"the text/{subtype} part cannot be decoded")
            continue
        # Decoding records its defects on the part.
        if any(isinstance(defect, _UNDECODABLE) for defect in part.defects):
            errors.add(f"the text/{subtype} part is not valid base64")
        else:
            found[subtype] = content
    return found["plain"], found["html"]


# ---------------------------------------------------------------------------------------- events

def mail_events(mail: MailParts, config: dict) -> list[AlertEvent]:
    """One event for one mail (see the module docstring); ParseError when it says nothing at all."""
    subject = " ".join(mail.subject.split())
    topic = _REPLY_PREFIX.sub("", subject).strip()
    if mail.text.strip():
        body, links = mail.text.strip(), _text_links(mail.text)
    else:
        try:
            body, html_links = html_to_text(mail.html)
        except Exception:  # html.parser is lenient; this is for its rare bugs
            body, html_links = "", []
        links = [make_link(href, text) for href, text in html_links]
    if not topic and not body:
        raise ParseError(INVALID, ["the message has neither a subject nor a body"])
    searched_body = body[:MAX_BODY_CHARS]
    title = topic or truncate(" ".join(next(line for line in body.splitlines() if line.strip()).split()),
                              MAX_TITLE_FROM_BODY)
    details: dict = {
        "from": mail.sender, "subject": subject, "body": truncate(body, MAX_BODY_CHARS),
        "message_id": mail.message_id, "received_via": mail.received_via,
    }
    if len(body) > MAX_BODY_CHARS:
        details["body_characters"] = len(body)
    if mail.attachments:
        details["attachments_ignored"] = mail.attachments
    resolve = _pattern(config.get("resolve_pattern"))
    resolves = resolve is not None and bool(resolve.search(topic) or resolve.search(searched_body))
    return [AlertEvent(
        dedup_key=_dedup_key(mail, topic, config),
        action="resolve" if resolves else "trigger",
        summary=truncate(title, MAX_SUMMARY),
        severity=_severity(topic, config),
        source=truncate(parseaddr(mail.sender)[1] or mail.sender, MAX_SOURCE),
        details={key: value for key, value in details.items() if value not in ("", None)},
        links=dedupe_links(links, MAX_EMAIL_LINKS),
        occurred_at=mail.date,
    )]


def _text_links(text: str) -> list[dict | None]:
    return [make_link(match.group().rstrip(".,;:!?")) for match in _TEXT_URL.finditer(text[:MAX_BODY_CHARS])]


def _dedup_key(mail: MailParts, topic: str, config: dict) -> str:
    pattern = _pattern(config.get("dedup_pattern"))
    match = pattern.search(topic) if pattern is not None else None
    if match is not None:
        if "key" in pattern.groupindex:
            value = match.group("key")
        else:
            value = match.group(1) if pattern.groups else match.group(0)
        if value and value.strip():
            return bounded_key("subject:" + value.strip())
    thread = mail.references[0] if mail.references else mail.in_reply_to
    if thread or mail.message_id:
        return bounded_key("message:" + (thread or mail.message_id))
    return hashed_key("subject-hash:", topic)


def _severity(topic: str, config: dict) -> str:
    mapping = config.get("severity_map")
    if not isinstance(mapping, dict):
        return DEFAULT_SEVERITY
    earliest: tuple[int, str] | None = None
    for word, severity in mapping.items():
        if not (isinstance(word, str) and word.strip() and isinstance(severity, str)):
            continue
        found = re.search(rf"(?<!\w){re.escape(word.strip())}(?!\w)", topic, re.IGNORECASE)
        level = severity.strip().lower()
        if found and level in SEVERITIES and (earliest is None or found.start() < earliest[0]):
            earliest = (found.start(), level)
    return earliest[1] if earliest else DEFAULT_SEVERITY


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern | None:
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None


def _pattern(value: Any) -> re.Pattern | None:
    """A stored pattern, compiled; None when absent or invalid (parsers never refuse alerts over config)."""
    if not isinstance(value, str) or not value or len(value) > MAX_PATTERN:
        return None
    return _compiled(value)


def parse(body: Any, integration: Any = None) -> list[AlertEvent]:
    """RFC 822 bytes -> one event, configured by the integration (see the module docstring)."""
    return mail_events(message_parts(body), get_config(integration))


# ---------------------------------------------------------------------------------------- config

def validate_config(config: Any) -> list[str]:
    problems = validate_common_config(config)
    if not isinstance(config, dict):
        return problems
    for key in ("dedup_pattern", "resolve_pattern"):
        if key not in config:
            continue
        value = config[key]
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATTERN:
            problems.append(f"'{key}' must be a regular expression of 1 to {MAX_PATTERN} characters")
        elif _compiled(value) is None:
            try:
                re.compile(value)
            except Exception as e:
                problems.append(f"'{key}' is not a valid regular expression: {str(e)[:200]}")
            else:
                problems.append(f"'{key}' is not a valid regular expression")
    return problems
