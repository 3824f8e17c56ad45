from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api import MAX_ID, JsonObjectField, StrictModelSerializer, StrictSerializer
from oncall.models import EscalationPolicy

from .integration_config import config_merged, config_problems, config_shown
from .models import Incident, Integration, Service, Severity, TimelineEvent, Urgency
from .selectors import incident_timeline, reassign_targets_for, services_visible_to, teams_visible_to

NOTE_MAX = 10_000


def _username_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True, **kwargs)


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = _username_field(help_text="Who did it; null for the system and integrations.")
    data = serializers.JSONField(read_only=True)

    class Meta:
        model = TimelineEvent
        fields = ["id", "at", "kind", "actor", "via", "text", "data"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    service_name = serializers.CharField(source="service.name", read_only=True)
    acknowledged_by = _username_field()
    resolved_by = _username_field()
    assignee = _username_field(help_text="The person the incident was reassigned to, paged before its policy.")

    class Meta:
        model = Incident
        fields = [
            "id", "number", "title", "status", "severity", "urgency", "team", "service", "service_name",
            "dedup_key", "source", "triggered_at", "acknowledged_at", "acknowledged_by", "mitigated_at",
            "resolved_at", "resolved_by", "reopened_at", "alert_count", "last_alert_at", "updated_at",
            "assignee", "escalation_policy", "paging_round", "unreachable_since",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "escalation_policy": {"help_text": "The policy it was reassigned to; null: its service's policy."},
            "paging_round": {"help_text": "Counts restarts of paging (reopen, un-acknowledge, reassign, "
                                          "escalate now, an expired acknowledgement)."},
            "unreachable_since": {"help_text": "Since when paging has reached nobody (no policy, nobody on "
                                               "call, no usable notification rule); null once someone is paged "
                                               "or the incident is acknowledged."},
        }


class IncidentDetailSerializer(IncidentSerializer):
    details = serializers.JSONField(read_only=True, help_text="What the latest alert said.")
    links = serializers.JSONField(read_only=True)
    timeline = serializers.SerializerMethodField(help_text="Oldest first.")

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "details", "links", "timeline"]
        read_only_fields = fields

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, incident):
        return TimelineEventSerializer(incident_timeline(incident=incident), many=True).data


class IncidentCreateSerializer(StrictSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.none())
    title = serializers.CharField(max_length=1024)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.SEV3)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.HIGH)
    dedup_key = serializers.CharField(
        max_length=255, required=False,
        help_text="An open incident of the service with this key absorbs the request (200) instead of "
        "opening a new one (201).",
    )
    details = JsonObjectField(required=False)

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["service"].queryset = services_visible_to(user)


class AcknowledgeSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class MitigateSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX,
                                 help_text="What stopped the impact.")


class ResolveSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX,
                                 help_text="Resolution summary.")


class ReopenSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class EscalateSerializer(StrictSerializer):
    pass


class UnacknowledgeSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class ReassignSerializer(StrictSerializer):
    """Exactly one target, from the caller's own teams. Another team's person or policy gets the
    same answer as one that does not exist."""

    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), required=False, help_text="A person to page at once (id).",
        error_messages={"does_not_exist": "No person with id {pk_value} in your teams."})
    escalation_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.none(), required=False,
        help_text="A policy to page from its first step (id).",
        error_messages={"does_not_exist": "No escalation policy with id {pk_value} in your teams."})

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["user"].queryset, self.fields["escalation_policy"].queryset = reassign_targets_for(user)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError("Give either user or escalation_policy.")
        return {"to_user": attrs.get("user"), "to_policy": attrs.get("escalation_policy")}


class NoteSerializer(StrictSerializer):
    text = serializers.CharField(max_length=NOTE_MAX)


class SeveritySerializer(StrictSerializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class _ChoiceList(serializers.ListField):
    """A query parameter given repeatedly (?status=a&status=b) or as a comma list (?status=a,b)."""

    def __init__(self, choices, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=choices), required=False, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value([v for raw in data for v in raw.split(",") if v])


class IncidentFilterSerializer(serializers.Serializer):
    status = _ChoiceList(Incident.Status.choices)
    severity = _ChoiceList(Severity.choices)
    urgency = _ChoiceList(Urgency.choices)
    service = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    team = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    LISTS = ("status", "severity", "urgency")

    @classmethod
    def from_query(cls, query_params) -> "IncidentFilterSerializer":
        data = {name: query_params.getlist(name) for name in cls.LISTS if name in query_params}
        data |= {name: query_params[name] for name in ("service", "team", "since", "until") if name in query_params}
        return cls(data=data)

    def validate(self, attrs):
        if "since" in attrs and "until" in attrs and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": "Must be later than since."})
        return attrs


class ServiceSerializer(StrictModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    escalation_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.none(), allow_null=True, required=False,
        help_text="Who is paged for its incidents: a policy of the service's team (id); null for nobody.",
    )
    major_incident_policy = serializers.PrimaryKeyRelatedField(
        queryset=EscalationPolicy.objects.none(), allow_null=True, required=False,
        help_text="Also paged (its first step, once) when an incident becomes SEV1 or SEV2: a policy of the "
                  "service's team (id); null for nobody.",
    )

    class Meta:
        model = Service
        fields = ["id", "team", "team_name", "name", "description", "runbook_url", "escalation_policy",
                  "slack_channel", "ack_timeout_minutes", "major_incident_policy", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"slack_channel": {"help_text": "A Slack channel id (C…) where each incident gets a message "
                                                       "kept up to date; empty for none."}}

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["team"].queryset = teams_visible_to(user)
            self.fields["escalation_policy"].queryset = EscalationPolicy.objects.filter(team__in=teams_visible_to(user))
            self.fields["major_incident_policy"].queryset = self.fields["escalation_policy"].queryset

    def validate_team(self, team):
        if self.instance is not None and team.pk != self.instance.team_id:
            # Its incidents stay numbered in, and visible to, the team that handled them.
            raise serializers.ValidationError("A service cannot move to another team.")
        return team

    def validate(self, attrs):
        team = attrs.get("team") or getattr(self.instance, "team", None)
        for field in ("escalation_policy", "major_incident_policy"):
            policy = attrs.get(field)
            if policy is not None and team is not None and policy.team_id != team.pk:
                raise serializers.ValidationError({field: f"Policy '{policy}' belongs to another team."})
        return attrs


class IntegrationSerializer(serializers.ModelSerializer):
    config = serializers.SerializerMethodField(help_text="Options of the integration's kind; secrets are masked.")

    class Meta:
        model = Integration
        fields = ["id", "service", "kind", "name", "enabled", "config", "token_prefix", "created_at", "last_seen_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {}})
    def get_config(self, integration) -> dict:
        return config_shown(integration.kind, integration.config)


def _checked_config(*, kind: str, stored: dict, given: dict) -> dict:
    problems = config_problems(kind, config_merged(kind, stored=stored, given=given))
    if problems:
        raise serializers.ValidationError({"config": problems})
    return given


class IntegrationCreateSerializer(StrictModelSerializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.none())
    config = JsonObjectField(
        required=False, help_text="Options of the integration's kind; unknown options are refused. Secrets "
        "(grafana: secret) are write-only and read back masked.",
    )

    class Meta:
        model = Integration
        fields = ["service", "kind", "name", "config"]

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["service"].queryset = services_visible_to(user)

    def validate(self, attrs):
        if "config" in attrs:
            _checked_config(kind=attrs["kind"], stored={}, given=attrs["config"])
        return attrs


class IntegrationUpdateSerializer(StrictModelSerializer):
    config = JsonObjectField(
        required=False, help_text="Replaces the options, except secrets it omits or sends back masked, which are "
        "kept; a secret set to null is removed.",
    )

    class Meta:
        model = Integration
        fields = ["name", "enabled", "config"]

    def validate_config(self, config):
        return _checked_config(kind=self.instance.kind, stored=self.instance.config, given=config)


class IntegrationSecretSerializer(IntegrationSerializer):
    """Shown once, when the token is made: the database keeps only its hash. The context
    carries `token` and `urls` (incidents.selectors.integration_urls)."""

    token = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text="Where the monitor sends its alerts.")
    routing_key = serializers.SerializerMethodField(
        help_text="PagerDuty Events API v2 routing key; null for other kinds."
    )

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "token", "url", "routing_key"]
        read_only_fields = fields

    def get_token(self, integration) -> str:
        return self.context["token"]

    def get_url(self, integration) -> str:
        return self.context["urls"]["url"]

    def get_routing_key(self, integration) -> str | None:
        return self.context["urls"].get("routing_key")
