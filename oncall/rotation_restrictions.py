"""Local wall-clock resolution and restriction windows for ``oncall.rotation``.

Everything a person configures (hand-off times, restriction windows) is local
wall-clock time in the schedule's zone.  The single place where such a wall
time becomes a UTC instant is :func:`resolve_local`, so every DST decision is
made once, consistently:

* ambiguous wall time (fall-back, the hour happens twice): the FIRST
  occurrence (``fold=0``);
* skipped wall time (spring-forward gap): the first instant after the gap,
  i.e. the transition itself (02:30 on a 02:00->03:00 night becomes 03:00).

Both rules make the mapping monotonic (a later wall time never gives an
earlier instant), so restriction windows and rotation turns never run
backwards; a window lying wholly inside a gap simply becomes empty.

Pure Python: no Django, no ORM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

__all__ = ["RestrictionSpec", "resolve_local", "is_unrestricted"]

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
_ZERO = timedelta(0)
_SECOND = timedelta(seconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Window = tuple[datetime, datetime]


def resolve_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """Return the UTC instant at which the wall clock in ``zone`` shows ``naive``.

    See the module docstring for the ambiguous / skipped time rules.
    """
    local = naive.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    # Reading the instant back with another offset means `naive` was skipped.
    if instant.astimezone(zone).utcoffset() == local.utcoffset():
        return instant
    return _end_of_gap(naive, zone)


def _end_of_gap(naive: datetime, zone: ZoneInfo) -> datetime:
    """The transition instant of the gap containing the skipped ``naive``."""
    # fold=1 reads `naive` with the post-gap offset (an instant before the
    # transition), fold=0 with the pre-gap offset (an instant after it).
    # tzdata transitions fall on whole seconds, so bisect on seconds.
    early = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    late = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    lo = (min(early, late) - _EPOCH) // _SECOND
    hi = -((_EPOCH - max(early, late)) // _SECOND)  # ceiling
    before = _offset_at(lo, zone)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset_at(mid, zone) == before:
            lo = mid
        else:
            hi = mid
    return _EPOCH + hi * _SECOND


def _offset_at(seconds: int, zone: ZoneInfo) -> timedelta | None:
    return (_EPOCH + seconds * _SECOND).astimezone(zone).utcoffset()


def _clock(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


@dataclass(frozen=True)
class RestrictionSpec:
    """A recurring local-time window in which a layer may have someone on call.

    Daily (``start_weekday``/``end_weekday`` None): every day from ``start``
    to ``end``; ``end <= start`` crosses midnight, ``end == start`` is the
    whole day.  Weekly (weekdays 0=Monday..6=Sunday): from ``start_weekday``
    ``start`` to ``end_weekday`` ``end``; an end at or before the start wraps
    past Sunday, and an identical end is the whole week.
    """

    start: time
    end: time
    start_weekday: int | None = None
    end_weekday: int | None = None

    def __post_init__(self) -> None:
        if (self.start_weekday is None) != (self.end_weekday is None):
            raise ValueError("give both weekdays (weekly window) or neither (daily window)")
        for day in (self.start_weekday, self.end_weekday):
            if day is not None and not 0 <= day <= 6:
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {day}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("restriction times are local wall-clock times: no tzinfo")

    @classmethod
    def daily(cls, start: time, end: time) -> RestrictionSpec:
        return cls(start=start, end=end)

    @classmethod
    def weekly(cls, start_weekday: int, start: time, end_weekday: int, end: time) -> RestrictionSpec:
        return cls(start=start, end=end, start_weekday=start_weekday, end_weekday=end_weekday)

    @cached_property  # hot in window maths; the dataclass is frozen
    def period(self) -> timedelta:
        return DAY if self.start_weekday is None else WEEK

    @cached_property
    def offset(self) -> timedelta:
        """Where the window opens, measured from midnight / Monday midnight."""
        return (self.start_weekday or 0) * DAY + _clock(self.start)

    @cached_property
    def span(self) -> timedelta:
        """Nominal (wall-clock) length of the window, in (0, period]."""
        closes = (self.end_weekday or 0) * DAY + _clock(self.end)
        return (closes - self.offset) % self.period or self.period


@lru_cache(maxsize=4096)
def is_unrestricted(restrictions: tuple[RestrictionSpec, ...]) -> bool:
    """True when the windows together cover all of the week (or there are none)."""
    if not restrictions:
        return True
    pieces: list[tuple[timedelta, timedelta]] = []
    for r in restrictions:
        for day in range(7 if r.period == DAY else 1):  # a daily window = 7 weekly ones
            opens = r.offset + day * DAY
            closes = opens + r.span
            pieces.append((opens, min(closes, WEEK)))
            if closes > WEEK:
                pieces.append((_ZERO, closes - WEEK))
    reach = _ZERO
    for opens, closes in sorted(pieces):
        if opens > reach:
            return False
        reach = max(reach, closes)
    return reach >= WEEK


def _anchor(r: RestrictionSpec, zone: ZoneInfo, t: datetime) -> date:
    """Local date of the day (or Monday) whose window period contains ``t``."""
    day = t.astimezone(zone).date()
    return day if r.period == DAY else day - timedelta(days=day.weekday())


def _window(r: RestrictionSpec, zone: ZoneInfo, anchor: date) -> Window:
    opens = datetime.combine(anchor, time()) + r.offset
    return resolve_local(opens, zone), resolve_local(opens + r.span, zone)


def _windows_near(restrictions: tuple[RestrictionSpec, ...], zone: ZoneInfo, t: datetime) -> list[Window]:
    """Non-empty windows of the periods around ``t``: two before, two after.

    A window spans at most one period, and DST shifts instants by hours, so
    any window containing, ending just before or starting just after ``t``
    is among these.
    """
    found = []
    for r in restrictions:
        anchor = _anchor(r, zone, t)
        for k in range(-2, 3):
            opens, closes = _window(r, zone, anchor + k * r.period)
            if opens < closes:
                found.append((opens, closes))
    return found


def merge(spans: list[Window]) -> list[Window]:
    """Union of half-open spans; touching spans are joined."""
    out: list[Window] = []
    for opens, closes in sorted(spans):
        if out and opens <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], closes))
        else:
            out.append((opens, closes))
    return out


def windows_between(restrictions: tuple[RestrictionSpec, ...], zone: ZoneInfo, lo: datetime, hi: datetime) -> list[Window]:
    """The union of all windows, clipped to ``[lo, hi)``."""
    spans = []
    for r in restrictions:
        anchor, last = _anchor(r, zone, lo) - r.period, _anchor(r, zone, hi) + r.period
        while anchor <= last:
            opens, closes = _window(r, zone, anchor)
            if opens < hi and closes > lo and opens < closes:
                spans.append((max(opens, lo), min(closes, hi)))
            anchor += r.period
    return merge(spans)


def window_run_at(restrictions: tuple[RestrictionSpec, ...], zone: ZoneInfo, t: datetime) -> Window | None:
    """The maximal stretch of the windows' union that contains ``t``, or None.

    Callers must first rule out :func:`is_unrestricted` restrictions, whose
    union never ends; otherwise a chain of touching windows stops within a
    week or two (only a DST gap can swallow the break between two windows).
    """
    containing = [w for w in _windows_near(restrictions, zone, t) if w[0] <= t < w[1]]
    if not containing:
        return None
    lo, hi = min(w[0] for w in containing), max(w[1] for w in containing)
    while later := [c for o, c in _windows_near(restrictions, zone, hi) if o <= hi < c]:
        hi = max(later)
    while earlier := [o for o, c in _windows_near(restrictions, zone, lo) if o < lo <= c]:
        lo = min(earlier)
    return lo, hi


def next_window_start(restrictions: tuple[RestrictionSpec, ...], zone: ZoneInfo, t: datetime) -> datetime:
    """Earliest instant at or after ``t`` that lies inside some window."""
    return min(max(o, t) for o, c in _windows_near(restrictions, zone, t) if c > t)


def last_window_end(restrictions: tuple[RestrictionSpec, ...], zone: ZoneInfo, t: datetime) -> datetime | None:
    """Latest instant ``x <= t`` such that a window covers the moment just before ``x``."""
    ends = [min(c, t) for o, c in _windows_near(restrictions, zone, t) if o < t]
    return max(ends, default=None)
