from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from incidents import alert_endpoints, email_intake
from notifications.handoff.views import handoff_page, handoff_summary
from notifications.views import ack_link
from oncall.sso.views import LoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", LoginView.as_view(), name="login"),
    path("oidc/", include("oncall.sso.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("config.health_urls")),
    path("api/", include("config.api_urls")),
    path("integrations/<str:token>/", alert_endpoints.integration_webhook, name="integration-webhook"),
    path("integrations/<str:token>/heartbeat/", alert_endpoints.heartbeat, name="integration-heartbeat"),
    path("integrations/<str:token>/email/", email_intake.email_webhook, name="integration-email"),
    # Mailgun posts the raw message only to a URL that ends in "mime".
    path("integrations/<str:token>/email/mime", email_intake.email_webhook, name="integration-email-mime"),
    # PagerDuty's clients post to these exact paths, without a trailing slash.
    re_path(r"^v2/enqueue/?$", alert_endpoints.pagerduty_enqueue, name="pagerduty-enqueue"),
    re_path(r"^v2/change/enqueue/?$", alert_endpoints.pagerduty_change, name="pagerduty-change"),
    # A schedule's hand-off report lives with the schedule's pages, but in notifications (it reads pages).
    path("oncall/schedules/<int:pk>/handoff/", handoff_page, name="schedule-handoff"),
    path("oncall/schedules/<int:pk>/handoff/summary/", handoff_summary, name="schedule-handoff-summary"),
    path("oncall/", include("oncall.urls")),
    path("notifications/", include("notifications.urls")),
    path("analytics/", include("notifications.analytics.urls")),
    path("a/<str:token>", ack_link, name="ack-link"),
    path("", include("incidents.urls")),
]
