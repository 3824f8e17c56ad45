"""What the team learns after an incident (DESIGN §5): one postmortem per incident, its Markdown
sections, its review, and the action items that carry the lessons into work."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .core import Incident

# The sections a postmortem is written in, in the order the page shows them: (field, heading).
SECTIONS = (
    ("summary", "Summary"),
    ("impact", "Impact"),
    ("detection", "Detection"),
    ("root_causes", "Trigger and root causes"),
    ("resolution", "Resolution"),
    ("timeline", "Timeline"),
    ("went_well", "What went well"),
    ("went_badly", "What went badly"),
    ("got_lucky", "Where we got lucky"),
)


class Postmortem(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        REVIEWED = "reviewed", "Reviewed"
        CLOSED = "closed", "Closed"

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    # Copied from the incident so lists and the overdue page filter by team with one index.
    team = models.ForeignKey("oncall.Team", on_delete=models.PROTECT, related_name="postmortems")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_postmortems")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_due_on = models.DateField()

    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True)
    detection = models.TextField(blank=True)
    root_causes = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    timeline = models.TextField(blank=True)
    went_well = models.TextField(blank=True)
    went_badly = models.TextField(blank=True)
    got_lucky = models.TextField(blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="postmortem_team_time"),
            models.Index(fields=["review_due_on"], condition=Q(status__in=["draft", "in_review"]),
                         name="postmortem_review_due"),
        ]

    def __str__(self) -> str:
        return f"Postmortem of incident {self.incident_id}"


class ActionItem(models.Model):
    class Priority(models.TextChoices):
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        WONT_DO = "wont_do", "Won't do"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="action_items")
    team = models.ForeignKey("oncall.Team", on_delete=models.PROTECT, related_name="action_items")
    title = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="action_items")
    due_on = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    ticket_url = models.URLField(max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The incident's follow-up task this item was made from (DESIGN §5): a task becomes one item at most.
    incident_task = models.OneToOneField("incidents.IncidentTask", null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="action_item")

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["postmortem", "id"], name="action_item_postmortem"),
            models.Index(fields=["owner", "due_on"], condition=Q(status__in=["open", "in_progress"]),
                         name="action_item_owner_open"),
            models.Index(fields=["team", "due_on"], condition=Q(status__in=["open", "in_progress"]),
                         name="action_item_team_open"),
        ]

    def __str__(self) -> str:
        return self.title
