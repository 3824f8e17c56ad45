from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from incidents import alert_endpoints
from notifications.views import ack_link

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("config.health_urls")),
    path("api/", include("config.api_urls")),
    path("integrations/<str:token>/", alert_endpoints.integration_webhook, name="integration-webhook"),
    path("integrations/<str:token>/heartbeat/", alert_endpoints.heartbeat, name="integration-heartbeat"),
    # PagerDuty's clients post to these exact paths, without a trailing slash.
    re_path(r"^v2/enqueue/?$", alert_endpoints.pagerduty_enqueue, name="pagerduty-enqueue"),
    re_path(r"^v2/change/enqueue/?$", alert_endpoints.pagerduty_change, name="pagerduty-change"),
    path("oncall/", include("oncall.urls")),
    path("notifications/", include("notifications.urls")),
    path("analytics/", include("notifications.analytics.urls")),
    path("a/<str:token>", ack_link, name="ack-link"),
    path("", include("incidents.urls")),
]
