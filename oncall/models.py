import hashlib
import secrets
from functools import lru_cache
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


@lru_cache(maxsize=1)
def _time_zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_problem(name: str) -> str | None:
    """What is wrong with a time zone name, or None. The one check every form, serializer and
    service uses. Checked against the list, not by loading: ZoneInfo("America") is a directory and
    raises an OSError deep in a page render instead of a clear refusal here."""
    if name in _time_zone_names():
        return None
    return f"Unknown time zone {name!r}; use an IANA name like Europe/Berlin."


def validate_time_zone(value: str) -> None:
    problem = time_zone_problem(value)
    if problem:
        raise ValidationError(problem)


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Incidents are numbered per team (#1, #2, ...); the counter lives here so that taking a
    # number is one row update under the team's lock.
    last_incident_number = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        RESPONDER = "responder", "Responder"
        MANAGER = "manager", "Manager"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.RESPONDER)
    # Granted by the identity provider's groups (oncall/sso/services.py): each single sign-on
    # updates or removes it. Memberships granted in Vigil are never touched by a login.
    from_sso_groups = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="membership_unique_team_user")]
        indexes = [models.Index(fields=["user", "team"], name="membership_user_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def can_respond(self) -> bool:
        return self.role in (self.Role.RESPONDER, self.Role.MANAGER)


def hash_secret(raw: str) -> str:
    """Secrets Vigil generates carry 256 bits of entropy, so an unsalted SHA-256 cannot be
    brute-forced and still lets a request find its row by an indexed lookup."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, shown so people can tell their tokens apart.
    key_prefix = models.CharField(max_length=12, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…) for {self.user}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_profile")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    notify_on_resolve = models.BooleanField(
        default=True, help_text="Tell me when incidents I acknowledged or follow are resolved.")

    def __str__(self) -> str:
        return f"{self.user} ({self.time_zone})"


class ContactMethod(models.Model):
    class Kind(models.TextChoices):
        SMS = "sms", "SMS"
        VOICE = "voice", "Voice call"
        EMAIL = "email", "Email"
        SLACK = "slack", "Slack"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # E.164 for sms/voice, an address for email, a Slack user id (U…) for slack.
    value = models.CharField(max_length=254)
    label = models.CharField(max_length=50, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Set when a provider says this address can never be reached (invalid number, unknown user);
    # a disabled method is skipped until someone fixes and re-verifies it.
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["user_id", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "value"], name="contact_method_unique_user_kind_value"),
        ]
        indexes = [models.Index(fields=["kind", "value"], name="contact_method_kind_value")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

    @property
    def usable(self) -> bool:
        return self.verified_at is not None and self.disabled_at is None


class VerificationCode(models.Model):
    contact_method = models.ForeignKey(ContactMethod, on_delete=models.CASCADE, related_name="verification_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["contact_method", "-created_at"], name="verification_method_time")]


class NotificationRule(models.Model):
    class Urgency(models.TextChoices):
        HIGH = "high", "High"
        LOW = "low", "Low"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_rules")
    urgency = models.CharField(max_length=4, choices=Urgency.choices)
    contact_method = models.ForeignKey(ContactMethod, on_delete=models.CASCADE, related_name="rules")
    delay_minutes = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["user_id", "urgency", "delay_minutes", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "urgency", "contact_method", "delay_minutes"], name="notification_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.urgency}: {self.contact_method} after {self.delay_minutes} min"


class Schedule(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="schedule_unique_team_name")]

    def __str__(self) -> str:
        return self.name


class Layer(models.Model):
    """One rotation. Layers later in `position` order win where they have someone on call."""

    class TurnUnit(models.TextChoices):
        HOURS = "hours", "Hours"
        DAYS = "days", "Days"
        WEEKS = "weeks", "Weeks"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    name = models.CharField(max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    turn_length = models.PositiveSmallIntegerField(default=1)
    turn_unit = models.CharField(max_length=5, choices=TurnUnit.choices, default=TurnUnit.WEEKS)
    handoff_time = models.TimeField(default="09:00")
    start_date = models.DateField()
    end_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["schedule_id", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(turn_length__gte=1), name="layer_turn_length_positive")]

    def __str__(self) -> str:
        return self.name or f"Layer {self.position + 1}"


class LayerParticipant(models.Model):
    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer_id", "position"]
        constraints = [models.UniqueConstraint(fields=["layer", "position"], name="layer_participant_unique_position")]


class Restriction(models.Model):
    """A window when a layer is on: daily (start/end time) or weekly (start/end weekday + time)."""

    class Kind(models.TextChoices):
        DAILY = "daily", "Every day"
        WEEKLY = "weekly", "Every week"

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="restrictions")
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.DAILY)
    start_weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday")
    start_time = models.TimeField()
    end_weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = Monday")
    end_time = models.TimeField()

    class Meta:
        ordering = ["layer_id", "id"]


class Override(models.Model):
    """Someone takes the shift between start and end, above every layer (a swap is an override)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["schedule_id", "starts_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="override_ends_after_start")]
        indexes = [models.Index(fields=["schedule", "ends_at"], name="override_schedule_end")]


class Shadow(models.Model):
    """Someone learning beside whoever is on call between start and end: copied on every page the
    on-call person gets from this schedule, never responsible for one. With `shadowing` set, only
    beside that person's shifts (shadow alice's rotation for two weeks); with `layer`, only beside
    that layer's shifts (the weekday daytime rotation, not nights); else beside anyone's."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="shadows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shadowing = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    layer = models.ForeignKey(Layer, null=True, blank=True, on_delete=models.CASCADE, related_name="shadows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["schedule_id", "starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shadow_ends_after_start"),
            models.CheckConstraint(condition=~Q(shadowing=F("user")), name="shadow_not_of_oneself"),
        ]
        indexes = [models.Index(fields=["schedule", "ends_at"], name="shadow_schedule_end")]


class EscalationPolicy(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # How many more times the whole policy runs after the last step (0 = once).
    repeat_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["team__name", "name"]
        verbose_name_plural = "escalation policies"
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="policy_unique_team_name")]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    # Minutes to wait, after this step pages, before the next step.
    delay_minutes = models.PositiveSmallIntegerField(default=15)

    class Meta:
        ordering = ["policy_id", "position"]
        constraints = [models.UniqueConstraint(fields=["policy", "position"], name="step_unique_position")]


class StepTarget(models.Model):
    class Kind(models.TextChoices):
        USER = "user", "Person"
        SCHEDULE = "schedule", "Schedule (whoever is on call)"
        TEAM = "team", "All responders of a team"

    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # PROTECT: a person or schedule a policy pages cannot vanish from under it.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.PROTECT, related_name="step_targets")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["step_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="user", user__isnull=False, schedule__isnull=True, team__isnull=True)
                           | Q(kind="schedule", schedule__isnull=False, user__isnull=True, team__isnull=True)
                           | Q(kind="team", team__isnull=False, user__isnull=True, schedule__isnull=True)),
                name="step_target_one_kind",
            ),
        ]


class CalendarFeed(models.Model):
    """A secret subscription URL serving a schedule's (or a person's) shifts as iCalendar."""

    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(schedule__isnull=False) | Q(user__isnull=False), name="feed_has_owner"),
        ]


from .audit.models import AuditEntry  # noqa: E402,F401  (the audit log's table)
