"""Forms of the service pages. They hold the API serializers' rules (a policy of the service's own
team, a service never moves team, integration options checked by integration_config); the
services in incidents.services do the writing."""
import re
from datetime import timedelta

from django import forms
from django.db.models import QuerySet

from oncall.models import EscalationPolicy, Team

from .integration_config import SCHEMAS, config_problems
from .models import Integration, Service

MAINTENANCE_MAX_DAYS = 30  # as the API's maintenance windows
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class PolicyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: EscalationPolicy) -> str:
        return f"{obj.name} ({obj.team.name})"


class ServiceForm(forms.ModelForm):
    """Create (with a team among those the person manages) or edit (team fixed)."""

    runbook_url = forms.URLField(required=False, max_length=500, assume_scheme="https", label="Runbook URL")
    escalation_policy = PolicyChoiceField(
        queryset=EscalationPolicy.objects.none(), required=False, empty_label="Nobody (no paging)",
        help_text="Who is paged for its incidents: a policy of the service's team.")

    class Meta:
        model = Service
        fields = ["team", "name", "description", "runbook_url", "escalation_policy", "slack_channel"]
        labels = {"slack_channel": "Slack channel id"}
        help_texts = {"slack_channel": "C0123ABCD (channel settings → About); empty for none."}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, teams: QuerySet[Team] | None = None, **kwargs):
        # The service page holds several forms: each keeps its ids (and labels) apart.
        kwargs.setdefault("auto_id", "service_%s" if kwargs.get("instance") else "id_%s")
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["team"]  # its incidents stay numbered in, and visible to, its team
            self.fields["escalation_policy"].queryset = (
                EscalationPolicy.objects.filter(team_id=self.instance.team_id).select_related("team").order_by("name"))
        else:
            self.fields["team"].queryset = teams
            self.fields["team"].empty_label = None
            self.fields["escalation_policy"].queryset = (
                EscalationPolicy.objects.filter(team__in=teams).select_related("team").order_by("team__name", "name"))

    def clean(self):
        data = super().clean()
        policy = data.get("escalation_policy")
        team_id = self.instance.team_id if self.instance.pk else getattr(data.get("team"), "pk", None)
        if policy is not None and team_id is not None and policy.team_id != team_id:
            self.add_error("escalation_policy", f"Policy '{policy.name}' belongs to another team.")
        # An edit leaves the team out of the form, so Django skips the (team, name) constraint.
        name = data.get("name")
        if name and team_id is not None and Service.objects.filter(team_id=team_id, name=name).exclude(
                pk=self.instance.pk).exists():
            self.add_error("name", f"The team already has a service named {name!r}.")
        return data


class _OwnIds(forms.Form):
    """Ids of its own on a page of several forms (two "name" or "reason" boxes must not share one)."""

    ids = "id_%s"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", self.ids)
        super().__init__(*args, **kwargs)


class IntegrationForm(_OwnIds):
    """The options a person sets on a phone; config_problems judges them, each error under its box."""

    ids = "integration_%s"
    kind = forms.ChoiceField(choices=Integration.Kind.choices)
    name = forms.CharField(max_length=100)
    interval_seconds = forms.IntegerField(
        required=False, label="Heartbeat interval (seconds)",
        help_text="Heartbeats only: a beat is expected this often.")
    grace_seconds = forms.IntegerField(
        required=False, label="Heartbeat grace (seconds)", help_text="Heartbeats only: how late a beat may be.")
    rate_limit_per_minute = forms.IntegerField(
        required=False, label="Rate limit (requests per minute)", help_text="Empty for the server's default.")
    urgency = forms.ChoiceField(
        required=False, choices=[("", "By alert severity"), ("high", "Always high"), ("low", "Always low")])

    # Write-only: never rendered back, not even when the form is shown again with errors.
    secret = forms.CharField(
        required=False, max_length=512, label="Grafana signing secret", strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Grafana only, optional: requests must then carry its HMAC signature.")

    dedup_pattern = forms.CharField(
        required=False, max_length=500, label="Email: dedup pattern", strip=False,
        help_text="Email only: a regular expression on the subject; its group named key (or first group) "
                  "keys the incident.")
    resolve_pattern = forms.CharField(
        required=False, max_length=500, label="Email: resolve pattern", strip=False,
        help_text="Email only: a mail whose subject or body matches it resolves, e.g. ^\\*\\* RECOVERY")
    mailgun_signing_key = forms.CharField(
        required=False, max_length=512, label="Email: Mailgun signing key", strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Email only, optional: posts must then carry Mailgun's signature.")

    CONFIG_FIELDS = ("interval_seconds", "grace_seconds", "rate_limit_per_minute", "urgency", "secret",
                     "dedup_pattern", "resolve_pattern", "mailgun_signing_key")

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind is None:
            return data
        given = {key: data[key] for key in self.CONFIG_FIELDS if data.get(key) not in (None, "")}
        schema = SCHEMAS.get(kind, {})
        for key in given.keys() - schema.keys():
            self.add_error(key, f"{Integration.Kind(kind).label} integrations take no such option; leave it empty.")
        config = {key: value for key, value in given.items() if key in schema}
        for problem in config_problems(kind, config):
            # Each problem names its key first: "'grace_seconds' must be a whole number from 0 to ..."
            key = re.match(r"'(\w+)'", problem)
            self.add_error(key.group(1) if key and key.group(1) in self.fields else None, problem)
        data["config"] = config
        return data


class MaintenanceNowForm(_OwnIds):
    ids = "maintenance_now_%s"
    minutes = forms.IntegerField(min_value=1, max_value=MAINTENANCE_MAX_DAYS * 24 * 60, initial=60,
                                 label="Minutes from now")
    reason = forms.CharField(max_length=500, required=False)


class MaintenanceScheduleForm(_OwnIds):
    """Times are in the viewer's zone, which oncall.viewer_zone activates for the request."""

    ids = "maintenance_later_%s"

    starts_at = forms.DateTimeField(input_formats=[DATETIME_LOCAL], label="Starts",
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL))
    ends_at = forms.DateTimeField(input_formats=[DATETIME_LOCAL], label="Ends",
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL))
    reason = forms.CharField(max_length=500, required=False)

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", "The window must end after it starts.")
            elif ends - starts >= timedelta(days=MAINTENANCE_MAX_DAYS):
                self.add_error("ends_at", f"A window lasts at most {MAINTENANCE_MAX_DAYS} days.")
        return data
