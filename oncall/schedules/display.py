"""Schedules as pages, feeds and the API show them: layer names aligned with the shifts' sources,
the stretches nobody covers, usernames, and a feed's URL."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User

from .. import rotation
from ..models import CalendarFeed, Layer, Schedule
from .selectors import schedule_shifts


@dataclass(frozen=True)
class LayerLabel:
    id: int
    number: int  # 1-based, among all of the schedule's layers, lowest priority first
    name: str


def schedule_layer_labels(ids: list[int]) -> dict[int, list[LayerLabel]]:
    """For each schedule, its layers aligned with `ScheduleMaths.layers` (every layer, lowest first,
    empty ones too), so that a shift's `source` index names its own layer. One query."""
    rows = Layer.objects.filter(schedule_id__in=ids).order_by("position", "id").values_list("id", "schedule_id", "name")
    labels: dict[int, list[LayerLabel]] = defaultdict(list)
    for layer_id, schedule_id, name in rows:
        number = len(labels[schedule_id]) + 1
        labels[schedule_id].append(LayerLabel(id=layer_id, number=number, name=name or f"Layer {number}"))
    return labels


def schedule_timeline(*, schedule: Schedule, start: datetime, end: datetime) -> dict:
    """schedule_shifts with the stretches nobody covers listed. As in `final`, a layer's shifts carry
    that layer's index among all of the schedule's layers as their source."""
    found = schedule_shifts(schedule=schedule, start=start, end=end)
    return {"final": found["final"], "layers": found["layers"],
            "gaps": rotation.gaps(shifts=found["final"], start=start, end=end)}


def usernames_by_id(ids) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=set(ids)).values_list("pk", "username"))


def calendar_feed_url(*, feed: CalendarFeed, token: str) -> str:
    """The subscription URL; only the token's hash is stored, so it can be built only once."""
    if feed.schedule_id is not None:
        return f"{settings.PUBLIC_URL}/oncall/schedules/{feed.schedule_id}/{token}.ics"
    return f"{settings.PUBLIC_URL}/oncall/people/{feed.user_id}/{token}.ics"
