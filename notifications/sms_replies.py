"""SMS answers to pages.

A reply counts only from a number that was actually paged (`Delivery.to`), through an SMS
contact method that still has that number and is verified and enabled: typing a number into a
profile proves nothing, and a number given up must lose its power. It acts as the person paged
there.

'ack' or 'resolve' alone act on the newest incident paged to that number that is still paging
(triggered), never on one someone already handled while an older one keeps ringing; 'ack 41' acts
on #41; 'ack all' acknowledges every incident paging the person. Each answer says what else still
pages them, within two SMS segments.
"""
import re

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet

from incidents.models import Incident
from incidents.services import IncidentError, incident_acknowledge
from oncall.models import ContactMethod

from .channels.twilio_sms import GSM7_SEGMENT, shorten_for_sms
from .responder_actions import PAGING_STOPPED, Outcome, act, parse_reply, shadow_seen, shadowing_only
from .models import Delivery, Page
from .replay import webhook_receipt_claim

TRIGGERED = Incident.Status.TRIGGERED
NOT_UNDERSTOOD = ("Vigil did not understand that. Reply 'ack' or 'resolve', optionally with the incident number: "
                  "'ack 42', '42a', 'r 42', or 'ack all'.")
STRANGER = "This number is not a verified Vigil contact method, so nothing was changed."
NOTHING_PAGING = "Nothing is paging you now, so nothing was changed."
_ALL = re.compile(r"^\s*(?P<action>[a-z]+)\s+all\s*[.!]?\s*$", re.I)
LISTED = 8


def sms_received(*, message_sid: str, from_number: str, body: str) -> Outcome | None:
    """None when this message was already processed: a replayed capture or Twilio's retry."""
    with transaction.atomic():
        if not webhook_receipt_claim(key=f"sms:{message_sid}"):
            return None
        return sms_reply(from_number=from_number, body=body)


def sms_reply(*, from_number: str, body: str) -> Outcome:
    every = _parse_all(body)
    parsed = parse_reply(body)
    if every is None and parsed is None:
        return Outcome(False, NOT_UNDERSTOOD)
    if not ContactMethod.objects.filter(kind="sms", value=from_number, verified_at__isnull=False,
                                        disabled_at__isnull=True, user__is_active=True).exists():
        return Outcome(False, STRANGER)
    here = _sent_to(from_number)
    users = list(User.objects.filter(pages__deliveries__in=here).distinct())
    if not users:
        return Outcome(False, "No page was sent to this number, so nothing was changed.")
    if every == "acknowledge":
        return _acknowledge_all(users)
    if every is not None:
        return Outcome(False, "Vigil resolves incidents one at a time: reply 'resolve 41' for each, "
                              "or 'ack all' to stop the paging.")
    action, number = parsed
    page = _page_numbered(here, users, number) if number is not None else _newest_paging(here, action)
    if not isinstance(page, Page):
        return Outcome(False, page)
    outcome = act(user=page.user, incident=page.incident, action=action, via="sms")
    return _with_others(outcome, users)


def _parse_all(body: str) -> str | None:
    """'ack all', 'A all', 'resolve all' → the action, else None."""
    match = _ALL.match(body or "")
    parsed = parse_reply(match["action"]) if match else None
    return parsed[0] if parsed else None


def _sent_to(number: str) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        kind="sms", to=number, contact_method__kind="sms", contact_method__value=number,
        contact_method__verified_at__isnull=False, contact_method__disabled_at__isnull=True,
        page__user__is_active=True,
    ).exclude(sent_at=None).select_related("page__incident", "page__user").order_by("-sent_at", "-pk")


def _page_numbered(here: QuerySet[Delivery], users: list[User], number: int) -> Page | str:
    """#number as paged to this number, or else as paged to the person by another channel
    (the answer to 'ack 41' after '2 more incidents still paging you')."""
    delivery = here.filter(page__incident__number=number).first()
    if delivery is not None:
        return delivery.page
    page = Page.objects.filter(user__in=users, incident__number=number).select_related(
        "incident", "user").order_by("-created_at", "-pk").first()
    return page or f"You were not paged for incident #{number}, so nothing was changed."


def _newest_paging(here: QuerySet[Delivery], action: str) -> Page | str:
    delivery = here.filter(page__incident__status=TRIGGERED).first()
    if delivery is not None:
        return delivery.page
    if action == "resolve":
        # 'ack', then 'resolve' once fixed: the incident is no longer paging but plainly meant,
        # as long as only one open incident was paged here.
        open_pages = {d.page.incident_id: d.page for d in here.filter(page__incident__status__in=Incident.OPEN_STATUSES)}
        if len(open_pages) == 1:
            return next(iter(open_pages.values()))
        if open_pages:
            newest = max(open_pages.values(), key=lambda p: p.incident.created_at).incident
            return (f"{len(open_pages)} incidents paged to you are open; reply with the one to resolve, "
                    f"e.g. 'resolve {newest.number}'.")
    return NOTHING_PAGING


def _still_paging(users: list[User]) -> QuerySet[Incident]:
    return Incident.objects.filter(pages__user__in=users, status=TRIGGERED).distinct().order_by("-created_at", "-pk")


def _with_others(outcome: Outcome, users: list[User]) -> Outcome:
    others = _still_paging(users)
    if outcome.incident is not None:
        others = others.exclude(pk=outcome.incident.pk)
    count = others.count()
    if not count:
        return outcome
    example = others.first().number
    if count == 1:
        tail = f"1 more incident still paging you: reply 'ack {example}'."
    else:
        tail = f"{count} more incidents still paging you: reply 'ack all' or e.g. 'ack {example}'."
    # The title gives way, so that the answer stays one segment (two where it needs UCS-2).
    head = shorten_for_sms(outcome.text.removesuffix(PAGING_STOPPED), limit=GSM7_SEGMENT - len(tail) - 1)
    return Outcome(outcome.ok, f"{head} {tail}", outcome.incident)


def _acknowledge_all(users: list[User]) -> Outcome:
    pages = Page.objects.filter(user__in=users, incident__status=TRIGGERED).select_related(
        "incident", "user").order_by("-created_at", "-pk")
    by_incident: dict[int, Page] = {}
    for page in pages:
        by_incident.setdefault(page.incident_id, page)
    done, seen = [], []
    for page in by_incident.values():
        if shadowing_only(user=page.user, incident=page.incident):
            seen.append(shadow_seen(user=page.user, incident=page.incident, via="sms"))
            continue
        try:
            done.append(incident_acknowledge(incident=page.incident, by=page.user, via="sms"))
        except IncidentError:  # acknowledged or resolved by someone else a moment ago
            continue
    if not done and len(seen) == 1:
        return seen[0]
    if not done and seen:
        return Outcome(True, f"Shadow copies of {len(seen)} incidents marked as seen; the people on call are "
                             "still paged.", seen[0].incident)
    if not done:
        return Outcome(False, NOTHING_PAGING)
    numbers = sorted(i.number for i in done)
    listed = ", ".join(f"#{n}" for n in numbers[:LISTED]) + (f" and {len(numbers) - LISTED} more" if len(numbers) > LISTED else "")
    noun = "incident" if len(done) == 1 else "incidents"
    return Outcome(True, f"Acknowledged {len(done)} {noun}: {listed}.{PAGING_STOPPED}", done[0])
