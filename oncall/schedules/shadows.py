"""Shadow shifts: someone learning beside whoever is on call.

A `Shadow` row is (schedule, shadow, optionally the person or the layer shadowed, start, end),
written like an override. It changes nobody's shift: who is on call is still the rotation maths'
answer (oncall/rotation.py); a shadow stands beside that answer. Between start and end the shadow
is beside whoever is on call in the schedule; with `shadowing` set, beside that person's shifts
only (shadow alice through her next rotation); with `layer` set, beside the shifts that layer
decides only (the weekday daytime rotation, not the nights). A layer-level shadow is this row with
its layer: it needs no rotation of its own, as the shadow stands beside whoever the layer has on.

Paging copies each page of the schedule to its shadows (notifications/paging.py,
`copy_to_shadows`), and who-is-on-call shows them apart: "alice (shadow: dana)".
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..access import team_scoped
from ..audit.recording import audit_updated
from ..models import Layer, Schedule, Shadow
from ..rotation import Shift
from .display import schedule_layer_labels
from .maths import MAX_SHIFTS_RANGE, ScheduleError


@dataclass(frozen=True)
class ShadowSpec:
    """A shadow as the maths sees it: the value of a `Shadow` row."""
    person: int
    start: datetime
    end: datetime
    shadowing: int | None = None
    layer: int | None = None  # the layer's index among the schedule's, as a Shift's source counts it

    def beside(self, shift: Shift) -> bool:
        """Whether this shadow stands beside `shift` for some of it."""
        return (self.person != shift.person and (self.shadowing is None or self.shadowing == shift.person)
                and (self.layer is None or self.layer == shift.source)
                and self.start < (shift.end or self.end) and shift.start < self.end)

    def beside_at(self, shift: Shift, at: datetime) -> bool:
        return self.beside(shift) and self.start <= at < self.end


def _specs(rows) -> dict[int, list[ShadowSpec]]:
    rows = list(rows)
    # Only shadows of a layer cost the query that numbers the layers as the maths does.
    labels = schedule_layer_labels(list({row[0] for row in rows if row[5]})) if any(row[5] for row in rows) else {}
    index = {label.id: label.number - 1 for numbered in labels.values() for label in numbered}
    found: dict[int, list[ShadowSpec]] = defaultdict(list)
    for schedule_id, user_id, s, e, shadowing, layer_id in rows:
        found[schedule_id].append(ShadowSpec(person=user_id, start=s, end=e, shadowing=shadowing,
                                             layer=index.get(layer_id, -1) if layer_id else None))
    return found


_FIELDS = ("schedule_id", "user_id", "starts_at", "ends_at", "shadowing_id", "layer_id")


def schedule_shadows(ids, *, start: datetime, end: datetime) -> dict[int, list[ShadowSpec]]:
    """The shadows of each schedule that touch [start, end), oldest first. One query."""
    return _specs(Shadow.objects.filter(schedule_id__in=list(ids), ends_at__gt=start, starts_at__lt=end).order_by(
        "starts_at", "id").values_list(*_FIELDS))


def shadows_beside(shadows: list[ShadowSpec], shift: Shift | None, *, at: datetime | None = None) -> list[int]:
    """Who shadows `shift` (at `at` when given, else for any of it), once each, in order."""
    if shift is None:
        return []
    near = [s for s in shadows if (s.beside_at(shift, at) if at is not None else s.beside(shift))]
    return list(dict.fromkeys(s.person for s in near))


def schedules_shadows_at(shifts: dict[int, Shift | None], *, at: datetime) -> dict[int, list[int]]:
    """For {schedule id: who is on call at `at`}, the ids of the people shadowing them then. One query."""
    shadows = _specs(Shadow.objects.filter(
        schedule_id__in=[pk for pk, shift in shifts.items() if shift], starts_at__lte=at, ends_at__gt=at,
    ).order_by("starts_at", "id").values_list(*_FIELDS))
    return {pk: shadows_beside(shadows.get(pk, []), shift, at=at) for pk, shift in shifts.items()}


def shadows_visible_to(user: User) -> QuerySet[Shadow]:
    return team_scoped(Shadow.objects.select_related(
        "schedule", "schedule__team", "user", "shadowing", "layer", "created_by"), user, "schedule__team")


def shadow_create(*, schedule: Schedule, user: User, starts_at: datetime, ends_at: datetime,
                  shadowing: User | None = None, layer: Layer | None = None, created_by: User | None) -> Shadow:
    """Someone shadows the schedule's on-call person (or only `shadowing`, or only the shifts of
    `layer`) between two instants."""
    if layer is not None and layer.schedule_id != schedule.pk:
        raise ScheduleError(f"Layer {layer.pk} is not a layer of {schedule}.")
    if ends_at <= starts_at:
        raise ScheduleError("The shadow shift must end after it starts.")
    if ends_at - starts_at > MAX_SHIFTS_RANGE:
        raise ScheduleError("A shadow shift can last at most 366 days.")
    if shadowing is not None and shadowing.pk == user.pk:
        raise ScheduleError(f"{user} cannot shadow themselves.")
    for person in (user, shadowing):
        if person is not None and not person.memberships.filter(team_id=schedule.team_id).exists():
            raise ScheduleError(f"{person} is not a member of {schedule.team}.")
    return Shadow.objects.create(schedule=schedule, user=user, shadowing=shadowing, layer=layer,
                                 starts_at=starts_at, ends_at=ends_at, created_by=created_by)


def shadow_cancel(*, shadow: Shadow) -> None:
    """As for overrides: a future shadow shift goes, a running one ends now, a past one stays."""
    now = timezone.now()
    if shadow.ends_at <= now:
        raise ScheduleError("This shadow shift is over; it stays as the record of who shadowed.")
    with transaction.atomic():
        if shadow.starts_at < now:
            Shadow.objects.filter(pk=shadow.pk).update(ends_at=now)
            audit_updated(model=Shadow, pk=shadow.pk, ends_at=now)
        else:
            Shadow.objects.filter(pk=shadow.pk).delete()
