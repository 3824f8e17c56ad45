"""Shifts as a hand-off sees them: a shift ends when the person on call changes.

The final schedule (oncall/rotation.py) splits a person's time on call wherever its source
changes: an override that hands the pager back to the same person the layer had is no hand-off.
So touching intervals of one person are joined here, and a shift ends where the next interval
belongs to someone else or to nobody (a gap). An empty schedule has no shifts, so no ends.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from oncall import rotation
from oncall.schedules.maths import ScheduleMaths

# No report covers more than this; a longer shift is reported over its last 31 days.
MAX_PERIOD = timedelta(days=31)


@dataclass(frozen=True)
class OncallSpan:
    person: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ShiftEnd:
    at: datetime
    started_at: datetime
    outgoing: int
    incoming: int | None


def oncall_spans(maths: ScheduleMaths, *, start: datetime, end: datetime) -> list[OncallSpan]:
    """Who is on call within [start, end), one span per person's unbroken time on call."""
    spans: list[OncallSpan] = []
    for shift in rotation.final_shifts(layers=maths.layers, overrides=maths.overrides, tz=maths.tz,
                                       start=start, end=end):
        last = spans[-1] if spans else None
        if last and last.person == shift.person and last.end == shift.start:
            spans[-1] = OncallSpan(person=last.person, start=last.start, end=shift.end)
        else:
            spans.append(OncallSpan(person=shift.person, start=shift.start, end=shift.end))
    return spans


def shift_ends(maths: ScheduleMaths, *, after: datetime, until: datetime,
               reach: timedelta = MAX_PERIOD) -> list[ShiftEnd]:
    """Shifts that ended in (after, until], each with who handed over to whom.

    The maths look back `reach` before `after` for the start of the shift that ended (clipped
    there: a short reach finds the ends cheaply, with starts that are not to be trusted), and a
    minute past `until`, so that a shift running on past `until` is not read as ending at the
    edge of the window. `maths` must hold the overrides of that whole range."""
    spans = oncall_spans(maths, start=after - reach, end=until + timedelta(minutes=1))
    ends = []
    for i, span in enumerate(spans):
        if not after < span.end <= until:
            continue
        following = spans[i + 1] if i + 1 < len(spans) else None
        incoming = following.person if following and following.start == span.end else None
        ends.append(ShiftEnd(at=span.end, started_at=max(span.start, span.end - MAX_PERIOD), outgoing=span.person,
                             incoming=incoming))
    return ends


def last_shift_end(maths: ScheduleMaths, *, at: datetime) -> ShiftEnd | None:
    """The latest shift that ended at or before `at` (within MAX_PERIOD of it)."""
    ends = shift_ends(maths, after=at - MAX_PERIOD, until=at)
    return ends[-1] if ends else None


def span_at(maths: ScheduleMaths, *, at: datetime) -> OncallSpan | None:
    """The shift under way at `at`, from its start (at most MAX_PERIOD back) to `at`."""
    spans = oncall_spans(maths, start=at - MAX_PERIOD, end=at + timedelta(minutes=1))
    current = next((s for s in spans if s.start <= at < s.end), None)
    return current and OncallSpan(person=current.person, start=current.start, end=at)
