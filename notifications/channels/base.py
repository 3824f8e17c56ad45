from dataclasses import dataclass

from django.contrib.auth.models import User


class DeliveryError(Exception):
    """A send failed. `permanent` means retrying can never help (invalid number, unknown user).
    `retry_after` is the provider's own wait, in seconds, when it said how long to back off."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.permanent, self.retry_after = message, permanent, retry_after


@dataclass(frozen=True)
class Message:
    user: User | None
    kind: str  # the contact method kind: sms, voice, email, slack
    to: str
    subject: str
    text: str
    html: str = ""
    incident_id: int | None = None  # set for pages: Slack adds Acknowledge/Resolve buttons
    incident_number: int | None = None
    ack_url: str = ""  # the one-tap acknowledge page (/a/<token>)
    status_callback_url: str = ""  # where Twilio reports delivery and call outcomes
    voice_url: str = ""  # TwiML for a call; without it the call just reads `text` out
    shadow: bool = False  # a shadow's copy of a page: Slack offers "Mark as seen", not Acknowledge/Resolve


class Channel:
    name = "base"

    @classmethod
    def configured(cls) -> bool:
        return True

    def send(self, message: Message) -> str:
        """Send and return the provider's id for the message."""
        raise NotImplementedError
