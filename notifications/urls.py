from django.urls import path

from . import provider_callbacks, views

app_name = "notifications"

urlpatterns = [
    path("twilio/sms/", provider_callbacks.twilio_sms, name="twilio-sms"),
    path("twilio/voice/<int:delivery_id>/", provider_callbacks.twilio_voice, name="twilio-voice"),
    path("twilio/voice/<int:delivery_id>/keypress/", provider_callbacks.twilio_keypress, name="twilio-keypress"),
    path("twilio/status/", provider_callbacks.twilio_status, name="twilio-status"),
    path("slack/interactions/", provider_callbacks.slack_interactions, name="slack-interactions"),
    path("slack/commands/", provider_callbacks.slack_commands, name="slack-commands"),
    path("slack/events/", provider_callbacks.slack_events, name="slack-events"),
    path("outbox/", views.outbox, name="outbox"),
]
