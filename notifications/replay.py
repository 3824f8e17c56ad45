"""Each signed Twilio request acts once. Twilio signs the URL and the parameters but no time, so
a request captured anywhere on its way (a proxy's log, a debugging session) could be sent again
for ever: an old `resolve` would resolve whatever incident is newest by then. Twilio also retries
a webhook that timed out, and a retry must not act twice either."""
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import WebhookReceipt

# Longer than any incident stays open and any Twilio retry; a receipt is a few dozen bytes.
RECEIPT_RETENTION = timedelta(days=30)


def webhook_receipt_claim(*, key: str) -> bool:
    """True the first time `key` is seen. Call it inside the transaction that acts: if the action
    fails, the receipt goes with it and Twilio's retry is processed."""
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(key=key[:120])
    except IntegrityError:
        return False
    return True


def webhook_receipts_prune(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = WebhookReceipt.objects.filter(received_at__lt=now - RECEIPT_RETENTION).delete()
    return deleted
