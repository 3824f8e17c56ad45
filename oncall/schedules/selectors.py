"""Reads of schedules: who is on call, the shifts over a range, and what a person may see."""
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from .. import rotation
from ..access import team_ids_of, team_scoped
from ..models import CalendarFeed, Layer, LayerParticipant, Override, Schedule, hash_secret
from .maths import MAX_SHIFTS_RANGE, ScheduleError, schedule_maths


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


def user_shifts(*, user: User, start: datetime, end: datetime) -> list[tuple[Schedule, rotation.Shift]]:
    """A person's own shifts across every schedule they are in: the schedules of their teams
    where a layer names them or an override in the window does (a team with 3,000 schedules
    would otherwise cost 3,000 schedules' maths on every page that shows the person's shifts)."""
    named = Q(pk__in=LayerParticipant.objects.filter(user=user).values("layer__schedule_id")) | Q(
        pk__in=Override.objects.filter(user=user, ends_at__gt=start, starts_at__lt=end).values("schedule_id"))
    schedules = Schedule.objects.filter(named, team__memberships__user=user).distinct()
    out = []
    for m in schedule_maths(schedules, start=start, end=end):
        for shift in rotation.final_shifts(layers=m.layers, overrides=m.overrides, tz=m.tz, start=start, end=end):
            if shift.person == user.pk:
                out.append((m.schedule, shift))
    return sorted(out, key=lambda pair: pair[1].start)


def calendar_feed_find(*, token: str) -> CalendarFeed | None:
    return CalendarFeed.objects.select_related("schedule", "user").filter(
        token_hash=hash_secret(token), revoked_at__isnull=True).first()


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
