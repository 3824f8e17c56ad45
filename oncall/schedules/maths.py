"""Schedules in the rotation maths' terms (oncall/rotation.py): rows in, pure values out.

Reading costs a fixed number of queries however many schedules are asked about: value queries
rather than model instances, as a thousand schedules mean tens of thousands of rows."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from config.errors import VigilError

from .. import rotation
from ..models import Layer, LayerParticipant, Override, Restriction, Schedule, time_zone_problem


MAX_SHIFTS_RANGE = timedelta(days=366)


class ScheduleError(VigilError):
    pass


def zone_or_error(name: str) -> ZoneInfo:
    problem = time_zone_problem(name)
    if problem:
        raise ScheduleError(problem)
    return ZoneInfo(name)


@dataclass(frozen=True)
class ScheduleMaths:
    """A schedule in rotation's terms: layers (lowest first), overrides, zone."""

    schedule: Schedule
    layers: tuple[rotation.LayerSpec, ...]
    overrides: tuple[rotation.OverrideSpec, ...]
    tz: ZoneInfo


def _restriction(kind, start_weekday, start_time, end_weekday, end_time) -> rotation.RestrictionSpec:
    if kind == Restriction.Kind.WEEKLY:
        return rotation.RestrictionSpec.weekly(start_weekday or 0, start_time, end_weekday or 0, end_time)
    return rotation.RestrictionSpec.daily(start_time, end_time)


def schedule_rows(ids: list[int], *, start: datetime, end: datetime) -> tuple[list, list, list, list]:
    """The rows behind schedules as plain tuples, four queries whatever the number of schedules.

    Value queries rather than model instances: answering for a thousand schedules reads tens of
    thousands of rows, and building model instances would cost more than the maths.
    """
    participants = list(LayerParticipant.objects.filter(layer__schedule_id__in=ids).order_by(
        "layer_id", "position").values_list("layer_id", "user_id"))
    restrictions = list(Restriction.objects.filter(layer__schedule_id__in=ids).order_by("id").values_list(
        "layer_id", "kind", "start_weekday", "start_time", "end_weekday", "end_time"))
    layers = list(Layer.objects.filter(schedule_id__in=ids).order_by("position", "id").values_list(
        "id", "schedule_id", "turn_length", "turn_unit", "handoff_time", "start_date", "end_at"))
    # Later-created overrides win where they overlap (rotation: later in the list wins).
    overrides = list(Override.objects.filter(schedule_id__in=ids, ends_at__gt=start, starts_at__lt=end).order_by(
        "created_at", "id").values_list("schedule_id", "user_id", "starts_at", "ends_at"))
    return participants, restrictions, layers, overrides


def schedule_maths(schedules: QuerySet[Schedule], *, start: datetime, end: datetime) -> list[ScheduleMaths]:
    """Schedules in rotation's terms, with the overrides that touch [start, end)."""
    found = list(schedules.order_by())
    participant_rows, restriction_rows, layer_rows, override_rows = schedule_rows(
        [s.pk for s in found], start=start, end=end)
    people, windows, layers, overrides = defaultdict(list), defaultdict(list), defaultdict(list), defaultdict(list)
    for layer_id, user_id in participant_rows:
        people[layer_id].append(user_id)
    for layer_id, *fields in restriction_rows:
        windows[layer_id].append(_restriction(*fields))
    # Empty layers stay in, so that a shift's source (a layer's index here) names the same layer as
    # display.schedule_layer_labels, which lists every layer too.
    for layer_id, schedule_id, length, unit, handoff, first_day, end_at in layer_rows:
        layers[schedule_id].append(rotation.LayerSpec(
            participants=tuple(people[layer_id]), turn_length=length, turn_unit=unit, handoff_time=handoff,
            start=first_day, end=end_at, restrictions=tuple(windows[layer_id])))
    for schedule_id, user_id, o_start, o_end in override_rows:
        overrides[schedule_id].append(rotation.OverrideSpec(person=user_id, start=o_start, end=o_end))
    return [ScheduleMaths(schedule=s, tz=ZoneInfo(s.time_zone), layers=tuple(layers[s.pk]),
                          overrides=tuple(overrides[s.pk])) for s in found]
