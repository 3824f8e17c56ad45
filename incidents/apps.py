from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        # oncall's profile lists the person's action items without importing incidents.
        from oncall import page_sections

        from .views.action_items import profile_section

        page_sections.register("profile", profile_section)
