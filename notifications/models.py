from django.conf import settings
from django.db import models
from django.db.models import Q
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


class Page(models.Model):
    """One person paged for one incident at one step of one loop of its escalation policy, in
    one paging round (see Incident.paging_round).

    Unique, so that an escalation step that runs twice (two workers, a retry after a crash)
    pages each person once; a new round (reopen, un-acknowledge, ...) pages them again.
    """

    class Reason(models.TextChoices):
        STEP = "step", "Escalation step"
        ASSIGNED = "assigned", "Assigned directly"
        FALLBACK = "fallback", "Team manager: nobody else could be reached"
        # A copy for someone shadowing the person on call (oncall.models.Shadow): never
        # responsible, so it neither counts as reaching someone nor stops anything when answered.
        SHADOW = "shadow", "Shadow copy"

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="pages")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pages")
    step = models.PositiveSmallIntegerField()
    loop = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.STEP)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "user", "step", "loop", "round"], name="page_unique_per_round"),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="page_user_time")]

    def __str__(self) -> str:
        return f"{self.user} for incident {self.incident_id} (step {self.step + 1}, loop {self.loop + 1})"


class Delivery(models.Model):
    """One message to one contact method, due at a time set by the person's notification rule:
    part of a page (an incident's escalation) or of a reminder (see notifications/reminders.py)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        BUNDLED = "bundled", "Sent in a bundle"

    page = models.ForeignKey(Page, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    reminder = models.ForeignKey("Reminder", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    contact_method = models.ForeignKey("oncall.ContactMethod", on_delete=models.CASCADE, related_name="deliveries")
    rule = models.ForeignKey("oncall.NotificationRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10)  # the contact method's kind when it was created
    channel = models.CharField(max_length=20, blank=True)  # which channel sent it: twilio_sms, console, ...
    # The address it went to, as it was when sent: a reply or a keypress counts only from the
    # number that was actually paged, whatever the contact method says now.
    to = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    provider_status = models.CharField(max_length=20, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # Sent inside another delivery's message (an SMS or a call that carried several incidents):
    # set when that delivery claims this one, so that the call's TwiML can read every incident
    # out and a keypress can act on all of them.
    bundled_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="bundle")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["page", "contact_method", "rule"], name="delivery_unique_per_rule"),
            models.UniqueConstraint(fields=["reminder", "contact_method", "rule"], name="delivery_unique_per_reminder_rule"),
            models.CheckConstraint(condition=Q(page__isnull=True) ^ Q(reminder__isnull=True), name="delivery_page_xor_reminder"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="delivery_status_due"),
            models.Index(fields=["contact_method", "-sent_at"], name="delivery_method_sent"),
            models.Index(fields=["provider_id"], name="delivery_provider_id"),
            models.Index(fields=["to", "-sent_at"], name="delivery_to_sent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.contact_method_id} ({self.status})"


class SlackPost(models.Model):
    """The message about an incident in its service's Slack channel, updated as it changes."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="slack_posts")
    channel = models.CharField(max_length=40)
    ts = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "channel"], name="slack_post_unique_channel")]


class WebhookReceipt(models.Model):
    """A Twilio request already acted on: an SMS by its MessageSid, a keypress by its CallSid and
    digits. Twilio's signature carries no timestamp, so a captured request stays valid forever;
    this row, written in the same transaction as the action, refuses it the second time."""

    key = models.CharField(max_length=120, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key


class IncidentSlackChannel(models.Model):
    """The Slack channel opened for one incident by `/incident declare`: commands typed there act
    on that incident, and 📌 reactions there add messages to its timeline."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="slack_room")
    channel_id = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    # Slack member ids already invited, so that each later page invites only who is new.
    invited = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"#{self.name} ({self.channel_id})"


class Reminder(models.Model):
    """One nudge to one person through their own notification rules, outside any escalation: an
    overdue status update, a resolved incident, an overdue action item. Its deliveries go
    through the paging engine (claim, retry, fall-through to the next rule). The dedup key is
    unique: asking again with the same key sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    dedup_key = models.CharField(max_length=200, unique=True)
    urgency = models.CharField(max_length=4, default="low")
    subject = models.CharField(max_length=255)
    text = models.TextField()
    link = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Sent to the account's email address instead, for someone with no usable rule (when asked).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="reminder_user_time")]

    def __str__(self) -> str:
        return f"{self.subject} for {self.user}"


class StatusUpdateSend(models.Model):
    """A status update already carried to one place (a Slack channel, a subscriber's email), so
    that a retried fan-out does not send it twice."""

    status_update = models.ForeignKey("incidents.StatusUpdate", on_delete=models.CASCADE, related_name="sends")
    target = models.CharField(max_length=120)  # "slack:C0123ABCD", "email:<user id>"
    provider_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["status_update", "target"], name="status_update_send_once")]

    def __str__(self) -> str:
        return f"update {self.status_update_id} to {self.target}"


class HandoffReport(models.Model):
    """One shift's end in one schedule, reported by email to the outgoing and incoming on-call.

    Unique per (schedule, ended_at): the beat task that finds shift ends runs every minute on any
    worker, and whichever inserts the row first owns the report; a second run (or a concurrent
    one) finds it taken. `sent_at` is then the claim on the email itself (see
    notifications/handoff/sending.py)."""

    schedule = models.ForeignKey("oncall.Schedule", on_delete=models.CASCADE, related_name="handoff_reports")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    outgoing = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    incoming = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Who has had it already: a retry after one address failed for now mails only the others.
    emailed_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-ended_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "ended_at"], name="handoff_report_once_per_shift_end"),
            models.CheckConstraint(condition=Q(ended_at__gt=models.F("started_at")), name="handoff_report_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"hand-off of schedule {self.schedule_id} at {self.ended_at:%Y-%m-%d %H:%M}"
