from django.conf import settings
from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    """What the console channel "sent": shown in the web UI's outbox and the log, so that a
    machine with no SMS, Slack or mail provider still shows the whole paging loop."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)  # the contact method kind it stands in for
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="outbox_user_time")]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}: {self.body[:40]}"
