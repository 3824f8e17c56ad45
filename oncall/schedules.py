"""Schedules as the rest of Vigil sees them: rows in, rotation maths (oncall/rotation.py) out.

Reading a schedule costs a fixed number of queries however many schedules are asked about:
`schedules_oncall_at` answers for a thousand schedules with five queries.
"""
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from config.errors import VigilError

from . import rotation
from .access import team_ids_of, team_scoped
from .models import (
    CalendarFeed,
    Layer,
    LayerParticipant,
    Override,
    Restriction,
    Schedule,
    hash_secret,
    new_secret,
)

MAX_SHIFTS_RANGE = timedelta(days=366)


class ScheduleError(VigilError):
    pass


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
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory: OSError
        raise ScheduleError(f"Unknown time zone {name!r}; use an IANA name like America/New_York.") from None


def _restriction(kind, start_weekday, start_time, end_weekday, end_time) -> rotation.Restriction:
    if kind == Restriction.Kind.WEEKLY:
        return rotation.Restriction.weekly(start_weekday or 0, start_time, end_weekday or 0, end_time)
    return rotation.Restriction.daily(start_time, end_time)


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
    # Empty layers stay in, so that a shift's source (a layer index) matches the layer's position.
    for layer_id, schedule_id, length, unit, handoff, first_day, end_at in layer_rows:
        layers[schedule_id].append(rotation.Layer(
            participants=tuple(people[layer_id]), turn_length=length, turn_unit=unit, handoff_time=handoff,
            start=first_day, end=end_at, restrictions=tuple(windows[layer_id])))
    for schedule_id, user_id, o_start, o_end in override_rows:
        overrides[schedule_id].append(rotation.Override(person=user_id, start=o_start, end=o_end))
    return [ScheduleMaths(schedule=s, tz=ZoneInfo(s.time_zone), layers=tuple(layers[s.pk]),
                          overrides=tuple(overrides[s.pk])) for s in found]


def schedules_oncall_at(schedules: QuerySet[Schedule], *, at: datetime) -> dict[int, rotation.Shift | None]:
    """Who is on call in each schedule at `at`: {schedule id: shift or None}."""
    # Overrides near `at` too, so that the answer's start and end ("on call until …") allow for them.
    loaded = schedule_maths(schedules, start=at - timedelta(days=1), end=at + timedelta(days=7))
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
        "layers": [rotation.layer_shifts(layer=layer, tz=m.tz, start=start, end=end, layer_index=i)
                   for i, layer in enumerate(m.layers)],
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



# --- Added for the web pages (oncall/views.py) ------------------------------------------------

def override_cancel(*, override: Override) -> None:
    """Take an override back without rewriting the past: a future one goes, a running one ends now,
    and one that is over stays as the record of who was on call."""
    now = timezone.now()
    if override.ends_at <= now:
        raise ScheduleError("This override is over; it stays as the record of who was on call.")
    if override.starts_at < now:
        Override.objects.filter(pk=override.pk).update(ends_at=now)
    else:
        Override.objects.filter(pk=override.pk).delete()


# --- Reads and writes behind /api/v1/schedules/, layers/, overrides/, feeds/ ------------------

def schedules_visible_to(user: User) -> QuerySet[Schedule]:
    """Schedules of the person's teams (every schedule for a superuser)."""
    return team_scoped(Schedule.objects.select_related("team"), user)


def layers_visible_to(user: User) -> QuerySet[Layer]:
    qs = Layer.objects.select_related("schedule", "schedule__team").prefetch_related("participants__user", "restrictions")
    return team_scoped(qs, user, "schedule__team")


def overrides_visible_to(user: User) -> QuerySet[Override]:
    return team_scoped(Override.objects.select_related("schedule", "schedule__team", "user", "created_by"), user,
                       "schedule__team")


def calendar_feeds_visible_to(user: User) -> QuerySet[CalendarFeed]:
    """The person's own feeds and the feeds of their teams' schedules (all for a superuser)."""
    qs = CalendarFeed.objects.select_related("schedule", "schedule__team", "user").order_by("-created_at", "-id")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(Q(user=user) | Q(schedule__team_id__in=team_ids_of(user)))


def calendar_feed_url(*, feed: CalendarFeed, token: str) -> str:
    """The subscription URL; only the token's hash is stored, so it can be built only once."""
    if feed.schedule_id is not None:
        return f"{settings.PUBLIC_URL}/oncall/schedules/{feed.schedule_id}/{token}.ics"
    return f"{settings.PUBLIC_URL}/oncall/people/{feed.user_id}/{token}.ics"


def schedule_create(*, team, name: str, description: str = "", time_zone: str = "UTC") -> Schedule:
    zone_or_error(time_zone)
    return Schedule.objects.create(team=team, name=name, description=description, time_zone=time_zone)


def schedule_update(*, schedule: Schedule, name: str | None = None, description: str | None = None,
                    time_zone: str | None = None) -> Schedule:
    """A new zone moves every future hand-off to the same wall-clock time in that zone."""
    if time_zone is not None:
        zone_or_error(time_zone)
    changes = {k: v for k, v in {"name": name, "description": description, "time_zone": time_zone}.items()
               if v is not None}
    for field, value in changes.items():
        setattr(schedule, field, value)
    if changes:
        schedule.save(update_fields=list(changes))
    return schedule


def layer_create(*, schedule: Schedule, start_date: date, participants: list[User], restrictions: list[dict] = (),
                 name: str = "", position: int | None = None, turn_length: int = 1,
                 turn_unit: str = Layer.TurnUnit.WEEKS, handoff_time: time = time(9),
                 end_at: datetime | None = None) -> Layer:
    """A new rotation, on top of the schedule's others unless `position` says otherwise.

    restrictions: [{"kind": "weekly", "start_weekday": 0, "start_time": time(9), "end_weekday": 4,
    "end_time": time(17)}, ...]
    """
    with transaction.atomic():
        if position is None:
            last = schedule.layers.order_by("-position").values_list("position", flat=True).first()
            position = 0 if last is None else last + 1
        layer = Layer.objects.create(
            schedule=schedule, name=name, position=position, turn_length=turn_length, turn_unit=turn_unit,
            handoff_time=handoff_time, start_date=start_date, end_at=end_at)
        layer_participants_set(layer=layer, users=participants)
        layer_restrictions_set(layer=layer, restrictions=list(restrictions))
    return layer


_KEEP = object()


def layer_update(*, layer: Layer, name: str | None = None, position: int | None = None,
                 turn_length: int | None = None, turn_unit: str | None = None, handoff_time: time | None = None,
                 start_date: date | None = None, end_at: datetime | None | object = _KEEP,
                 participants: list[User] | None = None, restrictions: list[dict] | None = None) -> Layer:
    """Change a rotation. Arguments left out (or None) are kept, except `end_at`, which None clears;
    `participants` and `restrictions` replace the old ones."""
    changes = {k: v for k, v in {"name": name, "position": position, "turn_length": turn_length,
                                 "turn_unit": turn_unit, "handoff_time": handoff_time,
                                 "start_date": start_date}.items() if v is not None}
    if end_at is not _KEEP:
        changes["end_at"] = end_at
    with transaction.atomic():
        for field, value in changes.items():
            setattr(layer, field, value)
        if changes:
            layer.save(update_fields=list(changes))
        if participants is not None:
            layer_participants_set(layer=layer, users=participants)
        if restrictions is not None:
            layer_restrictions_set(layer=layer, restrictions=restrictions)
    return layer


def layer_restrictions_set(*, layer: Layer, restrictions: list[dict]) -> None:
    """Replace a layer's windows. Daily windows have no weekdays; weekly ones need both."""
    rows = []
    for n, spec in enumerate(restrictions, start=1):
        kind = spec.get("kind", Restriction.Kind.DAILY)
        days = (spec.get("start_weekday"), spec.get("end_weekday"))
        if kind == Restriction.Kind.WEEKLY and (None in days or not all(0 <= d <= 6 for d in days)):
            raise ScheduleError(f"Restriction {n}: a weekly window needs start_weekday and end_weekday, 0 (Monday) to 6.")
        if kind == Restriction.Kind.DAILY and days != (None, None):
            raise ScheduleError(f"Restriction {n}: a daily window has no weekdays.")
        if kind not in Restriction.Kind.values:
            raise ScheduleError(f"Restriction {n}: kind must be daily or weekly.")
        rows.append(Restriction(layer=layer, kind=kind, start_weekday=days[0], start_time=spec["start_time"],
                                end_weekday=days[1], end_time=spec["end_time"]))
    with transaction.atomic():
        layer.restrictions.all().delete()
        Restriction.objects.bulk_create(rows)


def layer_delete(*, layer: Layer) -> None:
    layer.delete()


def override_delete(*, override: Override) -> None:
    override.delete()


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
    """schedule_shifts for display: each layer's shifts carry that layer's index as their source
    (as in `final`), and the stretches nobody covers are listed."""
    found = schedule_shifts(schedule=schedule, start=start, end=end)
    layers = [[replace(shift, source=index) for shift in shifts] for index, shifts in enumerate(found["layers"])]
    return {"final": found["final"], "layers": layers,
            "gaps": rotation.gaps(shifts=found["final"], start=start, end=end)}


def usernames_by_id(ids) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=set(ids)).values_list("pk", "username"))
