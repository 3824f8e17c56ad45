"""Sending one delivery: claim it, re-check that it is still wanted, respect the limits, send,
record. Exactly one worker wins the claim; a failure falls through to the person's next rule."""
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from config.celery import send_after_commit
from config.metrics import DELIVERY_HOLDS, PAGES
from incidents.models import Incident, Urgency
from incidents.ratelimit import rate_count
from incidents.services import timeline_add
from oncall.contacts import contact_method_disable

from .channels import Channel, ChannelNotConfigured, DeliveryError, channel_for
from .messages import page_message
from .metrics import page_sent_observed
from .models import Delivery, Page
from .reminders import reminder_message

log = logging.getLogger(__name__)
Status = Delivery.Status

# Carriers and people both suffer from a flood: like GoAlert, at most this many SMS or calls per
# contact method per window; further pages wait and go out as one bundled message.
METHOD_LIMIT = 5
METHOD_WINDOW = timedelta(minutes=15)
# ...except the first page about a new high-urgency incident, which waits at most this long.
FIRST_PAGE_MAX_HOLD = timedelta(seconds=60)
MAX_ATTEMPTS = 6
HELD = "held by the per-number limit"
THROTTLED = "held by the provider's send rate"
KIND_LABEL = {"sms": "SMS", "voice": "Voice call", "email": "Email", "slack": "Slack"}


def deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Returns what happened, for logs and tests: sent, cancelled, held, retry, failed, skipped."""
    now = now or timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=Status.PENDING, due_at__lte=now).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related(
        "page__incident__service", "page__user", "reminder__user", "contact_method").get(pk=delivery_id)
    try:
        outcome = _deliver_claimed(delivery, now)
    except Exception as e:
        # A bug, a garbled provider answer, a helper service down: left to escape, the claim
        # would be revived by the sweep and fail again, forever, and the person's next rule would
        # never run. It is an attempt like any other.
        log.exception("delivery %s: unexpected %s after the claim", delivery.pk, type(e).__name__)
        outcome = _retry_or_fail(delivery, f"unexpected error: {type(e).__name__}", now)
    PAGES.labels(channel=delivery.kind, outcome=outcome).inc()
    return outcome


def _deliver_claimed(delivery: Delivery, now: datetime) -> str:
    incident = delivery.page.incident if delivery.page_id else None  # a reminder has no incident to stop it
    if incident is not None and incident.status != Incident.Status.TRIGGERED:
        _set(delivery, status=Status.CANCELLED, error=f"incident {incident.status} before it was sent")
        return "cancelled"
    if not delivery.contact_method.usable:
        _fail(delivery, "the contact method is no longer verified or was disabled", now)
        return "failed"
    try:
        channel = channel_for(delivery.kind)
    except ChannelNotConfigured as e:
        _fail(delivery, e.message, now)
        return "failed"
    held = _wait_for_limits(delivery, now)
    if held is not None:
        wait, reason = held
        DELIVERY_HOLDS.labels(channel=delivery.kind, reason="number_limit" if reason == HELD else "provider_rate").inc()
        _retry_at(delivery, now + wait, error=reason, count_attempt=False)
        return "held"
    # A reminder's own words carry no pages: held pages wait for a page of their own.
    bundled = _claim_bundle(delivery, now) if delivery.kind in ("sms", "voice") and delivery.page_id else []
    return _send(delivery, channel, bundled, now)


def _send(delivery: Delivery, channel: Channel, bundled: list[Delivery], now: datetime) -> str:
    try:
        message = page_message(delivery, bundled=bundled) if delivery.page_id else reminder_message(delivery)
        provider_id = channel.send(message)
    except DeliveryError as e:
        _release(bundled)
        if e.permanent:
            contact_method_disable(contact_method=delivery.contact_method, reason=e.message)
            _fail(delivery, e.message, now, channel=channel.name)
            return "failed"
        return _retry_or_fail(delivery, e.message, now, retry_after=e.retry_after, channel=channel.name)
    except Exception:
        _release(bundled)
        raise
    sent_at = timezone.now()
    Delivery.objects.filter(pk__in=[delivery.pk, *(d.pk for d in bundled)]).update(to=delivery.contact_method.value)
    _set(delivery, status=Status.SENT, channel=channel.name, provider_id=provider_id[:100], sent_at=sent_at, error="")
    page_sent_observed(delivery=delivery, bundled=bundled, sent_at=sent_at)
    Delivery.objects.filter(pk__in=[d.pk for d in bundled]).update(
        status=Status.BUNDLED, channel=channel.name, provider_id=provider_id[:100], sent_at=sent_at, error="")
    if delivery.page_id is None:
        return "sent"
    who = delivery.page.user.get_username()
    for d in [delivery, *bundled]:
        timeline_add(incident=d.page.incident, kind="delivery", via="system",
                     text=f"{KIND_LABEL.get(d.kind, d.kind)} page sent to {who} "
                          f"by {channel.name}" + (" (bundled)" if d is not delivery else ""),
                     data={"delivery": d.pk, "channel": channel.name, "status": "sent", "user": delivery.page.user_id})
    return "sent"


def _retry_or_fail(delivery: Delivery, error: str, now: datetime, *, retry_after: int | None = None,
                   channel: str = "") -> str:
    """Another try after a backoff, or, after the last attempt, a failure that hands the page to
    the person's next rule."""
    if delivery.attempts >= MAX_ATTEMPTS:
        _fail(delivery, error, now, channel=channel)
        return "failed"
    backoff = retry_after or min(300, 5 * 2 ** (delivery.attempts - 1))
    _retry_at(delivery, now + timedelta(seconds=backoff), error=error)
    return "retry"


def _set(delivery: Delivery, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(**fields)
    for key, value in fields.items():
        setattr(delivery, key, value)


def _retry_at(delivery: Delivery, at: datetime, *, error: str, count_attempt: bool = True) -> None:
    changes = {"status": Status.PENDING, "due_at": at, "error": error[:500]}
    if not count_attempt:
        changes["attempts"] = F("attempts") - 1
    Delivery.objects.filter(pk=delivery.pk).update(**changes)
    countdown = max(0.0, (at - timezone.now()).total_seconds())
    send_after_commit("notifications.deliver", args=[delivery.pk], countdown=countdown)


def _fail(delivery: Delivery, reason: str, now: datetime, *, channel: str = "") -> None:
    _set(delivery, status=Status.FAILED, error=reason[:500], channel=channel or delivery.channel)
    _report_failure(delivery, reason, now)


def _report_failure(delivery: Delivery, reason: str, now: datetime) -> None:
    if delivery.page_id is None:
        fall_through(delivery=delivery, now=now)
        return
    timeline_add(incident=delivery.page.incident, kind="delivery_failed",
                 text=f"{delivery.kind} page to {delivery.page.user.get_username()} failed: {reason}",
                 data={"delivery": delivery.pk, "status": "failed", "user": delivery.page.user_id})
    fall_through(delivery=delivery, now=now)


def fall_through(*, delivery: Delivery, now: datetime) -> None:
    """A failed delivery brings the person's next rule forward to now."""
    same = {"page_id": delivery.page_id} if delivery.page_id else {"reminder_id": delivery.reminder_id}
    following = Delivery.objects.filter(**same, status=Status.PENDING, due_at__gt=now).order_by("due_at").first()
    if following is None:
        return
    Delivery.objects.filter(pk=following.pk).update(due_at=now)
    send_after_commit("notifications.deliver", args=[following.pk])


def _wait_for_limits(delivery: Delivery, now: datetime) -> tuple[timedelta, str] | None:
    """How long to hold the delivery and why, or None to send now. Only pages held by the
    per-number limit are bundled later; a provider-rate hold is a one-second pause."""
    if delivery.kind not in ("sms", "voice"):
        return None
    recent = Delivery.objects.filter(
        contact_method_id=delivery.contact_method_id, status__in=[Status.SENT, Status.DELIVERED],
        sent_at__gt=now - METHOD_WINDOW)
    if delivery.page_id is None or delivery.page.reason != Page.Reason.SHADOW:
        # Shadow copies never use up the room of someone's own pages (a shadow on call elsewhere).
        recent = recent.exclude(page__reason=Page.Reason.SHADOW)
    if recent.count() >= METHOD_LIMIT:
        if not _first_page_of_a_new_fire(delivery):
            oldest = recent.aggregate(first=Min("sent_at"))["first"]
            return oldest + METHOD_WINDOW - now + timedelta(seconds=1), HELD
        # A new high-urgency incident is not a repeat: the first word of it never waits out the
        # window. One such message a minute at most goes out over the limit, and it carries
        # every page held for the number, so a storm of new incidents still rings once a minute.
        latest = recent.aggregate(last=Max("sent_at"))["last"]
        if now - latest < FIRST_PAGE_MAX_HOLD:
            return latest + FIRST_PAGE_MAX_HOLD - now, HELD
    wait = _provider_budget_wait(delivery.kind, now)
    return (wait, THROTTLED) if wait is not None else None


def _first_page_of_a_new_fire(delivery: Delivery) -> bool:
    """The first page to this number about a high-urgency incident (not a repeat, not low urgency)."""
    if delivery.page_id is None:
        return False
    incident = delivery.page.incident
    return incident.urgency == Urgency.HIGH and not Delivery.objects.filter(
        contact_method_id=delivery.contact_method_id, page__incident_id=incident.pk,
        status__in=[Status.SENT, Status.DELIVERED, Status.BUNDLED]).exists()


def _provider_budget_wait(kind: str, now: datetime) -> timedelta | None:
    """A global send rate per provider (Twilio queues beyond ~1 message/s per number)."""
    limit = settings.PROVIDER_SENDS_PER_SECOND.get(kind)
    if not limit:
        return None
    count = rate_count(f"provider-rate:{kind}:{int(now.timestamp())}", timeout=5)
    return timedelta(seconds=1) if count is not None and count > limit else None


def _claim_bundle(delivery: Delivery, now: datetime) -> list[Delivery]:
    """Other pages held for the same number go out inside this message: shadow copies only with
    shadow copies, so that a message marked "Shadow copy:" never carries a page of one's own."""
    shadow = delivery.page.reason == Page.Reason.SHADOW
    held = list(Delivery.objects.filter(
        contact_method_id=delivery.contact_method_id, status=Status.PENDING, error=HELD,
        page__incident__status=Incident.Status.TRIGGERED).exclude(pk=delivery.pk).filter(
        Q(page__reason=Page.Reason.SHADOW) if shadow else ~Q(page__reason=Page.Reason.SHADOW)).select_related(
        "page__incident__service")[:20])
    return [d for d in held if Delivery.objects.filter(pk=d.pk, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, bundled_into=delivery)]


def _release(bundled: list[Delivery]) -> None:
    Delivery.objects.filter(pk__in=[d.pk for d in bundled], status=Status.SENDING).update(
        status=Status.PENDING, bundled_into=None)


def delivery_status_update(*, provider_id: str, status: str, answered_by: str = "") -> int:
    """A provider's status callback. Failed, undelivered, unanswered and voicemail-answered calls
    count as not delivered: the person's next rule is brought forward."""
    failed = status in ("failed", "undelivered", "no-answer", "busy", "canceled") or answered_by.startswith("machine")
    deliveries = list(Delivery.objects.filter(provider_id=provider_id).select_related("page__incident", "page__user"))
    now = timezone.now()
    for d in deliveries:
        if failed and d.status in (Status.SENT, Status.DELIVERED, Status.BUNDLED):
            reason = "answered by voicemail" if answered_by.startswith("machine") else status
            _set(d, provider_status=status[:20])
            _fail(d, f"not delivered: {reason}", now)
        elif status == "delivered" or status == "completed":
            Delivery.objects.filter(pk=d.pk, status=Status.SENT).update(status=Status.DELIVERED, provider_status=status)
        else:
            Delivery.objects.filter(pk=d.pk).update(provider_status=status[:20])
    return len(deliveries)


def deliveries_reclaim_stale(*, claimed_before: datetime, now: datetime) -> int:
    """Deliveries whose worker died inside the send: back to pending, or failed (falling through
    to the next rule) when that was their last attempt. Returns how many were revived."""
    stale = Delivery.objects.filter(status=Status.SENDING, claimed_at__lt=claimed_before)
    lost = "worker lost while sending"
    for delivery in stale.filter(attempts__gte=MAX_ATTEMPTS).select_related("page__incident", "page__user"):
        # Conditional, so that a worker finishing late (or a second sweep) is not overwritten.
        if Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING, claimed_at=delivery.claimed_at).update(
                status=Status.FAILED, error=f"{lost} on the last attempt"):
            delivery.status, delivery.error = Status.FAILED, f"{lost} on the last attempt"
            _report_failure(delivery, delivery.error, now)
    return stale.filter(attempts__lt=MAX_ATTEMPTS).update(status=Status.PENDING, error=f"{lost}; retrying",
                                                          bundled_into=None)


def deliveries_cancel_unneeded(*, incident_id: int) -> int:
    """An acknowledged, mitigated or resolved incident needs no more pages: cancel what is still
    pending at once (the sweep would within seconds, and deliver re-checks anyway)."""
    return Delivery.objects.filter(page__incident_id=incident_id, status=Status.PENDING).exclude(
        page__incident__status=Incident.Status.TRIGGERED).update(
        status=Status.CANCELLED, error="incident no longer needs a page")
