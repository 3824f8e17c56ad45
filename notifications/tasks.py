from celery import shared_task

from .delivery import deliver as deliver_one
from .delivery import deliveries_cancel_unneeded
from .replay import webhook_receipts_prune
from .escalation import escalate as escalate_one
from .metrics import sweep_observed
from .slack.sync import incident_slack_sync
from .slack.tasks import slack_incident_channel_invite, slack_incident_channel_open, slack_pin_add  # noqa: F401
from .sweep import sweep as sweep_all
from .verification import verification_send
from .webhook_notice import webhook_endpoint_disabled_notify


@shared_task(name="notifications.escalate", acks_late=True, ignore_result=True)
def escalate(incident_id: int) -> None:
    escalate_one(incident_id=incident_id)


@shared_task(name="notifications.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> None:
    deliver_one(delivery_id=delivery_id)


@shared_task(name="notifications.sweep", ignore_result=True, expires=10)
def sweep() -> None:
    sweep_observed(sweep_all())


@shared_task(name="notifications.send_verification", bind=True, acks_late=True, max_retries=5,
             autoretry_for=(OSError,), retry_backoff=True)
def send_verification(self, contact_method_id: int, code: str) -> None:
    verification_send(contact_method_id=contact_method_id, code=code)


@shared_task(name="notifications.incident_changed", acks_late=True, ignore_result=True)
def incident_changed(incident_id: int) -> None:
    deliveries_cancel_unneeded(incident_id=incident_id)
    incident_slack_sync(incident_id=incident_id)


@shared_task(name="notifications.prune_webhook_receipts", ignore_result=True, expires=3600)
def prune_webhook_receipts() -> None:
    webhook_receipts_prune()


@shared_task(name="notifications.webhook_endpoint_disabled", acks_late=True, ignore_result=True)
def webhook_endpoint_disabled(endpoint_id: int) -> None:
    webhook_endpoint_disabled_notify(endpoint_id=endpoint_id)
