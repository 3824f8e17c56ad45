
from oncall.contacts import CODE_TTL
from oncall.models import ContactMethod

from .channels import channel_for
from .channels.base import Message
from .messages import render_text


def verification_send(*, contact_method_id: int, code: str) -> str:
    method = ContactMethod.objects.select_related("user").get(pk=contact_method_id)
    context = {"code": code, "minutes": int(CODE_TTL.total_seconds() // 60), "method": method}
    text = render_text("notifications/verification.txt", context)
    message = Message(user=method.user, kind=method.kind, to=method.value, subject="Your Vigil verification code", text=text)
    return channel_for(method.kind).send(message)
