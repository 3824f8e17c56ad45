"""Outgoing webhooks: a team's subscriptions to incident events, and each request owed to them.

A delivery row is written in the same transaction as the incident change it reports (the
database holds the truth, as for pages); Celery tasks only send what the rows say."""
from django.conf import settings
from django.db import models
from django.utils import timezone

# Timeline kinds that are events for subscribers, and the event names they go out as.
EVENTS = {
    "triggered": "incident.triggered",
    "acknowledged": "incident.acknowledged",
    "unacknowledged": "incident.unacknowledged",
    "ack_timeout": "incident.unacknowledged",
    "escalated": "incident.escalated",
    "reassigned": "incident.reassigned",
    "mitigated": "incident.mitigated",
    "resolved": "incident.resolved",
    "reopened": "incident.reopened",
    "status_update": "incident.status_update",
    "note": "incident.note",
}
EVENT_NAMES = sorted(set(EVENTS.values()))


class WebhookEndpoint(models.Model):
    """A URL that receives a team's incident events (one service's, or all the team's)."""

    team = models.ForeignKey("oncall.Team", on_delete=models.CASCADE, related_name="webhook_endpoints")
    service = models.ForeignKey("incidents.Service", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Empty: every event.
    events = models.JSONField(default=list, blank=True)
    # Kept as is: it signs every request, so it cannot be hashed. Shown once, at creation.
    secret = models.CharField(max_length=80)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Since the first failed attempt after the last success: a day of that disables the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["team_id", "id"]
        indexes = [models.Index(fields=["team", "enabled"], name="webhook_endpoint_team")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_masked(self) -> str:
        return self.secret[:10] + "…" if self.secret else ""

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class WebhookDelivery(models.Model):
    """One event owed to one endpoint. Sent in id order per (endpoint, incident)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)
    event_id = models.CharField(max_length=40)  # the same for every endpoint told of one event
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["status", "due_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "incident", "status"], name="webhook_delivery_chain"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request: the delivery log that shows a team what its receiver answered."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-at"], name="webhook_attempt_endpoint")]
