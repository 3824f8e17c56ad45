from celery import current_app, shared_task
from django.utils import timezone

from .channels import DeliveryError
from .delivery import deliver as deliver_one
from .delivery import deliveries_cancel_unneeded
from .reminders import reminder_email_send
from .replay import webhook_receipts_prune
from .escalation import escalate as escalate_one
from .handoff.sending import handoff_report_send, handoff_reports_due
from .postmortem_reminders import action_items_remind_overdue, postmortem_reviews_remind_overdue
from .incident_reminders import incident_resolved_tell, major_incident_page, status_updates_remind_overdue
from .metrics import sweep_observed
from .slack.sync import incident_slack_sync
from .slack.tasks import slack_incident_channel_invite, slack_incident_channel_open, slack_pin_add  # noqa: F401
from .status_update_publish import PublishIncomplete, status_update_publish as publish_one, status_updates_unpublished
from .sweep import sweep as sweep_all
from .verification import verification_send
from .webhook_notice import webhook_endpoint_disabled_notify


@shared_task(name="notifications.escalate", acks_late=True, ignore_result=True)
def escalate(incident_id: int, opened: bool = False, major: bool = False) -> None:
    """`opened`: the incident was just opened, and this one message (alert intake publishes one per
    new incident) also does the rest of what opening it asks: the change announced (Slack) and,
    when `major`, the major-incident policy paged. Paging goes first."""
    try:
        escalate_one(incident_id=incident_id)
    finally:
        if opened:
            _incident_changed(incident_id)
            if major:
                major_incident_page(incident_id=incident_id)


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
    _incident_changed(incident_id)


def _incident_changed(incident_id: int) -> None:
    deliveries_cancel_unneeded(incident_id=incident_id)
    incident_slack_sync(incident_id=incident_id)
    incident_resolved_tell(incident_id=incident_id)


@shared_task(name="notifications.prune_webhook_receipts", ignore_result=True, expires=3600)
def prune_webhook_receipts() -> None:
    webhook_receipts_prune()


@shared_task(name="notifications.webhook_endpoint_disabled", acks_late=True, ignore_result=True)
def webhook_endpoint_disabled(endpoint_id: int) -> None:
    webhook_endpoint_disabled_notify(endpoint_id=endpoint_id)


@shared_task(name="notifications.status_update_publish", acks_late=True, ignore_result=True,
             autoretry_for=(PublishIncomplete,), max_retries=5, retry_backoff=True)
def status_update_publish(status_update_id: int) -> None:
    publish_one(status_update_id=status_update_id)


@shared_task(name="notifications.status_updates_due", ignore_result=True, expires=50)
def status_updates_due() -> None:
    """Every minute: remind commanders of overdue updates; publish updates whose message was lost."""
    status_updates_remind_overdue()
    for pk in status_updates_unpublished(now=timezone.now()):
        current_app.send_task("notifications.status_update_publish", args=[pk])


@shared_task(name="notifications.page_major_incident_policy", acks_late=True, ignore_result=True)
def page_major_incident_policy(incident_id: int) -> None:
    major_incident_page(incident_id=incident_id)


@shared_task(name="notifications.reminder_email", acks_late=True, ignore_result=True,
             autoretry_for=(DeliveryError,), max_retries=5, retry_backoff=True)
def reminder_email(reminder_id: int) -> None:
    reminder_email_send(reminder_id=reminder_id)


@shared_task(name="notifications.handoff_reports_due", ignore_result=True, expires=50)
def handoff_reports() -> None:
    """Every minute: record the shifts that just ended and email each one's report."""
    handoff_reports_due()


@shared_task(name="notifications.handoff_report_send", acks_late=True, ignore_result=True,
             autoretry_for=(DeliveryError,), max_retries=5, retry_backoff=True)
def handoff_report_email(report_id: int) -> None:
    handoff_report_send(report_id=report_id)


@shared_task(name="notifications.postmortem_follow_ups_due", ignore_result=True, expires=600)
def postmortem_follow_ups_due() -> None:
    """Every few minutes: remind the owners of overdue action items and postmortem reviews."""
    action_items_remind_overdue()
    postmortem_reviews_remind_overdue()
