from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: entries cannot be added, changed or deleted here either."""

    list_display = ["at", "actor_name", "via", "action", "object_type", "object_repr", "team_id", "owner_id"]
    list_filter = ["via", "action", "object_type"]
    search_fields = ["actor_name", "object_repr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
