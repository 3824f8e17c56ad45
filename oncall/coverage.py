"""Who covers each schedule: who is on call now, until when, who is next, and the stretches ahead
when nobody is, found days before a page would reach no one.

Every answer costs the fixed number of queries of `schedules.schedule_maths`, however many schedules
are asked about: the gaps come out of the rows already read for who is on call.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from . import rotation
from .models import Schedule
from .schedules import MAX_SHIFTS_RANGE, ScheduleMaths, schedule_maths

# How far ahead who-is-on-call looks for gaps: a week sees every weekly rotation's whole turn.
GAPS_AHEAD = timedelta(days=7)

Gap = tuple[datetime, datetime]  # [start, end), nobody on call


def gaps_between(m: ScheduleMaths, *, start: datetime, end: datetime) -> list[Gap]:
    """The stretches of [start, end) when nobody is on call: layers, restrictions and overrides."""
    return rotation.uncovered(layers=m.layers, overrides=m.overrides, tz=m.tz, start=start, end=end)


@dataclass(frozen=True)
class OnCallAndGaps:
    shift: rotation.Shift | None  # as schedules.schedules_oncall_at answers it
    gaps: list[Gap]  # within [at, at + GAPS_AHEAD)


def schedules_oncall_with_gaps(schedules: QuerySet[Schedule], *, at: datetime) -> dict[int, OnCallAndGaps]:
    """Who is on call in each schedule at `at`, and when nobody will be in the week after it."""
    # The same rows as schedules_oncall_at: overrides from a day before, so that "since" allows for them.
    loaded = schedule_maths(schedules, start=at - timedelta(days=1), end=at + GAPS_AHEAD)
    return {m.schedule.pk: OnCallAndGaps(
        shift=rotation.oncall_at(layers=m.layers, overrides=m.overrides, tz=m.tz, at=at),
        gaps=gaps_between(m, start=at, end=at + GAPS_AHEAD)) for m in loaded}


@dataclass(frozen=True)
class OnCallNow:
    current: rotation.Shift | None  # end: when this person stops (None: nothing ends it)
    next: rotation.Shift | None  # who takes over at current.end (or, in a gap, who comes first)
    gaps: tuple[Gap, ...] = ()  # within [at, at + GAPS_AHEAD)


def schedules_oncall_now_and_next(schedules: QuerySet[Schedule], *, at: datetime,
                                  look_ahead: timedelta = timedelta(days=31)) -> dict[int, OnCallNow]:
    """Who is on call in each schedule, until when, who is next, and the gaps of the week ahead,
    in a fixed number of queries.

    schedules_oncall_at loads only the overrides running at `at`, which is all paging needs, so an
    override starting tomorrow does not end today's shift there. Here overrides are loaded for a
    year ahead, so "until" is right. Back-to-back shifts of one person count as one.
    """
    horizon = at + MAX_SHIFTS_RANGE
    out = {}
    for m in schedule_maths(schedules, start=at, end=horizon):
        def oncall(t, m=m):
            return rotation.oncall_at(layers=m.layers, overrides=m.overrides, tz=m.tz, at=t)

        current, following = oncall(at), None
        if current is None:
            upcoming = rotation.final_shifts(layers=m.layers, overrides=m.overrides, tz=m.tz, start=at,
                                             end=at + look_ahead)
            following = upcoming[0] if upcoming else None
        else:
            end = current.end
            for _ in range(20):
                if end is None or end >= horizon:
                    break
                following = oncall(end)
                if following is None or following.person != current.person:
                    break
                end, following = following.end, None
            current = rotation.Shift(start=current.start, end=end, person=current.person, source=current.source)
        gaps = tuple(gaps_between(m, start=at, end=at + GAPS_AHEAD))
        out[m.schedule.pk] = OnCallNow(current=current, next=following, gaps=gaps)
    return out


def gaps_within(gaps: list[Gap], *, start: datetime, end: datetime) -> list[Gap]:
    """The parts of `gaps` inside [start, end)."""
    return [(max(a, start), min(b, end)) for a, b in gaps if a < end and b > start]


def gap_warning(gap: Gap, *, now: datetime, zone: ZoneInfo, ahead: timedelta = GAPS_AHEAD) -> str:
    """The warning the web pages show, in the schedule's zone:
    "Nobody on call Tue 02:00–06:00 (in 2 days)"."""
    start, end = (t.astimezone(zone) for t in gap)
    today = now.astimezone(zone).date()
    open_ended = gap[1] >= now + ahead  # the gap runs past what was looked at: its end is unknown
    if gap[0] <= now:
        if open_ended:
            return f"Nobody on call now, nor at any time in the next {ahead.days} days"
        return f"Nobody on call now, until {end:%a %H:%M} (in {_span(gap[1] - now)})"
    if open_ended:
        span = f"from {start:%a %H:%M}, to the end of the next {ahead.days} days"
    elif end.date() == start.date():
        span = f"{start:%a %H:%M}–{end:%H:%M}"
    else:
        span = f"{start:%a %H:%M} – {end:%a %H:%M}"
    days = (start.date() - today).days
    when = "tomorrow" if days == 1 else f"in {days} days" if days > 1 else f"in {_span(gap[0] - now)}"
    return f"Nobody on call {span} ({when})"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{hours // 24} days"
