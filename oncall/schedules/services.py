"""Every write to schedules, their layers (rotations), overrides and calendar feeds."""
from datetime import date, datetime, time

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from config.models_util import KEEP, apply_changes

from ..audit.recording import audit_updated
from ..models import CalendarFeed, Layer, LayerParticipant, Override, Restriction, Schedule, hash_secret, new_secret
from .maths import MAX_SHIFTS_RANGE, ScheduleError, zone_or_error


def schedule_create(*, team, name: str, description: str = "", time_zone: str = "UTC") -> Schedule:
    zone_or_error(time_zone)
    return Schedule.objects.create(team=team, name=name, description=description, time_zone=time_zone)


def schedule_update(*, schedule: Schedule, name: str | None = None, description: str | None = None,
                    time_zone: str | None = None) -> Schedule:
    """A new zone moves every future hand-off to the same wall-clock time in that zone."""
    if time_zone is not None:
        zone_or_error(time_zone)
    apply_changes(schedule, name=name, description=description, time_zone=time_zone)
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


def layer_update(*, layer: Layer, name: str | None = None, position: int | None = None,
                 turn_length: int | None = None, turn_unit: str | None = None, handoff_time: time | None = None,
                 start_date: date | None = None, end_at: datetime | None | object = KEEP,
                 participants: list[User] | None = None, restrictions: list[dict] | None = None) -> Layer:
    """Change a rotation. Arguments left out (or None) are kept, except `end_at`, which None clears;
    `participants` and `restrictions` replace the old ones."""
    with transaction.atomic():
        apply_changes(layer, nullable=["end_at"], name=name, position=position, turn_length=turn_length,
                      turn_unit=turn_unit, handoff_time=handoff_time, start_date=start_date, end_at=end_at)
        if participants is not None:
            layer_participants_set(layer=layer, users=participants)
        if restrictions is not None:
            layer_restrictions_set(layer=layer, restrictions=restrictions)
    return layer


def layer_participants_set(*, layer: Layer, users: list[User]) -> None:
    """Replace a layer's rotation order."""
    outsiders = [u for u in users if not u.memberships.filter(team_id=layer.schedule.team_id).exists()]
    if outsiders:
        raise ScheduleError(f"Not members of {layer.schedule.team}: {', '.join(map(str, outsiders))}.")
    with transaction.atomic():
        layer.participants.all().delete()
        LayerParticipant.objects.bulk_create(
            [LayerParticipant(layer=layer, user=u, position=i) for i, u in enumerate(users)])


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


def override_cancel(*, override: Override) -> None:
    """Take an override back without rewriting the past: a future one goes, a running one ends now,
    and one that is over stays as the record of who was on call."""
    now = timezone.now()
    if override.ends_at <= now:
        raise ScheduleError("This override is over; it stays as the record of who was on call.")
    if override.starts_at < now:
        Override.objects.filter(pk=override.pk).update(ends_at=now)
        audit_updated(model=Override, pk=override.pk, ends_at=now)
    else:
        Override.objects.filter(pk=override.pk).delete()


def override_delete(*, override: Override) -> None:
    override.delete()


def calendar_feed_create(*, schedule: Schedule | None = None, user: User | None = None) -> tuple[CalendarFeed, str]:
    if (schedule is None) == (user is None):
        raise ScheduleError("A feed is for one schedule or one person.")
    raw = new_secret("cal")
    feed = CalendarFeed.objects.create(schedule=schedule, user=user, token_hash=hash_secret(raw))
    return feed, raw


def calendar_feed_revoke(*, feed: CalendarFeed) -> None:
    if CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        audit_updated(model=CalendarFeed, pk=feed.pk, revoked_at=timezone.now())
