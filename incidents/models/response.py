"""How people respond to an incident (DESIGN §5): the roles they hold, what they found, what
they are doing, and the status updates they post and others follow."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .core import Incident, TimelineEvent


# --- The Communicate → Learn → Act workflow (DESIGN §5): who holds which role, what was found,
# what is being done. Each row is written by incidents/workflow.py with a timeline line.

class IncidentRole(models.Model):
    class Role(models.TextChoices):
        COMMANDER = "commander", "Commander"
        SCRIBE = "scribe", "Scribe"
        COMMUNICATIONS = "communications", "Communications lead"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incident", "role"]
        constraints = [models.UniqueConstraint(fields=["incident", "role"], name="incident_role_unique")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.user}"


class IncidentFinding(models.Model):
    """Something learned or proposed while responding, stamped with when it was recorded: the
    postmortem tells evidence gathered before the first change (mitigation) from what came after."""

    class Kind(models.TextChoices):
        SYMPTOM = "symptom", "Symptom"
        SCOPE = "scope", "Scope and impact"
        EVIDENCE = "evidence", "Evidence"
        HYPOTHESIS = "hypothesis", "Hypothesis"
        CANDIDATE_ACTION = "candidate_action", "Candidate action"
        VERIFICATION = "verification", "Verification"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text = models.TextField()
    url = models.URLField(max_length=2000, blank=True)
    # Who is testing a hypothesis; empty for the other kinds.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    # The candidate action the responders decided to take (at most one per incident).
    chosen = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "kind", "created_at"], name="finding_incident_kind_time")]
        constraints = [
            models.UniqueConstraint(fields=["incident"], condition=Q(chosen=True), name="finding_one_chosen_action"),
            models.CheckConstraint(condition=Q(chosen=False) | Q(kind="candidate_action"),
                                   name="finding_only_actions_chosen"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"


class IncidentTask(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=500)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["incident", "created_at"], name="task_incident_time")]

    def __str__(self) -> str:
        return self.title[:80]

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class StatusUpdate(models.Model):
    """What responders tell stakeholders: the conditions now, the actions under way, what they need."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="status_updates")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    conditions = models.TextField()
    actions = models.TextField()
    needs = models.TextField(blank=True)
    via = models.CharField(max_length=20, choices=TimelineEvent.Via.choices, default=TimelineEvent.Via.WEB)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once the notifications app has carried it to Slack and the subscribers; until then
    # the minute beat task publishes it again (the after-commit message is only a hint).
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "-created_at"], name="status_update_incident_time"),
            models.Index(fields=["created_at"], condition=Q(published_at__isnull=True), name="status_update_unpublished"),
        ]

    def __str__(self) -> str:
        return f"Update on incident {self.incident_id} at {self.created_at:%Y-%m-%d %H:%M}"


class IncidentSubscription(models.Model):
    """Someone who hears the incident's status updates and its resolution, responder or not."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="incident_subscriptions")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "user"], name="subscription_unique_person")]

    def __str__(self) -> str:
        return f"{self.user} follows incident {self.incident_id}"
