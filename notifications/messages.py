"""What a page says, per channel. Templates in templates/notifications/."""
from django.conf import settings
from django.template.loader import render_to_string

from .channels.base import Message
from .channels.twilio_sms import shorten_for_sms
from .links import ack_url
from .models import Delivery


def page_message(delivery: Delivery, *, bundled: list[Delivery] = ()) -> Message:
    incident = delivery.page.incident
    user = delivery.page.user
    link = ack_url(incident_id=incident.pk, user_id=user.pk)
    context = {"incident": incident, "service": incident.service, "ack_url": link,
               "others": [d.page.incident for d in bundled]}
    subject = f"[Vigil] #{incident.number} {incident.service.name}: {incident.title}"[:255]
    if delivery.kind == "sms":
        text = _sms_text(context)
    else:
        text = render_to_string(f"notifications/page_{_template(delivery.kind)}.txt", context).strip()
    html = render_to_string("notifications/page_email.html", context) if delivery.kind == "email" else ""
    return Message(
        user=user, kind=delivery.kind, to=delivery.contact_method.value, subject=subject, text=text, html=html,
        incident_id=incident.pk, incident_number=incident.number, ack_url=link,
        status_callback_url=f"{settings.PUBLIC_URL}/notifications/twilio/status/",
        voice_url=f"{settings.PUBLIC_URL}/notifications/twilio/voice/{delivery.pk}/",
    )


def _template(kind: str) -> str:
    return kind if kind in ("voice", "email", "slack") else "email"


def _sms_text(context: dict) -> str:
    """One GSM-7 segment where it can: the title gives way before the number, reply hint or link."""
    incident = context["incident"]
    others = context["others"]
    if others:
        numbers = ", ".join(f"#{o.number}" for o in others[:8])
        head = f"Vigil: #{incident.number} and {len(others)} more incidents need you ({numbers})."
        return f"{head} Reply 'ack {incident.number}' per incident. {context['ack_url']}"
    fixed = f"Vigil #{incident.number} {context['service'].name}: "
    tail = f" Reply 'ack {incident.number}' or 'res {incident.number}'. {context['ack_url']}"
    return fixed + shorten_for_sms(incident.title, limit=max(20, 160 - len(fixed) - len(tail))) + tail
