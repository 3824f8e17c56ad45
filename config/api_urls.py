"""/api/: every app's API resources under one router, the OpenAPI schema and its docs."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from incidents.api.action_items import ActionItemViewSet
from incidents.api.incidents import IncidentViewSet
from incidents.api.integrations import IntegrationViewSet
from incidents.api.maintenance import MaintenanceWindowViewSet
from incidents.api.postmortems import PostmortemViewSet
from incidents.api.services import ServiceViewSet
from incidents.api.status_updates import StatusUpdatesView, SubscriptionView
from incidents.outgoing.api import WebhookEndpointViewSet
from notifications.analytics.api import RespondersView, ResponseTimesView
from notifications.handoff.api import HandoffReportView
from oncall.api.contact_methods import ContactMethodViewSet
from oncall.api.feeds import CalendarFeedViewSet, MyFeedView
from oncall.api.layers import LayerViewSet
from oncall.api.me import MeView, ProfileView
from oncall.api.memberships import MembershipViewSet
from oncall.api.notification_rules import NotificationRuleViewSet
from oncall.api.oncall import OncallView
from oncall.api.overrides import OverrideViewSet
from oncall.api.shadows import ShadowViewSet
from oncall.api.policies import EscalationPolicyViewSet
from oncall.api.readiness import ReadinessView, TeamReadinessView
from oncall.api.schedules import ScheduleViewSet
from oncall.api.teams import TeamViewSet
from oncall.api.tokens import ApiTokenViewSet
from oncall.audit.api import AuditEntryViewSet

from .api_kit import not_found

router = SimpleRouter()
router.register("incidents", IncidentViewSet, basename="api-incident")
router.register("services", ServiceViewSet, basename="api-service")
router.register("integrations", IntegrationViewSet, basename="api-integration")
router.register("maintenance-windows", MaintenanceWindowViewSet, basename="api-maintenance-window")
router.register("postmortems", PostmortemViewSet, basename="api-postmortem")
router.register("action-items", ActionItemViewSet, basename="api-action-item")
router.register("teams", TeamViewSet, basename="api-team")
router.register("memberships", MembershipViewSet, basename="api-membership")
router.register("tokens", ApiTokenViewSet, basename="api-token")
router.register("contact-methods", ContactMethodViewSet, basename="api-contact-method")
router.register("notification-rules", NotificationRuleViewSet, basename="api-notification-rule")
router.register("schedules", ScheduleViewSet, basename="api-schedule")
router.register("layers", LayerViewSet, basename="api-layer")
router.register("overrides", OverrideViewSet, basename="api-override")
router.register("shadows", ShadowViewSet, basename="api-shadow")
router.register("escalation-policies", EscalationPolicyViewSet, basename="api-escalation-policy")
router.register("feeds", CalendarFeedViewSet, basename="api-feed")
router.register("webhooks", WebhookEndpointViewSet, basename="api-webhook")
router.register("audit", AuditEntryViewSet, basename="api-audit")


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI with its init script served from this URL (?script) rather than inlined, as our
    Content-Security-Policy refuses inline scripts; its assets come from the sidecar, locally."""

    template_name = "api_docs.html"


urlpatterns = [
    path("v1/me/", MeView.as_view(), name="api-me"),
    path("v1/me/oncall-readiness/", ReadinessView.as_view(), name="api-me-readiness"),
    path("v1/me/feed/", MyFeedView.as_view(), name="api-me-feed"),
    path("v1/profile/", ProfileView.as_view(), name="api-profile"),
    path("v1/oncall/", OncallView.as_view(), name="api-oncall"),
    path("v1/schedules/<int:id>/handoff/", HandoffReportView.as_view(), name="api-schedule-handoff"),
    path("v1/teams/<int:id>/readiness/", TeamReadinessView.as_view(), name="api-team-readiness"),
    path("v1/incidents/<int:incident_id>/", include("incidents.api.workflow")),
    path("v1/incidents/<int:id>/status-updates/", StatusUpdatesView.as_view(), name="api-incident-status-updates"),
    path("v1/incidents/<int:id>/subscription/", SubscriptionView.as_view(), name="api-incident-subscription"),
    path("v1/analytics/response-times/", ResponseTimesView.as_view(), name="api-analytics-response-times"),
    path("v1/analytics/responders/", RespondersView.as_view(), name="api-analytics-responders"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^", not_found),
]
