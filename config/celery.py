import logging
import os
from urllib.parse import urlsplit

from celery import Celery
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("vigil")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)


def send_after_commit(name: str, *, args: list | None = None, kwargs: dict | None = None,
                      countdown: float | None = None) -> None:
    """Enqueue a task by name once the current transaction commits (at once outside one).

    Messages sent this way are hints: the database already holds the work (an incident's
    next_escalation_at, a pending delivery) and the sweep finds it whatever became of the message
    (a lost verification code is simply asked for again). So a broker outage must not turn a stored
    alert or an acknowledgement into an error for the caller: the failure is logged without the
    task's arguments, and the publish itself gives up quickly (see the Celery settings)."""

    def publish() -> None:
        try:
            app.send_task(name, args=args, kwargs=kwargs, countdown=countdown)
        except Exception as e:  # any failure: the commit stands and the sweep catches up
            reason = " ".join(str(e).split()) or type(e).__name__
            password = urlsplit(app.conf.broker_write_url or "").password
            if password:
                reason = reason.replace(password, "****")
            log.warning("could not enqueue %s (the sweep will catch up): %s: %s", name, type(e).__name__, reason[:200])

    transaction.on_commit(publish)
