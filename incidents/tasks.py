from celery import shared_task

from . import intake


@shared_task(name="incidents.heartbeats_check", ignore_result=True)
def heartbeats_check() -> None:
    intake.heartbeats_check()
