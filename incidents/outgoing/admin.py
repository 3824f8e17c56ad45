from django.contrib import admin

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "team", "service", "enabled", "failing_since"]
    list_filter = ["enabled"]
    # The secret is never shown again after creation; the API creates endpoints.
    fields = ["team", "service", "url", "description", "events", "enabled", "disabled_reason", "failing_since",
              "secret_masked", "created_by", "created_at"]
    readonly_fields = ["team", "secret_masked", "failing_since", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = ["event", "endpoint", "incident", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event"]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(_ReadOnly):
    list_display = ["at", "endpoint", "status_code", "duration_ms", "error"]
