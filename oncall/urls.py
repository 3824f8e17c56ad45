from django.urls import path

from . import ical, preference_views, views

app_name = "oncall"

urlpatterns = [
    path("", views.oncall_now, name="now"),
    path("schedules/", views.schedule_list, name="schedules"),
    path("schedules/new/", views.schedule_create, name="schedule-create"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/overrides/", views.override_add, name="override-add"),
    path("schedules/<int:pk>/overrides/<int:override_id>/delete/", views.override_delete, name="override-delete"),
    path("schedules/<int:pk>/take/", views.shift_take, name="shift-take"),
    path("schedules/<int:pk>/layers/", views.layer_add, name="layer-add"),
    path("schedules/<int:pk>/feeds/", views.schedule_feed_create, name="schedule-feed-create"),
    path("schedules/<int:pk>/feeds/<int:feed_id>/revoke/", views.schedule_feed_revoke, name="schedule-feed-revoke"),
    # Calendar apps fetch these without a session: the token is the credential.
    path("schedules/<int:pk>/<str:token>.ics", ical.schedule_feed, name="schedule-ics"),
    path("people/<int:user_id>/<str:token>.ics", ical.person_feed, name="person-ics"),
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_create, name="policy-create"),
    path("policies/<int:pk>/", views.policy_detail, name="policy"),
    path("profile/", views.profile, name="profile"),
    path("profile/time-zone/", views.profile_time_zone, name="profile-time-zone"),
    path("profile/notify-on-resolve/", preference_views.profile_notify_on_resolve, name="profile-notify-on-resolve"),
    path("profile/contacts/", views.contact_add, name="contact-add"),
    path("profile/contacts/<int:pk>/send-code/", views.contact_send_code, name="contact-send-code"),
    path("profile/contacts/<int:pk>/verify/", views.contact_verify, name="contact-verify"),
    path("profile/contacts/<int:pk>/delete/", views.contact_delete, name="contact-delete"),
    path("profile/rules/", views.rule_add, name="rule-add"),
    path("profile/rules/<int:pk>/delete/", views.rule_delete, name="rule-delete"),
    path("profile/feeds/", views.feed_create, name="feed-create"),
    path("profile/api-tokens/", views.api_token_add, name="api-token-add"),
    path("profile/api-tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api-token-revoke"),
    path("profile/feeds/<int:pk>/revoke/", views.feed_revoke, name="feed-revoke"),
]
