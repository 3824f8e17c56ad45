from django import forms
from django.contrib import admin

from oncall.secrets_once import NewSecret, admin_secret_response

from .integration_config import config_problems
from .models import Alert, ChangeEvent, Incident, Integration, MaintenanceWindow, Service, TimelineEvent
from .services import integration_create


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "team", "escalation_policy", "major_incident_policy", "ack_timeout_minutes", "created_at"]
    list_filter = ["team"]
    search_fields = ["name", "description"]


class IntegrationAdminForm(forms.ModelForm):
    class Meta:
        model = Integration
        fields = "__all__"

    def clean(self):
        data = super().clean()
        kind, config = data.get("kind"), data.get("config")
        if kind and "config" not in self.errors:
            # The admin shows the whole config, secrets included, so what it sends is all of it.
            for problem in config_problems(kind, config):
                self.add_error("config", problem)
        return data


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    form = IntegrationAdminForm
    list_display = ["name", "kind", "service", "enabled", "token_prefix", "created_at"]
    list_filter = ["kind", "enabled", "service__team"]
    search_fields = ["name", "service__name", "token_prefix"]
    readonly_fields = ["token_prefix", "created_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        integration, raw = integration_create(service=obj.service, kind=obj.kind, name=obj.name, config=obj.config)
        obj.pk = integration.pk
        obj._new_secret = NewSecret(f"Token of integration {obj.name}", raw)

    def response_add(self, request, obj, post_url_continue=None):
        # Shown once, in this response only: only the hash is stored.
        return admin_secret_response(self, request, obj, obj._new_secret)


class TimelineInline(admin.TabularInline):
    model = TimelineEvent
    extra = 0
    fields = ["at", "kind", "actor", "via", "text"]
    readonly_fields = fields
    can_delete = False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "team", "service", "status", "severity", "urgency", "triggered_at", "alert_count",
                    "unreachable_since"]
    list_filter = ["status", "severity", "urgency", "team", "service", "triggered_at"]
    search_fields = ["title", "dedup_key"]
    date_hierarchy = "triggered_at"
    # Paging state belongs to the services and the engine: reassign and escalate through them.
    readonly_fields = ["number", "created_at", "updated_at", "paging_round", "assignee", "escalation_policy",
                       "unreachable_since"]
    inlines = [TimelineInline]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["received_at", "action", "summary", "severity", "service", "incident"]
    list_filter = ["action", "severity", "service", "received_at"]
    search_fields = ["summary", "dedup_key", "source"]
    date_hierarchy = "received_at"


@admin.register(TimelineEvent)
class TimelineEventAdmin(admin.ModelAdmin):
    list_display = ["at", "incident", "kind", "actor", "via"]
    list_filter = ["kind", "via", "at"]
    search_fields = ["text", "incident__title"]


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["service", "starts_at", "ends_at", "reason", "created_by"]
    list_filter = ["service__team", "service", "starts_at"]
    search_fields = ["reason", "service__name"]
    date_hierarchy = "starts_at"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "service", "summary", "source"]
    list_filter = ["service__team", "service", "occurred_at"]
    search_fields = ["summary", "source"]
    date_hierarchy = "occurred_at"

from .outgoing import admin as _outgoing_admin  # noqa: E402,F401  (registers the outgoing webhook admin)
