from django.contrib import admin

from .models import ApiToken, Membership, Team
from .secrets_once import NewSecret, admin_secret_response
from .services import api_token_create


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["from_sso_groups"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role", "from_sso_groups", "created_at"]
    list_filter = ["role", "from_sso_groups", "team"]
    search_fields = ["user__username", "user__email", "team__name"]
    autocomplete_fields = ["user", "team"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "user__username", "key_prefix"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        token, raw = api_token_create(user=obj.user, name=obj.name)
        obj.pk = token.pk
        obj._new_secret = NewSecret(f"New API token for {obj.user}", raw)

    def response_add(self, request, obj, post_url_continue=None):
        # Shown once, in this response only: only the hash is stored.
        return admin_secret_response(self, request, obj, obj._new_secret)

from .audit import admin as _audit_admin  # noqa: E402,F401  (registers the read-only audit log admin)
