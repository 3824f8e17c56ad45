from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "oncall"
    verbose_name = "On-call"

    def ready(self):
        from .audit.recording import connect

        connect()  # the audit log records every change to teams, schedules, policies, ...
