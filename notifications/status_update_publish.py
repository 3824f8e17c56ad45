"""Carrying a status update to the incident's Slack channel and by email to its subscribers.

Each destination is claimed (a StatusUpdateSend row, unique per update and destination) before
the send, so a retried or duplicated task never sends twice; a send that fails is unclaimed and
retried. The cost is at-most-once where a worker dies between the claim and the send: one
stakeholder misses one update, which the next update repairs, rather than getting every update
twice.
"""
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import StatusUpdate
from incidents.status_updates import incident_subscribers

from .channels import ChannelNotConfigured, DeliveryError, channel_for
from .channels.base import Message
from .channels.slack import post_to_channel, text_blocks
from .clients import slack_configured
from .messages import render_text
from .models import StatusUpdateSend

log = logging.getLogger(__name__)
# Updates older than this that never went out are news no more: the beat task leaves them.
REPUBLISH_WITHIN = timedelta(hours=6)
REPUBLISH_AFTER = timedelta(minutes=1)


class PublishIncomplete(Exception):
    """Some destinations failed for now; the task retries them (the others are claimed)."""


def incident_url(incident_id: int) -> str:
    return f"{settings.PUBLIC_URL}{reverse('incidents:detail', args=[incident_id])}"


def status_update_publish(*, status_update_id: int) -> int:
    """Send the update wherever it has not gone yet; returns how many sends this run made.
    Raises PublishIncomplete when a destination failed in a way worth retrying."""
    update = StatusUpdate.objects.select_related("incident__service", "author").filter(pk=status_update_id).first()
    if update is None:
        return 0
    incident = update.incident
    context = {"update": update, "incident": incident, "service": incident.service, "link": incident_url(incident.pk)}
    sent, failed = 0, []
    channel = incident.service.slack_channel
    if channel and slack_configured():
        text = render_text("notifications/status_update_slack.txt", context)
        outcome = _once(update, f"slack:{channel}", lambda: ":".join(
            post_to_channel(channel=channel, text=text, blocks=text_blocks(text))))
        sent, failed = sent + (outcome == "sent"), failed + ([channel] if outcome == "retry" else [])
    subscribers = [u for u in incident_subscribers(incident=incident) if u.email]
    if subscribers:
        sent_mail, failed_mail = _email(update, context, subscribers)
        sent, failed = sent + sent_mail, failed + failed_mail
    if failed:
        raise PublishIncomplete(f"status update {update.pk}: {len(failed)} destination(s) to retry")
    StatusUpdate.objects.filter(pk=update.pk, published_at__isnull=True).update(published_at=timezone.now())
    return sent


def _email(update: StatusUpdate, context: dict, subscribers: list) -> tuple[int, list]:
    try:
        email = channel_for("email")
    except ChannelNotConfigured:
        log.warning("status update %s: email is not configured; subscribers were not told", update.pk)
        return 0, []
    incident = update.incident
    subject = f"[Vigil] Update on #{incident.number} {incident.service.name}: {incident.title}"[:255]
    text = render_text("notifications/status_update_email.txt", context)
    sent, failed = 0, []
    for user in subscribers:
        message = Message(user=user, kind="email", to=user.email, subject=subject, text=text)
        outcome = _once(update, f"email:{user.pk}", lambda: email.send(message))
        sent += outcome == "sent"
        if outcome == "retry":
            failed.append(user.pk)
    return sent, failed


def _once(update: StatusUpdate, target: str, send) -> str:
    """sent, skipped (already sent, or can never be), or retry."""
    try:
        with transaction.atomic():
            claim = StatusUpdateSend.objects.create(status_update=update, target=target)
    except IntegrityError:
        return "skipped"
    try:
        provider_id = send()
    except DeliveryError as e:
        log.warning("status update %s to %s failed: %s", update.pk, target.split(":")[0], e.message)
        if e.permanent:
            StatusUpdateSend.objects.filter(pk=claim.pk).update(provider_id=f"failed: {e.message}"[:200])
            return "skipped"
        claim.delete()
        return "retry"
    StatusUpdateSend.objects.filter(pk=claim.pk).update(provider_id=(provider_id or "")[:200])
    return "sent"


def status_updates_unpublished(*, now: datetime) -> list[int]:
    """Updates whose after-commit message was lost (or whose task gave up): the beat publishes them."""
    return list(StatusUpdate.objects.filter(
        published_at__isnull=True, created_at__lte=now - REPUBLISH_AFTER, created_at__gt=now - REPUBLISH_WITHIN,
    ).values_list("pk", flat=True)[:100])
