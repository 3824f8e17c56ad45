"""SMS through Twilio, and the arithmetic of SMS segments.

A page should fit one segment: a long text arrives split, out of order on some phones, and costs
one message per segment. A segment holds 160 GSM-7 characters, but a single character outside
the GSM-7 alphabet (a curly quote, an em dash, an emoji) turns the whole text into UCS-2, and a
segment then holds only 70. https://www.twilio.com/docs/glossary/what-sms-character-limit
"""
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioException

from ..clients import twilio_client, twilio_configured
from .base import Channel, DeliveryError, Message

GSM7_SEGMENT, UCS2_SEGMENT = 160, 70
GSM7, UCS2 = "GSM-7", "UCS-2"

# 3GPP TS 23.038: the basic alphabet costs one septet a character, the extension table two
# (an escape, then the character).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# Look-alikes that monitoring tools and chat apps put into alert titles; replacing them keeps a
# page in GSM-7 (what Twilio's "smart encoding" does, done here so the length is known).
_GSM7_LOOKALIKES = str.maketrans({
    "‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"', "«": '"', "»": '"',
    "–": "-", "—": "-", "−": "-", "‐": "-", "…": "...", "•": "-", "\u00a0": " ", "\t": " ",
})

# Twilio error codes that mean this number can never get the message this way: retrying is
# pointless and the engine disables the contact method. https://www.twilio.com/docs/api/errors
# Everything else is transient: 20429 (too many requests), 5xx, and also account problems
# (20003 bad credentials, 21606 From number not SMS-capable) that an operator can fix without
# the person's number being at fault.
PERMANENT_ERROR_CODES = frozenset({
    21211,  # invalid 'To' number
    21214,  # 'To' number cannot be reached (calls)
    21215,  # the account's geo permissions do not allow calling this number
    21216,  # Twilio blocks calls to this number (high-risk or restricted destination)
    21217,  # the number does not appear to be valid (calls)
    21408,  # SMS to the number's region is not enabled (messaging geo permissions)
    21610,  # the person replied STOP: Twilio refuses to text them until they reply START
    21612,  # the 'To' number cannot receive SMS from this sender (no route)
    21614,  # the 'To' number is not a mobile number (a landline cannot take SMS)
})


class TwilioSms(Channel):
    name = "twilio_sms"

    @classmethod
    def configured(cls) -> bool:
        return twilio_configured()

    def send(self, message: Message) -> str:
        optional = {"status_callback": message.status_callback_url} if message.status_callback_url else {}
        with twilio_errors():
            sent = twilio_client().messages.create(
                to=message.to, from_=settings.TWILIO_FROM_NUMBER, body=message.text, **optional)
        return sent.sid


@contextmanager
def twilio_errors() -> Iterator[None]:
    """Turn what the Twilio SDK raises into DeliveryError, permanent only when the number is at fault."""
    try:
        yield
    except TwilioException as e:
        # TwilioRestException (the classic error body) and TwilioServiceException (RFC 9457) both
        # carry `code`; without a body, `code` is the HTTP status.
        code = getattr(e, "code", None)
        detail = getattr(e, "msg", None) or getattr(e, "detail", None) or getattr(e, "title", None) or str(e)
        raise DeliveryError(f"Twilio error {code}: {detail}", permanent=code in PERMANENT_ERROR_CODES) from e
    except requests.RequestException as e:  # refused, reset, DNS, timeout: the SDK does not wrap them
        raise DeliveryError(f"Twilio unreachable: {e.__class__.__name__}: {e}") from e


def sms_cost(text: str) -> tuple[str, int]:
    """The encoding Twilio will use for `text` and its length in that encoding's units."""
    septets = 0
    for char in text:
        if char in _GSM7_BASIC:
            septets += 1
        elif char in _GSM7_EXTENSION:
            septets += 2
        else:
            # UTF-16 code units: an emoji outside the BMP takes two of the 70.
            return UCS2, len(text.encode("utf-16-le")) // 2
    return GSM7, septets


def gsm7_fits_one_segment(text: str) -> bool:
    """Whether `text`, sent as it is, is one SMS: 160 GSM-7 septets, or 70 UCS-2 units when any
    character is outside GSM-7."""
    encoding, cost = sms_cost(text)
    return cost <= (GSM7_SEGMENT if encoding == GSM7 else UCS2_SEGMENT)


def shorten_for_sms(text: str, limit: int = GSM7_SEGMENT) -> str:
    """`text` made to fit `limit` GSM-7 septets: look-alike punctuation becomes GSM-7, then the
    end is cut at a word where one is near and marked with "...". A text that still needs UCS-2
    gets 70 units for every 160 septets of `limit`."""
    text = text.translate(_GSM7_LOOKALIKES)
    encoding, cost = sms_cost(text)
    budget = limit if encoding == GSM7 else limit * UCS2_SEGMENT // GSM7_SEGMENT
    if cost <= budget:
        return text
    marker = "..."
    kept, used = [], 0
    for char in text:
        used += sms_cost(char)[1] if encoding == GSM7 else len(char.encode("utf-16-le")) // 2
        if used > budget - len(marker):
            break
        kept.append(char)
    cut = "".join(kept)
    space = cut.rfind(" ")
    if space > 0 and len(cut) - space <= 20:
        cut = cut[:space]
    return cut.rstrip() + marker
