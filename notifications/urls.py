from django.urls import path

from . import views, webhooks

app_name = "notifications"

urlpatterns = [
    path("twilio/sms/", webhooks.twilio_sms, name="twilio-sms"),
    path("twilio/voice/<int:delivery_id>/", webhooks.twilio_voice, name="twilio-voice"),
    path("twilio/voice/<int:delivery_id>/keypress/", webhooks.twilio_keypress, name="twilio-keypress"),
    path("twilio/status/", webhooks.twilio_status, name="twilio-status"),
    path("slack/interactions/", webhooks.slack_interactions, name="slack-interactions"),
    path("slack/commands/", webhooks.slack_commands, name="slack-commands"),
    path("slack/events/", webhooks.slack_events, name="slack-events"),
    path("outbox/", views.outbox, name="outbox"),
]
