"""What a page says, per channel. Templates in templates/notifications/.

Only the email's HTML part is HTML. Every .txt template is plain text, rendered by
`render_text()` without HTML autoescaping: an SMS, a call or a plain-text email must say
"<script> & co", not "&lt;script&gt; &amp; co". Each channel escapes what its own format needs,
once: Slack's three characters (channels/slack.py), TwiML's XML (the Twilio SDK).
"""
from django.conf import settings
from django.template import Context, engines
from django.template.loader import render_to_string

from .channels.base import Message
from .channels.twilio_sms import GSM7, GSM7_SEGMENT, UCS2_SEGMENT, shorten_for_sms, sms_cost
from .channels.twilio_voice import PROMPT as VOICE_PROMPT
from .links import ack_url
from .models import Delivery, Page
from .page_alerts import page_alerts
from .selectors import delivery_bundle

# Every message of a shadow copy starts so: the shadow must never mistake it for their own page.
SHADOW_MARK = "Shadow copy: "
SHADOW_PROMPT = ("You are shadowing. Press 1 to record that you have seen it; the person on call is still "
                 "being paged.")

# A bundle may take three segments (153 GSM-7 characters each once split): it stands in for
# several messages, and numbers without titles tell nobody which fire is burning.
BUNDLE_SMS_SEPTETS = 3 * 153
MIN_BUNDLED_TITLE = 12


def page_message(delivery: Delivery, *, bundled: list[Delivery] = ()) -> Message:
    incident = delivery.page.incident
    user = delivery.page.user
    link = ack_url(incident_id=incident.pk, user_id=user.pk)
    mark = SHADOW_MARK if is_shadow_copy(delivery) else ""
    context = {"incident": incident, "service": incident.service, "ack_url": link, "shadow": bool(mark),
               "others": [d.page.incident for d in bundled], "alerts": page_alerts(incident)}
    subject = f"[Vigil] {mark}#{incident.number} {incident.service.name}: {incident.title}"[:255]
    if delivery.kind == "sms":
        # A shadow's copy is a heads-up beside the real page: its title may give way further, so
        # that the mark never pushes it into a second segment.
        text = mark + _sms_text(context, room=160 - len(mark), min_title=8 if mark else 20)
    else:
        text = mark + render_text(f"notifications/page_{_template(delivery.kind)}.txt", context)
    html = render_to_string("notifications/page_email.html", context) if delivery.kind == "email" else ""
    return Message(
        user=user, kind=delivery.kind, to=delivery.contact_method.value, subject=subject, text=text, html=html,
        incident_id=incident.pk, incident_number=incident.number, ack_url=link,
        status_callback_url=f"{settings.PUBLIC_URL}/notifications/twilio/status/",
        voice_url=f"{settings.PUBLIC_URL}/notifications/twilio/voice/{delivery.pk}/", shadow=bool(mark),
    )


def is_shadow_copy(delivery: Delivery) -> bool:
    return delivery.page_id is not None and delivery.page.reason == Page.Reason.SHADOW


def _template(kind: str) -> str:
    return kind if kind in ("voice", "email", "slack") else "email"


def _sms_text(context: dict, *, room: int = 160, min_title: int = 20) -> str:
    """One GSM-7 segment where it can: the title gives way before the number, reply hint or link."""
    incident = context["incident"]
    if context["others"]:
        return _bundle_sms([incident, *context["others"]], context["ack_url"])
    fixed = f"Vigil #{incident.number} {incident.severity} {context['service'].name}: "
    # Where it fires, unless the title says so already: the title gives way first.
    instance = context["alerts"].instance
    where = f" @{shorten_for_sms(instance, limit=30)}" if instance and instance not in incident.title else ""
    tail = f"{where} Reply 'ack {incident.number}' or 'res {incident.number}'. {context['ack_url']}"
    return fixed + shorten_for_sms(incident.title, limit=max(min_title, room - len(fixed) - len(tail))) + tail


def _bundle_sms(incidents: list, link: str) -> str:
    """Every incident the bundle carries, by number and title: as many titles as fit, each cut
    to an equal share of the room; the rest by number only."""
    head = f"Vigil: {len(incidents)} incidents need you:"
    tail = f" Reply 'ack N' for each. {link}"
    for titled in range(len(incidents), -1, -1):
        rest = incidents[titled:]
        also = (" Also " if titled else " ") + ", ".join(f"#{i.number}" for i in rest) + "." if rest else ""
        room = BUNDLE_SMS_SEPTETS - len(head) - len(tail) - len(also)
        room -= sum(len(f" #{i.number} ;") for i in incidents[:titled])
        share = room // titled if titled else 0
        if titled and share < MIN_BUNDLED_TITLE:
            continue
        items = "".join(f" #{i.number} {shorten_for_sms(i.title, limit=share)};" for i in incidents[:titled])
        text = head + items + also + tail
        if titled == 0 or _fits(text, BUNDLE_SMS_SEPTETS):
            return text
    raise AssertionError("unreachable: the bundle without titles is always returned")


def _fits(text: str, septets: int) -> bool:
    encoding, cost = sms_cost(text)
    return cost <= (septets if encoding == GSM7 else septets * UCS2_SEGMENT // GSM7_SEGMENT)


def voice_script(delivery: Delivery) -> tuple[str, str]:
    """What a page call reads out and the keypress menu after it. A bundled call names every
    incident it carries, and 1 acknowledges all of them (responder_actions.keypress_received)."""
    incident = delivery.page.incident
    others = [d.page.incident for d in delivery_bundle(delivery=delivery)]
    text = render_text("notifications/page_voice.txt", {"incident": incident, "service": incident.service,
                                                        "others": others})
    if is_shadow_copy(delivery):
        return SHADOW_MARK + text, SHADOW_PROMPT
    if not others:
        return text, VOICE_PROMPT
    return text, (f"Press 1 to acknowledge all {len(others) + 1} incidents, 2 to resolve incident "
                  f"{incident.number}, 3 to escalate incident {incident.number} now.")


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template (the project's engine, tags and filters), rendered without HTML
    autoescaping, and stripped."""
    template = engines["django"].engine.get_template(template_name)
    return template.render(Context(context, autoescape=False)).strip()
