from celery import shared_task

from .verification import verification_send


@shared_task(name="notifications.send_verification", bind=True, acks_late=True, max_retries=5,
             autoretry_for=(OSError,), retry_backoff=True)
def send_verification(self, contact_method_id: int, code: str) -> None:
    verification_send(contact_method_id=contact_method_id, code=code)
