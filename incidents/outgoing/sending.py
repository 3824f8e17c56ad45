"""Sending outgoing webhooks: claim a row, keep each incident's events in order, sign, post,
log the answer, retry with backoff for a day, and disable an endpoint that failed for a day.

Like pages: a conditional update claims a delivery (one worker wins), a claim is a lease that
the sweep takes back from a worker that died, so an event is sent at least once, never lost."""
import http.client
import json
import logging
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from config.celery import send_after_commit
from config.metrics import SWEEP_RECOVERIES, WEBHOOK_DELIVERIES, WEBHOOK_SECONDS

from .destinations import destination_problem
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .signing import HEADER, signature_header

log = logging.getLogger(__name__)
Status = WebhookDelivery.Status

TIMEOUT_SECONDS = 10
RETRY_FOR = timedelta(days=1)
DISABLE_AFTER = timedelta(days=1)
MAX_BACKOFF = timedelta(hours=1)
# A receiver answers within TIMEOUT_SECONDS; a claim older than this belongs to a dead worker.
STALE_CLAIM = timedelta(seconds=2 * TIMEOUT_SECONDS + 5)
UNFINISHED = (Status.PENDING, Status.SENDING)
BATCH = 500


def webhook_deliver(*, delivery_id: int, now: datetime | None = None) -> str:
    """Returns what happened: delivered, retry, failed, waiting (an earlier event of the incident
    is still owed to this endpoint) or skipped (not due, or another worker has it)."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.PENDING, due_at__lte=now).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id, incident_id=delivery.incident_id, id__lt=delivery.pk,
        status__in=UNFINISHED).aggregate(due=Min("due_at"))["due"]
    if earlier is not None:
        # Sent when the earlier one is done (see _next_in_line); until then due with it.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=Status.PENDING, attempts=F("attempts") - 1, due_at=max(earlier, now))
        return "waiting"
    try:
        outcome = _attempt(delivery, now)
    except Exception as e:
        # Left to escape, the claim would be revived by the sweep and fail again for ever; it is
        # an attempt like any other, and gives up after a day like any other.
        log.exception("webhook delivery %s: unexpected %s after the claim", delivery.pk, type(e).__name__)
        outcome = _failed_attempt(delivery, None, f"unexpected error: {type(e).__name__}", now)
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
    return outcome


def _attempt(delivery: WebhookDelivery, now: datetime) -> str:
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        return _finish(delivery, Status.FAILED, error=f"endpoint disabled: {endpoint.disabled_reason}"[:300])
    problem = destination_problem(endpoint.url)
    code, error, took = None, problem or "", 0.0
    if problem is None:
        code, error, took = _post(endpoint, delivery)
    WebhookAttempt.objects.create(delivery=delivery, endpoint=endpoint, at=now, status_code=code,
                                  duration_ms=int(took * 1000), error=error[:300])
    if code is not None and 200 <= code < 300:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        return _finish(delivery, Status.DELIVERED, code=code, delivered_at=timezone.now())
    return _failed_attempt(delivery, code, error or f"the receiver answered {code}", now)


def _failed_attempt(delivery: WebhookDelivery, code: int | None, reason: str, now: datetime) -> str:
    _endpoint_failed(delivery.endpoint, reason, now)
    if now - delivery.created_at >= RETRY_FOR:
        return _finish(delivery, Status.FAILED, code=code, error=f"gave up after a day: {reason}"[:300])
    backoff = min(MAX_BACKOFF, timedelta(seconds=10 * 2 ** min(delivery.attempts - 1, 16)))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.PENDING, due_at=now + backoff, last_status_code=code, error=reason[:300])
    send_after_commit("incidents.webhook_deliver", args=[delivery.pk], countdown=backoff.total_seconds())
    return "retry"


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str, float]:
    """(status code or None, error, seconds). Redirects are not followed: a redirect could lead
    to an address the destination check refused."""
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    parts = urlsplit(endpoint.url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"Content-Type": "application/json", "User-Agent": "Vigil-Webhooks/1",
               "Vigil-Event": delivery.event, "Vigil-Event-Id": delivery.event_id,
               HEADER: signature_header(secret=endpoint.secret, body=body, timestamp=int(time.time()))}
    started = time.perf_counter()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status, "", _observe(started)
    except (OSError, http.client.HTTPException) as e:
        return None, f"{type(e).__name__}: {e}"[:300], _observe(started)
    finally:
        connection.close()


def _observe(started: float) -> float:
    took = time.perf_counter() - started
    WEBHOOK_SECONDS.observe(took)
    return took


def _finish(delivery: WebhookDelivery, status: str, *, code: int | None = None, error: str = "",
            delivered_at: datetime | None = None) -> str:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status, last_status_code=code, error=error, delivered_at=delivered_at)
    _next_in_line(delivery)
    return "delivered" if status == Status.DELIVERED else "failed"


def _next_in_line(delivery: WebhookDelivery) -> None:
    following = WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id, incident_id=delivery.incident_id, id__gt=delivery.pk,
        status=Status.PENDING).order_by("id").first()
    if following is not None:
        WebhookDelivery.objects.filter(pk=following.pk).update(due_at=timezone.now())
        send_after_commit("incidents.webhook_deliver", args=[following.pk])


def _endpoint_failed(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    since = WebhookEndpoint.objects.filter(pk=endpoint.pk).values_list("failing_since", flat=True).get()
    if now - since >= DISABLE_AFTER:
        webhook_endpoint_disable(endpoint=endpoint, reason=f"failing since {since:%Y-%m-%d %H:%M} UTC: {reason}")


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint, reason: str) -> bool:
    """Stop sending to an endpoint, give up what it is still owed, and tell its team's managers
    (by email, through the notifications app, after commit)."""
    with transaction.atomic():
        if not WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
                enabled=False, disabled_reason=reason[:300]):
            return False
        WebhookDelivery.objects.filter(endpoint_id=endpoint.pk, status=Status.PENDING).update(
            status=Status.FAILED, error="endpoint disabled")
        send_after_commit("notifications.webhook_endpoint_disabled", args=[endpoint.pk])
    log.warning("outgoing webhook endpoint %s disabled after failing for a day", endpoint.pk)
    return True


def webhooks_sweep(*, now: datetime | None = None) -> dict:
    """Take claims back from dead workers and re-enqueue due deliveries whose message was lost."""
    now = now or timezone.now()
    revived = WebhookDelivery.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=Status.PENDING, error="worker lost while sending; retrying")
    due = list(WebhookDelivery.objects.filter(status=Status.PENDING, due_at__lte=now - timedelta(seconds=2))
               .order_by("id").values_list("pk", flat=True)[:BATCH])
    for pk in due:
        send_after_commit("incidents.webhook_deliver", args=[pk])
    if revived:
        SWEEP_RECOVERIES.labels(work="claim").inc(revived)
    if due:
        SWEEP_RECOVERIES.labels(work="webhook").inc(len(due))
    return {"revived": revived, "due": len(due)}
