"""What every alert request looks up, remembered for a moment in each process: the enabled
integration behind a token (with its service) and the service's maintenance windows.

An alert storm asks the same two questions hundreds of times a second; the answers change when
someone edits an integration or a window, a few times a day. Every save or delete of an
integration, a service or a maintenance window empties this process's memory at once (and again
when its transaction commits, in case a request re-read the old row meanwhile); other processes
(gunicorn's other workers, other machines) see the change within CACHE_SECONDS. So disabling,
deleting or rotating the token of an integration stops it in every process within that time
(docs/security.md). A token that matches nothing is not remembered: a new integration works at once.

The integration handed out is shared by the requests of this process: treat it as read-only.
"""
import threading
import time
from datetime import datetime

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from oncall.models import hash_secret

from .models import Integration, MaintenanceWindow, Service

CACHE_SECONDS = 2.0
# Replaced in tests, which move the clock without waiting.
clock = time.monotonic

_lock = threading.Lock()
_integrations: dict[str, tuple[float, Integration]] = {}
# service id -> (when read, the time the rows were read for, (starts_at, ends_at) of the windows
# that had not ended by then)
_windows: dict[int, tuple[float, datetime, list[tuple[datetime, datetime]]]] = {}


def integration_by_token(token: str) -> Integration | None:
    """The enabled integration whose token this is, with its service, or None."""
    token_hash = hash_secret(token)
    now = clock()
    cached = _integrations.get(token_hash)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    integration = (Integration.objects.select_related("service")
                   .filter(token_hash=token_hash, enabled=True).first())
    if integration is not None:
        with _lock:
            _integrations[token_hash] = (now, integration)
    return integration


def service_in_maintenance(*, service_id: int, at: datetime) -> bool:
    """Whether a maintenance window of the service is on at `at`."""
    now = clock()
    cached = _windows.get(service_id)
    if cached is None or now - cached[0] >= CACHE_SECONDS or at < cached[1]:
        rows = list(MaintenanceWindow.objects.filter(service_id=service_id, ends_at__gt=at)
                    .values_list("starts_at", "ends_at"))
        cached = (now, at, rows)
        with _lock:
            _windows[service_id] = cached
    return any(starts <= at < ends for starts, ends in cached[2])


def intake_cache_clear(**_signal) -> None:
    with _lock:
        _integrations.clear()
        _windows.clear()


def intake_cache_changed(**_signal) -> None:
    """An integration, service or window changed: forget now, and again once committed."""
    intake_cache_clear()
    transaction.on_commit(intake_cache_clear)


for _model in (Integration, Service, MaintenanceWindow):
    post_save.connect(intake_cache_changed, sender=_model, dispatch_uid=f"intake-cache-save-{_model.__name__}")
    post_delete.connect(intake_cache_changed, sender=_model, dispatch_uid=f"intake-cache-delete-{_model.__name__}")
