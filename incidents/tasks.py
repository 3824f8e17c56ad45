from celery import shared_task

from . import alert_ingest
from .outgoing.tasks import webhook_deliver, webhooks_sweep  # noqa: F401  (registers the tasks)
from .services import incidents_ack_timeouts_expire


@shared_task(name="incidents.heartbeats_check", ignore_result=True)
def heartbeats_check() -> None:
    alert_ingest.heartbeats_check()


@shared_task(name="incidents.ack_timeouts_expire", ignore_result=True, expires=30)
def ack_timeouts_expire() -> None:
    incidents_ack_timeouts_expire()
