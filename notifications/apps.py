from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        from config.health import register_helper
        from config.metrics import register_collector

        from oncall import page_sections

        from .handoff.section import schedule_handoff_section
        from .health import channels_report
        from .metrics import collect_states

        register_helper("channels", channels_report)
        register_collector("paging", collect_states)
        page_sections.register("schedule", schedule_handoff_section)
