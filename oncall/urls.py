from django.urls import path

from . import ical
from .audit.views import audit_log
from .views import now, policies, preferences, profile, schedules

app_name = "oncall"

urlpatterns = [
    path("", now.oncall_now, name="now"),
    path("schedules/", schedules.schedule_list, name="schedules"),
    path("schedules/new/", schedules.schedule_create, name="schedule-create"),
    path("schedules/<int:pk>/", schedules.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/overrides/", schedules.override_add, name="override-add"),
    path("schedules/<int:pk>/overrides/<int:override_id>/delete/", schedules.override_delete, name="override-delete"),
    path("schedules/<int:pk>/shadows/", schedules.shadow_add, name="shadow-add"),
    path("schedules/<int:pk>/shadows/<int:shadow_id>/end/", schedules.shadow_end, name="shadow-end"),
    path("schedules/<int:pk>/take/", schedules.shift_take, name="shift-take"),
    path("schedules/<int:pk>/layers/", schedules.layer_add, name="layer-add"),
    path("schedules/<int:pk>/feeds/", schedules.schedule_feed_create, name="schedule-feed-create"),
    path("schedules/<int:pk>/feeds/<int:feed_id>/revoke/", schedules.schedule_feed_revoke, name="schedule-feed-revoke"),
    # Calendar apps fetch these without a session: the token is the credential.
    path("schedules/<int:pk>/<str:token>.ics", ical.schedule_feed, name="schedule-ics"),
    path("people/<int:user_id>/<str:token>.ics", ical.person_feed, name="person-ics"),
    path("policies/", policies.policy_list, name="policies"),
    path("policies/new/", policies.policy_create, name="policy-create"),
    path("policies/<int:pk>/", policies.policy_detail, name="policy"),
    path("profile/", profile.profile, name="profile"),
    path("profile/time-zone/", profile.profile_time_zone, name="profile-time-zone"),
    path("profile/notify-on-resolve/", preferences.profile_notify_on_resolve, name="profile-notify-on-resolve"),
    path("profile/contacts/", profile.contact_add, name="contact-add"),
    path("profile/contacts/<int:pk>/send-code/", profile.contact_send_code, name="contact-send-code"),
    path("profile/contacts/<int:pk>/verify/", profile.contact_verify, name="contact-verify"),
    path("profile/contacts/<int:pk>/delete/", profile.contact_delete, name="contact-delete"),
    path("profile/rules/", profile.rule_add, name="rule-add"),
    path("profile/rules/<int:pk>/delete/", profile.rule_delete, name="rule-delete"),
    path("profile/feeds/", profile.feed_create, name="feed-create"),
    path("profile/api-tokens/", profile.api_token_add, name="api-token-add"),
    path("profile/api-tokens/<int:pk>/revoke/", profile.api_token_revoke_view, name="api-token-revoke"),
    path("profile/feeds/<int:pk>/revoke/", profile.feed_revoke, name="feed-revoke"),
    path("audit/", audit_log, name="audit-log"),
]
