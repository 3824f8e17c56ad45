from smtplib import SMTPRecipientsRefused, SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .base import Channel, DeliveryError, Message


class Email(Channel):
    name = "email"

    @classmethod
    def configured(cls) -> bool:
        return settings.EMAIL_ENABLED

    def send(self, message: Message) -> str:
        mail = EmailMultiAlternatives(subject=message.subject, body=message.text, to=[message.to])
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        try:
            mail.send()
        except SMTPRecipientsRefused as e:
            raise DeliveryError(f"address refused: {e.recipients}", permanent=True) from e
        except (SMTPException, OSError) as e:
            raise DeliveryError(f"mail server error: {e}") from e
        return mail.extra_headers.get("Message-ID", "")
