"""The safety net: every few seconds, re-enqueue whatever is due and was not picked up.

Celery countdowns are hints; a worker killed mid-escalation, a lost message or a restarted broker
delays a page by one sweep interval, never loses it.
"""
from datetime import datetime, timedelta

from celery import current_app
from django.utils import timezone

from incidents.models import Incident

from .clients import TIMEOUT_SECONDS
from .delivery import deliveries_reclaim_stale
from .models import Delivery

# Work that a countdown task should pick up any moment now is left to it for this long.
GRACE = timedelta(seconds=2)
# A claim is a lease. A live worker is done with a send within the provider timeouts (a Slack
# page makes two calls of up to TIMEOUT_SECONDS each; Twilio and SMTP one) and a few seconds of
# database work, so a claim older than this belongs to a worker that died and the page goes out
# again, within STALE_CLAIM plus one sweep interval (about 30 s) of the claim.
#
# That is the at-least-once window: a worker killed after the provider accepted the message but
# before the row recorded it (or a worker stalled past the lease) means the person gets the page
# twice, about half a minute apart. Neither Twilio's Messages API nor Slack's chat.postMessage
# takes an idempotency key that could close it; a duplicate page is the price of never losing one.
STALE_CLAIM = timedelta(seconds=2 * TIMEOUT_SECONDS + 5)
BATCH = 500


def sweep(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    # Only pages: a reminder's deliveries have no incident (a NULL would read as "not triggered").
    cancelled = Delivery.objects.filter(status=Delivery.Status.PENDING, page__isnull=False).exclude(
        page__incident__status=Incident.Status.TRIGGERED).update(
        status=Delivery.Status.CANCELLED, error="incident no longer needs a page")
    revived = deliveries_reclaim_stale(claimed_before=now - STALE_CLAIM, now=now)
    incidents = list(Incident.objects.filter(
        status=Incident.Status.TRIGGERED, next_escalation_at__lte=now - GRACE).values_list("pk", flat=True)[:BATCH])
    deliveries = list(Delivery.objects.filter(
        status=Delivery.Status.PENDING, due_at__lte=now - GRACE).values_list("pk", flat=True)[:BATCH])
    for pk in incidents:
        current_app.send_task("notifications.escalate", args=[pk])
    for pk in deliveries:
        current_app.send_task("notifications.deliver", args=[pk])
    return {"escalations": len(incidents), "deliveries": len(deliveries), "cancelled": cancelled, "revived": revived}
