from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from oncall.models import EscalationPolicy, Team


class Service(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    runbook_url = models.URLField(blank=True, max_length=500)
    escalation_policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="services"
    )
    # A Slack channel id (C…) where each incident gets a message kept up to date.
    slack_channel = models.CharField(max_length=40, blank=True, validators=[RegexValidator(
        r"^[CG][A-Z0-9]{6,39}$", "A Slack channel id looks like C0123ABCD (channel settings → About).")])
    # An acknowledgement not followed by mitigation or resolution within this time expires: the
    # incident is triggered again and paging resumes. Null: acknowledgements never expire.
    ack_timeout_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="Minutes an acknowledged incident may stay unmitigated before it is triggered again "
                  "(1–1440); empty for never.")
    # Paged too (its first step) when an incident of the service is declared SEV1 or SEV2.
    major_incident_policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="major_incident_services",
        help_text="Also paged (its first step) when an incident becomes SEV1 or SEV2; empty for nobody.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["team__name", "name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="service_unique_team_name")]

    def __str__(self) -> str:
        return self.name


class Integration(models.Model):
    class Kind(models.TextChoices):
        GENERIC = "generic", "Generic webhook"
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        GRAFANA = "grafana", "Grafana Alerting"
        PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
        HEARTBEAT = "heartbeat", "Heartbeat"
        EMAIL = "email", "Email"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="integrations")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=100)
    # The token is the integration's URL secret; only its SHA-256 is kept (see oncall.models.hash_secret).
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(max_length=12, editable=False)
    enabled = models.BooleanField(default=True)
    # Per-kind options: group_by, dedup_field, severity_map, urgency overrides, heartbeat interval...
    config = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # When the integration last delivered something; the heartbeat check reads it.
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["service__name", "name"]
        # Configuration files name an integration by its service and name (incidents/config_as_code).
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="integration_unique_service_name")]
        indexes = [models.Index(fields=["service", "kind"], name="integration_service_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 — critical: customer-facing outage, all hands"
    SEV2 = "SEV2", "SEV2 — major: a core function is degraded for many"
    SEV3 = "SEV3", "SEV3 — minor: partial degradation, workaround exists"
    SEV4 = "SEV4", "SEV4 — low: little user impact"
    SEV5 = "SEV5", "SEV5 — cosmetic or informational"


class Urgency(models.TextChoices):
    HIGH = "high", "High"
    LOW = "low", "Low"


class Incident(models.Model):
    class Status(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        MITIGATED = "mitigated", "Mitigated"
        RESOLVED = "resolved", "Resolved"

    OPEN_STATUSES = (Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED)

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="incidents")
    number = models.PositiveIntegerField(editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=1024)
    dedup_key = models.CharField(max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRIGGERED)
    severity = models.CharField(max_length=4, choices=Severity.choices, default=Severity.SEV3)
    urgency = models.CharField(max_length=4, choices=Urgency.choices, default=Urgency.HIGH)

    triggered_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)

    alert_count = models.PositiveIntegerField(default=0)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    # What the latest alert said: source, details (for Alertmanager, every alert of the group
    # with its labels and state), links and images. Overwritten by each alert.
    source = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)

    # Escalation position; the paging engine (notifications) owns these once it runs.
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    escalation_step = models.PositiveSmallIntegerField(default=0)
    escalation_loop = models.PositiveSmallIntegerField(default=0)
    # Bumped by every action that restarts paging on purpose (reopen, un-acknowledge, reassign,
    # escalate now, an expired acknowledgement): a page is unique per round, so people already
    # paged at a step are paged again, once.
    paging_round = models.PositiveIntegerField(default=0)
    # Set by a reassignment: another policy instead of the service's, and a person paged directly
    # before its first step.
    escalation_policy = models.ForeignKey(
        EscalationPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="reassigned_incidents")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Since when paging has reached nobody (no policy, nobody on call, nobody with a usable rule);
    # cleared as soon as a step reaches someone.
    unreachable_since = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-triggered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="incident_unique_team_number"),
            # The dedup guarantee: concurrent alerts with one key can never open two incidents.
            models.UniqueConstraint(
                fields=["service", "dedup_key"],
                condition=~Q(status="resolved"),
                name="incident_unique_open_dedup_key",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status", "-triggered_at"], name="incident_team_status_time"),
            models.Index(fields=["service", "-triggered_at"], name="incident_service_time"),
            models.Index(fields=["-triggered_at", "-id"], name="incident_time"),
            # The open incidents are few at any history size: the list's tab counts read only these.
            models.Index(fields=["team", "status"], condition=~Q(status="resolved"), name="incident_open"),
            # Reports over a period of the person's teams (analytics): a range per team.
            models.Index(fields=["team", "triggered_at"], name="incident_team_triggered"),
            models.Index(
                fields=["next_escalation_at"],
                condition=Q(next_escalation_at__isnull=False),
                name="incident_escalation_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.RESOLVED


class Alert(models.Model):
    class Action(models.TextChoices):
        TRIGGER = "trigger", "Trigger"
        ACKNOWLEDGE = "acknowledge", "Acknowledge"
        RESOLVE = "resolve", "Resolve"

    integration = models.ForeignKey(Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="alerts")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    received_at = models.DateTimeField(default=timezone.now)
    dedup_key = models.CharField(max_length=255)
    action = models.CharField(max_length=12, choices=Action.choices, default=Action.TRIGGER)
    summary = models.CharField(max_length=1024)
    severity = models.CharField(max_length=10, blank=True)
    source = models.CharField(max_length=255, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # Raw alerts of an incident are a ring: slot 0 keeps the first, slots 1..N the latest N.
    # An alert storm then rewrites rows instead of growing the table.
    slot = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # Received during a maintenance window: kept and shown, but opened no incident.
    suppressed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["incident", "slot"], name="alert_unique_incident_slot")]
        indexes = [
            models.Index(fields=["incident", "-received_at"], name="alert_incident_time"),
            models.Index(fields=["service", "-received_at"], name="alert_service_time"),
            # Intake trims a service's suppressed alerts to the latest few after each request.
            models.Index(fields=["service", "-id"], condition=Q(suppressed=True), name="alert_suppressed_service"),
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.summary[:60]}"


class TimelineEvent(models.Model):
    class Via(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        INTEGRATION = "integration", "Integration"
        SMS = "sms", "SMS"
        VOICE = "voice", "Voice call"
        SLACK = "slack", "Slack"
        LINK = "link", "Ack link"
        EMAIL = "email", "Email"
        SYSTEM = "system", "System"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    via = models.CharField(max_length=20, choices=Via.choices, default=Via.SYSTEM)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"], name="timeline_incident_time")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}"


class MaintenanceWindow(models.Model):
    """While one is on, a service's alerts are stored but open no incident and page no one."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="maintenance_windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="maintenance_ends_after_start"),
        ]
        indexes = [models.Index(fields=["service", "ends_at"], name="maintenance_service_end")]

    def __str__(self) -> str:
        return f"{self.service}: {self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"


class ChangeEvent(models.Model):
    """A deploy or configuration change (PagerDuty change events): the incident page lists a service's
    recent ones under "Recent changes", the first place to look for a cause."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="change_events")
    integration = models.ForeignKey(Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.CharField(max_length=1024)
    occurred_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=255, blank=True)
    details = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["service", "-occurred_at"], name="change_service_time")]

    def __str__(self) -> str:
        return self.summary[:80]


class IncidentAlertState(models.Model):
    """One alert of an incident as it now stands, firing or resolved: one row per incident and
    alert fingerprint, rewritten in place by every notification that mentions the alert. The raw
    payloads beside it (Alert) are a ring of what was received; these rows are what is true now."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alert_states")
    fingerprint = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FIRING)
    summary = models.CharField(max_length=1024, blank=True)
    severity = models.CharField(max_length=10, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    runbook_url = models.CharField(max_length=1000, blank=True)
    generator_url = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["status", "starts_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "fingerprint"], name="alert_state_unique_fingerprint")]
        # Trimming drops an incident's oldest resolved rows first.
        indexes = [models.Index(fields=["incident", "status", "last_seen_at"], name="alert_state_trim")]

    def __str__(self) -> str:
        return f"{self.status}: {self.summary[:60]}"
