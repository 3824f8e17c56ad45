from celery import shared_task

from .sending import webhook_deliver as deliver_one
from .sending import webhooks_sweep as sweep_all


@shared_task(name="incidents.webhook_deliver", acks_late=True, ignore_result=True)
def webhook_deliver(delivery_id: int) -> None:
    deliver_one(delivery_id=delivery_id)


@shared_task(name="incidents.webhooks_sweep", ignore_result=True, expires=10)
def webhooks_sweep() -> None:
    sweep_all()
