"""The shadow section of a schedule's page: the current and upcoming shadow shifts, and the form
to add one (its views are with the schedule's others, in schedules.py)."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from .. import schedules
from ..forms import ShadowForm
from ..models import Schedule


def shadows_context(schedule: Schedule, *, user, now: datetime, form: ShadowForm | None = None) -> dict:
    """What the schedule page's shadow section shows besides the timeline (whose shifts name
    their shadows): the current and upcoming shadow shifts, and the form."""
    if form is None:
        zone = ZoneInfo(schedule.time_zone)
        start = (now.astimezone(zone) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        members = User.objects.filter(memberships__team_id=schedule.team_id, is_active=True).order_by("username")
        form = ShadowForm(members=members, layers=schedule.layers.order_by("position", "id"), zone=zone, initial={
            "starts_at": start.replace(tzinfo=None), "ends_at": (start + timedelta(days=7)).replace(tzinfo=None)})
    return {
        "shadows": schedules.shadows_visible_to(user).filter(schedule=schedule, ends_at__gt=now).order_by("starts_at"),
        "shadow_form": form,
    }
