"""Schedules as the rest of Vigil sees them: rows in, rotation maths (oncall/rotation.py) out.

Reading a schedule costs a fixed number of queries however many schedules are asked about:
`schedules_oncall_at` answers for a thousand schedules with five queries.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from . import rotation
from .models import CalendarFeed, Layer, LayerParticipant, Override, Restriction, Schedule, hash_secret, new_secret

MAX_SHIFTS_RANGE = timedelta(days=366)


class ScheduleError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ScheduleMaths:
    """A schedule in rotation's terms: layers (lowest first), overrides, zone."""

    schedule: Schedule
    layers: tuple[rotation.Layer, ...]
    overrides: tuple[rotation.Override, ...]
    tz: ZoneInfo


def zone_or_error(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Unknown time zone {name!r}; use an IANA name like America/New_York.") from None


def _restriction(r: Restriction) -> rotation.Restriction:
    if r.kind == Restriction.Kind.WEEKLY:
        return rotation.Restriction.weekly(r.start_weekday or 0, r.start_time, r.end_weekday or 0, r.end_time)
    return rotation.Restriction.daily(r.start_time, r.end_time)


def _layer(layer: Layer) -> rotation.Layer:
    return rotation.Layer(
        participants=tuple(p.user_id for p in layer.participants.all()),
        turn_length=layer.turn_length, turn_unit=layer.turn_unit, handoff_time=layer.handoff_time,
        start=layer.start_date, end=layer.end_at,
        restrictions=tuple(_restriction(r) for r in layer.restrictions.all()),
    )


def _with_rows(schedules: QuerySet[Schedule], *, overrides_from: datetime, overrides_to: datetime) -> QuerySet[Schedule]:
    return schedules.prefetch_related(
        Prefetch("layers", queryset=Layer.objects.order_by("position", "id").prefetch_related(
            Prefetch("participants", queryset=LayerParticipant.objects.order_by("position")),
            "restrictions",
        )),
        Prefetch("overrides", queryset=Override.objects.filter(ends_at__gt=overrides_from, starts_at__lt=overrides_to)
                 .order_by("created_at", "id")),
    )


def schedule_maths(schedules: QuerySet[Schedule], *, start: datetime, end: datetime) -> list[ScheduleMaths]:
    """Load schedules with what matters between start and end, in a fixed number of queries."""
    out = []
    for s in _with_rows(schedules, overrides_from=start, overrides_to=end):
        out.append(ScheduleMaths(
            schedule=s, tz=ZoneInfo(s.time_zone),
            layers=tuple(_layer(layer) for layer in s.layers.all() if layer.participants.all()),
            # Later-created overrides win where they overlap (rotation: later in the list wins).
            overrides=tuple(rotation.Override(person=o.user_id, start=o.starts_at, end=o.ends_at)
                            for o in s.overrides.all()),
        ))
    return out


def schedules_oncall_at(schedules: QuerySet[Schedule], *, at: datetime) -> dict[int, rotation.Shift | None]:
    """Who is on call in each schedule at `at`: {schedule id: shift or None}."""
    loaded = schedule_maths(schedules, start=at, end=at + timedelta(microseconds=1))
    return {m.schedule.pk: rotation.oncall_at(layers=m.layers, overrides=m.overrides, tz=m.tz, at=at) for m in loaded}


def oncall_users_at(*, schedule: Schedule, at: datetime) -> list[User]:
    shift = schedules_oncall_at(Schedule.objects.filter(pk=schedule.pk), at=at).get(schedule.pk)
    return list(User.objects.filter(pk=shift.person, is_active=True)) if shift else []


def schedule_shifts(*, schedule: Schedule, start: datetime, end: datetime) -> dict:
    """The final schedule between start and end, with each layer's own shifts for the UI."""
    if end <= start:
        raise ScheduleError("end must be after start.")
    if end - start > MAX_SHIFTS_RANGE:
        raise ScheduleError("A range of at most 366 days can be asked for at once.")
    [m] = schedule_maths(Schedule.objects.filter(pk=schedule.pk), start=start, end=end)
    return {
        "final": rotation.final_shifts(layers=m.layers, overrides=m.overrides, tz=m.tz, start=start, end=end),
        "layers": [rotation.layer_shifts(layer=layer, tz=m.tz, start=start, end=end) for layer in m.layers],
        "overrides": [o for o in m.overrides],
    }


def override_create(*, schedule: Schedule, user: User, starts_at: datetime, ends_at: datetime,
                    created_by: User | None) -> Override:
    """Someone takes a shift ("take this shift", a swap, cover for a holiday)."""
    if ends_at <= starts_at:
        raise ScheduleError("The override must end after it starts.")
    if ends_at - starts_at > MAX_SHIFTS_RANGE:
        raise ScheduleError("An override can last at most 366 days.")
    if not user.memberships.filter(team_id=schedule.team_id).exists():
        raise ScheduleError(f"{user} is not a member of {schedule.team}, so cannot be on call for it.")
    return Override.objects.create(schedule=schedule, user=user, starts_at=starts_at, ends_at=ends_at, created_by=created_by)


def layer_participants_set(*, layer: Layer, users: list[User]) -> None:
    """Replace a layer's rotation order."""
    outsiders = [u for u in users if not u.memberships.filter(team_id=layer.schedule.team_id).exists()]
    if outsiders:
        raise ScheduleError(f"Not members of {layer.schedule.team}: {', '.join(map(str, outsiders))}.")
    with transaction.atomic():
        layer.participants.all().delete()
        LayerParticipant.objects.bulk_create(
            [LayerParticipant(layer=layer, user=u, position=i) for i, u in enumerate(users)])


def calendar_feed_create(*, schedule: Schedule | None = None, user: User | None = None) -> tuple[CalendarFeed, str]:
    if (schedule is None) == (user is None):
        raise ScheduleError("A feed is for one schedule or one person.")
    raw = new_secret("cal")
    feed = CalendarFeed.objects.create(schedule=schedule, user=user, token_hash=hash_secret(raw))
    return feed, raw


def calendar_feed_revoke(*, feed: CalendarFeed) -> None:
    CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def calendar_feed_find(*, token: str) -> CalendarFeed | None:
    return CalendarFeed.objects.select_related("schedule", "user").filter(
        token_hash=hash_secret(token), revoked_at__isnull=True).first()


def user_shifts(*, user: User, start: datetime, end: datetime) -> list[tuple[Schedule, rotation.Shift]]:
    """A person's own shifts across every schedule they are in."""
    schedules = Schedule.objects.filter(team__memberships__user=user).distinct()
    out = []
    for m in schedule_maths(schedules, start=start, end=end):
        for shift in rotation.final_shifts(layers=m.layers, overrides=m.overrides, tz=m.tz, start=start, end=end):
            if shift.person == user.pk:
                out.append((m.schedule, shift))
    return sorted(out, key=lambda pair: pair[1].start)

