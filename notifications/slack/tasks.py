"""Celery adapters for the Slack incident channel and 📌 pins (imported by tasks.py)."""
from celery import shared_task

from ..channels import DeliveryError
from .events import slack_pin_add as pin_add
from .incident_channel import incident_channel_failed, incident_channel_invite, incident_channel_open

SLACK_RETRIES = 4


def _retry_or_give_up(task, error: DeliveryError) -> bool:
    """Retry a transient Slack failure (its Retry-After, else backoff); False once it is hopeless."""
    if error.permanent or task.request.retries >= SLACK_RETRIES:
        return False
    raise task.retry(exc=error, countdown=error.retry_after or 10 * 2 ** task.request.retries,
                     max_retries=SLACK_RETRIES)


@shared_task(name="notifications.slack_incident_channel_open", bind=True, acks_late=True, ignore_result=True)
def slack_incident_channel_open(self, incident_id: int, by_id: int | None) -> None:
    try:
        incident_channel_open(incident_id=incident_id, by_id=by_id)
    except DeliveryError as e:
        if not _retry_or_give_up(self, e):
            incident_channel_failed(incident_id=incident_id, reason=e.message)


@shared_task(name="notifications.slack_incident_channel_invite", bind=True, acks_late=True, ignore_result=True)
def slack_incident_channel_invite(self, incident_id: int) -> None:
    try:
        incident_channel_invite(incident_id=incident_id)
    except DeliveryError as e:
        _retry_or_give_up(self, e)


@shared_task(name="notifications.slack_pin_add", bind=True, acks_late=True, ignore_result=True)
def slack_pin_add(self, channel_id: str, ts: str, pinned_by: str = "") -> None:
    try:
        pin_add(channel_id=channel_id, ts=ts, pinned_by=pinned_by)
    except DeliveryError as e:
        _retry_or_give_up(self, e)
