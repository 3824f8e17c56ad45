"""Maintenance windows: while one is on, a service's alerts are kept but page no one."""
from datetime import datetime

from django.contrib.auth.models import User
from django.utils import timezone

from config.models_util import apply_changes

from ..models import MaintenanceWindow, Service


def maintenance_window_create(*, service: Service, starts_at: datetime, ends_at: datetime, reason: str = "",
                              created_by: User | None = None) -> MaintenanceWindow:
    return MaintenanceWindow.objects.create(service=service, starts_at=starts_at, ends_at=ends_at, reason=reason,
                                            created_by=created_by)


def maintenance_window_update(*, window: MaintenanceWindow, **changes) -> MaintenanceWindow:
    apply_changes(window, **changes)
    return window


def maintenance_window_delete(*, window: MaintenanceWindow) -> None:
    """Ending maintenance early: a window already under way ends now, so its alerts stay explained."""
    now = timezone.now()
    if window.starts_at < now < window.ends_at:
        window.ends_at = now
        window.save(update_fields=["ends_at"])
    else:
        window.delete()
