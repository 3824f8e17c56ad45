import logging

from ..models import OutboxMessage
from .base import Channel, Message

log = logging.getLogger("vigil.console")


class Console(Channel):
    name = "console"

    def send(self, message: Message) -> str:
        body = message.text
        if message.ack_url and message.ack_url not in body:
            body += f"\n{message.ack_url}"
        row = OutboxMessage.objects.create(
            user=message.user, kind=message.kind, to=message.to, subject=message.subject, body=body)
        log.info("console %s to %s: %s", message.kind, message.to, message.subject or message.text.splitlines()[0])
        return f"console-{row.pk}"
