from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from config.health import register_helper

        from .health import channels_report

        register_helper("channels", channels_report)
