from dataclasses import dataclass

from django.contrib.auth.models import User


class DeliveryError(Exception):
    """A send failed. `permanent` means retrying can never help (invalid number, unknown user)."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message, self.permanent = message, permanent


@dataclass(frozen=True)
class Message:
    user: User | None
    kind: str  # the contact method kind: sms, voice, email, slack
    to: str
    subject: str
    text: str
    html: str = ""


class Channel:
    name = "base"

    @classmethod
    def configured(cls) -> bool:
        return True

    def send(self, message: Message) -> str:
        """Send and return the provider's id for the message."""
        raise NotImplementedError
