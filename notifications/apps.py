from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from config.health import register_helper
        from config.metrics import register_collector

        from .health import channels_report
        from .metrics import collect_states

        register_helper("channels", channels_report)
        register_collector("paging", collect_states)
