"""The safety net: every few seconds, re-enqueue whatever is due and was not picked up.

Celery countdowns are hints; a worker killed mid-escalation, a lost message or a restarted broker
delays a page by one sweep interval, never loses it.
"""
from datetime import datetime, timedelta

from celery import current_app
from django.utils import timezone

from incidents.models import Incident

from .models import Delivery

# Work that a countdown task should pick up any moment now is left to it for this long.
GRACE = timedelta(seconds=2)
# A delivery claimed this long ago and not finished belongs to a worker that died.
STALE_CLAIM = timedelta(minutes=2)
BATCH = 500


def sweep(*, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    cancelled = Delivery.objects.filter(status=Delivery.Status.PENDING).exclude(
        page__incident__status=Incident.Status.TRIGGERED).update(
        status=Delivery.Status.CANCELLED, error="incident no longer needs a page")
    revived = Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=Delivery.Status.PENDING, error="worker lost while sending; retrying")
    incidents = list(Incident.objects.filter(
        status=Incident.Status.TRIGGERED, next_escalation_at__lte=now - GRACE).values_list("pk", flat=True)[:BATCH])
    deliveries = list(Delivery.objects.filter(
        status=Delivery.Status.PENDING, due_at__lte=now - GRACE).values_list("pk", flat=True)[:BATCH])
    for pk in incidents:
        current_app.send_task("notifications.escalate", args=[pk])
    for pk in deliveries:
        current_app.send_task("notifications.deliver", args=[pk])
    return {"escalations": len(incidents), "deliveries": len(deliveries), "cancelled": cancelled, "revived": revived}
