"""Acting on an incident from a phone: SMS replies, keypresses, Slack buttons and ack links all
end here, so each channel gets the same rules: only someone who was paged for the incident, or a
responder of its team, may act, and the answer says what happened in words.

Someone whose every page for the incident is a shadow copy is not responsible for it: whatever
they answer from a phone is recorded as "seen by the shadow" and changes nothing, so the person on
call is still paged. To take the incident over, a shadow who is a responder acts from the web or
the API, like any responder."""
import re
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from incidents.models import Incident
from incidents.services import AlreadyHandled, IncidentError, incident_acknowledge, incident_resolve, timeline_add
from oncall.access import user_can_respond
from oncall.models import ContactMethod

from .escalation import escalate_now
from .models import Delivery, Page
from .replay import webhook_receipt_claim
from .selectors import delivery_bundle

ACTIONS = {"ack": "acknowledge", "a": "acknowledge", "acknowledge": "acknowledge", "ok": "acknowledge",
           "resolve": "resolve", "res": "resolve", "r": "resolve", "resolved": "resolve"}
_REPLY = re.compile(r"^\s*(?:(?P<n1>\d+)\s*(?P<a1>[a-z]+)|(?P<a2>[a-z]+)\s*#?\s*(?P<n2>\d+)?)\s*[.!]?\s*$", re.I)
PAGING_STOPPED = " Paging has stopped."
# Twilio ends every call after four hours at most (its default time limit): a keypress for an
# older call can only be a replay.
KEYPRESS_WINDOW = timedelta(hours=4)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str
    incident: Incident | None = None


def parse_reply(body: str) -> tuple[str, int | None] | None:
    """'ack', 'A', 'ack 42', '42a', 'r 42', 'Resolve #42' → (action, number or None)."""
    match = _REPLY.match(body or "")
    if not match:
        return None
    word = (match["a1"] or match["a2"]).lower()
    number = match["n1"] or match["n2"]
    action = ACTIONS.get(word)
    return (action, int(number) if number else None) if action else None


def may_act(*, user: User, incident: Incident) -> bool:
    return Page.objects.filter(incident=incident, user=user).exists() or user_can_respond(user=user, team_id=incident.team_id)


def shadowing_only(*, user: User, incident: Incident) -> bool:
    """Whether the person got only shadow copies of the incident's pages, never a page of their own."""
    reasons = set(Page.objects.filter(incident=incident, user=user).values_list("reason", flat=True))
    return reasons == {Page.Reason.SHADOW}


def shadow_seen(*, user: User, incident: Incident, via: str) -> Outcome:
    """A shadow answered their copy: the timeline says so (once a paging round), nothing else changes."""
    round_ = incident.paging_round
    if not incident.timeline.filter(kind="shadow_seen", actor=user, data__round=round_).exists():
        timeline_add(incident=incident, kind="shadow_seen", actor=user, via=via,
                     text=f"Seen by the shadow {user.get_username()}; the person on call is still responsible.",
                     data={"round": round_})
    return Outcome(True, f"Shadow copy of #{incident.number} marked as seen. You are shadowing, so nothing "
                         "else changed: the person on call is still paged.", incident)


def act(*, user: User, incident: Incident, action: str, via: str) -> Outcome:
    if not may_act(user=user, incident=incident):
        return Outcome(False, f"Sorry, you were not paged for incident #{incident.number} and are not a responder "
                              "of its team, so nothing was changed.", incident)
    if shadowing_only(user=user, incident=incident):
        return shadow_seen(user=user, incident=incident, via=via)
    try:
        if action == "acknowledge":
            incident = incident_acknowledge(incident=incident, by=user, via=via)
            return Outcome(True, f"Acknowledged #{incident.number}: {incident.title[:60]}.{PAGING_STOPPED}", incident)
        if action == "resolve":
            incident = incident_resolve(incident=incident, by=user, via=via)
            return Outcome(True, f"Resolved #{incident.number}: {incident.title[:60]}.", incident)
        if action == "escalate":
            moved = escalate_now(incident=incident, by=user, via=via)
            return Outcome(moved, f"Escalating #{incident.number} to the next step now." if moved
                           else f"#{incident.number} is not escalating any more.", incident)
    except AlreadyHandled as e:
        return Outcome(True, e.message, incident)
    except IncidentError as e:
        return Outcome(False, e.message, incident)
    return Outcome(False, f"Unknown action {action!r}.", incident)


def keypress_received(*, delivery: Delivery, call_sid: str, digits: str, called: str) -> Outcome | None:
    """A key pressed on a page call, or None when Twilio already sent this one (a replay or a
    retry). Acts only if the call went to the number the delivery was sent to, and that number
    is still a verified, enabled contact method of the person."""
    with transaction.atomic():
        if not webhook_receipt_claim(key=f"keypress:{call_sid}:{digits[:8]}"):
            return None
        if not _call_reached_paged_number(delivery=delivery, called=called):
            return Outcome(False, "This call did not reach a verified Vigil number, so nothing was changed.")
        return keypress(delivery=delivery, digits=digits)


def _call_reached_paged_number(*, delivery: Delivery, called: str) -> bool:
    method = delivery.contact_method
    return (bool(called) and called == delivery.to == method.value and method.usable
            and delivery.sent_at is not None and timezone.now() - delivery.sent_at < KEYPRESS_WINDOW)


def keypress(*, delivery: Delivery, digits: str) -> Outcome:
    action = {"1": "acknowledge", "2": "resolve", "3": "escalate"}.get((digits or "").strip()[:1])
    if action is None:
        return Outcome(False, "Sorry, that key does nothing.")
    outcome = act(user=delivery.page.user, incident=delivery.page.incident, action=action, via="voice")
    bundle = delivery_bundle(delivery=delivery)
    if action != "acknowledge" or not bundle:
        return outcome
    # A bundled call read out every incident it carried and offered 1 for all of them.
    outcomes = [outcome, *(act(user=d.page.user, incident=d.page.incident, action=action, via="voice") for d in bundle)]
    done = [o.incident.number for o in outcomes if o.ok]
    return Outcome(bool(done), f"Acknowledged {len(done)} of {len(outcomes)} incidents: "
                               f"{', '.join(map(str, done)) or 'none'}. Paging for them has stopped.", outcome.incident)


def slack_action(*, slack_user_id: str, value: str) -> Outcome:
    action, _, incident_id = (value or "").partition(":")
    action = {"ack": "acknowledge", "resolve": "resolve"}.get(action)
    incident = Incident.objects.filter(pk=int(incident_id)).first() if incident_id.isdigit() else None
    if action is None or incident is None:
        return Outcome(False, "That button no longer works.")
    method = ContactMethod.objects.filter(kind="slack", value=slack_user_id, verified_at__isnull=False).select_related("user").first()
    if method is None:
        return Outcome(False, "Your Slack account is not linked to a Vigil person (add it as a Slack contact "
                              "method in your Vigil profile), so nothing was changed.", incident)
    return act(user=method.user, incident=incident, action=action, via="slack")


def slack_command(*, slack_user_id: str, action: str, number: int) -> Outcome:
    method = ContactMethod.objects.filter(kind="slack", value=slack_user_id, verified_at__isnull=False).select_related("user").first()
    if method is None:
        return Outcome(False, "Your Slack account is not linked to a Vigil person, so nothing was changed.")
    incidents = Incident.objects.filter(number=number, team__memberships__user=method.user).distinct()
    paged = Incident.objects.filter(number=number, pages__user=method.user).distinct()
    incident = incidents.first() or paged.first()
    if incident is None:
        return Outcome(False, f"No incident #{number} that you can act on.")
    return act(user=method.user, incident=incident, action=action, via="slack")
