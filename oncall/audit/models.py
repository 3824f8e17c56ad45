from django.conf import settings
from django.db import models
from django.utils import timezone


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self):
        raise PermissionError("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """One change to one audited object. Written once, never changed or deleted (the model, its
    queryset, the admin and the API all refuse)."""

    class Via(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        ADMIN = "admin", "Admin"
        COMMAND = "command", "Command"
        SSO = "sso", "Single sign-on"
        SYSTEM = "system", "System"

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150, blank=True)  # kept when the account is deleted
    via = models.CharField(max_length=10, choices=Via.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=60)  # app_label.model
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    # Plain ids, not foreign keys: the history of a deleted team or person stays readable.
    team_id = models.BigIntegerField(null=True, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)  # the person whose own thing it is
    changes = models.JSONField(default=dict)  # {field: [before, after]}

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["team_id", "-at"], name="audit_team_time"),
            models.Index(fields=["owner_id", "-at"], name="audit_owner_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name or 'system'} {self.action} {self.object_type} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries cannot be deleted.")
