"""On-call rotation maths for Vigil: pure functions over plain values.

No Django, no ORM: layers, restrictions and overrides come in as frozen
dataclasses, instants go in and come out as aware UTC datetimes.

Model
-----
* A schedule is a list of :class:`LayerSpec` in priority order (a higher index
  wins) plus a list of :class:`OverrideSpec` (always win over every layer; when
  overrides overlap, the one later in the list wins).
* A layer's turn ``k`` goes to ``participants[k % len(participants)]``.
  Turn 0 starts at the first hand-off, ``start`` + ``handoff_time`` local;
  before that the layer has nobody.  From ``end`` (an instant) on it has
  nobody either.
* Turn length, DST:
  - ``"days"`` / ``"weeks"``: turn ``k`` starts at local date
    ``start + k * length`` at ``handoff_time`` wall-clock, so a 09:00
    hand-off stays at 09:00 local across DST and a turn may last 23 or 25
    real hours.
  - ``"hours"``: absolute elapsed time from the first hand-off, so a 12-hour
    rotation is always 12 real hours and its local hand-off time moves by an
    hour when DST changes.
* Wall-clock times that a DST change makes odd (see ``rotation_restrictions``):
  - a hand-off (or window edge) in a SKIPPED hour happens at the first instant
    after the gap: 02:30 on 2026-03-08 in America/New_York is 03:00 EDT
    (07:00 UTC); 02:30 on 2026-03-29 in Europe/Berlin is 03:00 CEST.
  - an AMBIGUOUS time (the repeated fall-back hour) means its FIRST occurrence
    (fold=0): 01:30 on 2026-11-01 in New York is 01:30 EDT (05:30 UTC).
* Restrictions: outside all of a layer's windows the layer has nobody.  The
  rotation keeps turning in time as if unrestricted: a window does not hand
  the shift to someone else, it only masks the turns that fall inside it.
  This keeps "who is on this week" predictable and computable by arithmetic.
* Result granularity: :func:`layer_shifts` returns one shift per turn (clipped
  to the windows); :func:`final_shifts` merges touching intervals with the
  same person and the same source.  :func:`oncall_at` returns that merged
  interval unclipped; its ``end`` is None when nothing ever ends it (e.g. a
  one-person layer without an end and nothing above it later on).

Everything is arithmetic on the turn index, never iteration from ``start``, so
a rotation that started years ago costs the same as a new one.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal, Union
from zoneinfo import ZoneInfo

from oncall.rotation_restrictions import (
    RestrictionSpec,
    is_unrestricted,
    last_window_end,
    next_window_start,
    resolve_local,
    window_run_at,
    windows_between,
)

__all__ = [
    "OVERRIDE", "LayerSpec", "OverrideSpec", "RestrictionSpec", "Shift",
    "final_shifts", "gaps", "layer_shifts", "oncall_at", "resolve_local", "uncovered",
]

PersonId = Union[str, int]
TurnUnit = Literal["hours", "days", "weeks"]
Source = Union[int, Literal["override"]]
OVERRIDE: Literal["override"] = "override"
_DAYS_PER_UNIT = {"days": 1, "weeks": 7}

# (person, start, end or None for "never ends") -- internal segment shape
_Segment = tuple[PersonId, datetime, "datetime | None"]


@dataclass(frozen=True)
class LayerSpec:
    """A rotation as the maths sees it: the value built from an `oncall.models.Layer` row."""
    participants: tuple[PersonId, ...]
    turn_length: int
    turn_unit: TurnUnit
    handoff_time: time
    start: date
    end: datetime | None = None
    restrictions: tuple[RestrictionSpec, ...] = ()

    def __post_init__(self) -> None:
        # Accept lists from callers but store tuples so layers stay hashable.
        object.__setattr__(self, "participants", tuple(self.participants))
        object.__setattr__(self, "restrictions", tuple(self.restrictions))
        if self.turn_unit not in ("hours", "days", "weeks"):
            raise ValueError(f"turn_unit must be hours, days or weeks, got {self.turn_unit!r}")
        if self.turn_length < 1:
            raise ValueError("turn_length must be at least 1")
        if self.handoff_time.tzinfo is not None:
            raise ValueError("handoff_time is local wall-clock time: no tzinfo")
        if self.end is not None:
            _utc(self.end, "end")


@dataclass(frozen=True)
class OverrideSpec:
    """Someone on call instead over [start, end): the value of an `oncall.models.Override` row."""
    person: PersonId
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if _utc(self.end, "end") <= _utc(self.start, "start"):
            raise ValueError("an override must end after it starts")


@dataclass(frozen=True)
class Shift:
    """Someone on call over ``[start, end)``.

    ``source`` is the layer index or ``"override"``.  ``end`` is None only in
    :func:`oncall_at` results whose shift never ends.
    """

    start: datetime
    end: datetime | None
    person: PersonId
    source: Source

    @property
    def is_override(self) -> bool:
        return self.source == OVERRIDE

    def covers(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    """min() where None means "never"."""
    return b if a is None else a if b is None else min(a, b)


class _LayerClock:
    """Point questions about one layer, answered from the turn index."""

    def __init__(self, layer: LayerSpec, zone: ZoneInfo) -> None:
        self.layer, self.zone = layer, zone
        self.people = layer.participants
        self.first = resolve_local(datetime.combine(layer.start, layer.handoff_time), zone)
        self.end = _utc(layer.end, "end") if layer.end is not None else None
        self.restricted = not is_unrestricted(layer.restrictions)
        if layer.turn_unit == "hours":
            self.hours = timedelta(hours=layer.turn_length)
        else:
            self.days = layer.turn_length * _DAYS_PER_UNIT[layer.turn_unit]

    def turn_start(self, k: int) -> datetime:
        if self.layer.turn_unit == "hours":
            return self.first + k * self.hours
        day = self.layer.start + timedelta(days=k * self.days)
        return resolve_local(datetime.combine(day, self.layer.handoff_time), self.zone)

    def turn_index(self, t: datetime) -> int:
        if self.layer.turn_unit == "hours":
            return (t - self.first) // self.hours
        k = (t.astimezone(self.zone).date() - self.layer.start).days // self.days
        # The local date is only a guess around hand-offs and DST: settle it.
        while k > 0 and t < self.turn_start(k):
            k -= 1
        while t >= self.turn_start(k + 1):
            k += 1
        return k

    def person(self, k: int) -> PersonId:
        return self.people[k % len(self.people)]

    def _live(self, t: datetime) -> bool:
        return bool(self.people) and self.first <= t and (self.end is None or t < self.end)

    def segment_at(self, t: datetime) -> _Segment | None:
        """Maximal stretch around ``t`` where this layer has the same person.

        It is the intersection of the restriction windows' run around ``t``
        with the run of consecutive turns that belong to the same person."""
        if not self._live(t):
            return None
        lo, hi = self.first, self.end
        if self.restricted:
            run = window_run_at(self.layer.restrictions, self.zone, t)
            if run is None:
                return None
            lo, hi = max(lo, run[0]), _earlier(hi, run[1])
        k = self.turn_index(t)
        who = self.person(k)
        if len(set(self.people)) > 1:  # otherwise the same person forever
            after = k + 1
            while self.person(after) == who:
                after += 1
            before = k
            while before > 0 and self.person(before - 1) == who:
                before -= 1
            lo, hi = max(lo, self.turn_start(before)), _earlier(hi, self.turn_start(after))
        return who, lo, hi

    def next_active(self, t: datetime) -> datetime | None:
        """Earliest instant at or after ``t`` when this layer has someone."""
        if not self.people:
            return None
        at = max(t, self.first)
        if self.restricted:
            at = next_window_start(self.layer.restrictions, self.zone, at)
        return at if self.end is None or at < self.end else None

    def last_active_end(self, t: datetime) -> datetime | None:
        """Latest ``x <= t`` such that this layer had someone just before ``x``."""
        until = _earlier(t, self.end)
        if not self.people or until <= self.first:
            return None
        if self.restricted:
            until = last_window_end(self.layer.restrictions, self.zone, until)
        return until if until is not None and until > self.first else None

    def live_windows(self, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
        """Where within ``[lo, hi)`` this layer has someone, whoever it is."""
        lo, hi = max(lo, self.first), _earlier(hi, self.end)
        if not self.people or lo >= hi:
            return []
        return windows_between(self.layer.restrictions, self.zone, lo, hi) if self.restricted else [(lo, hi)]

    def shifts(self, lo: datetime, hi: datetime, index: int) -> list[Shift]:
        out = []
        for opens, closes in self.live_windows(lo, hi):
            k, at = self.turn_index(opens), opens
            while at < closes:
                until = min(self.turn_start(k + 1), closes)
                out.append(Shift(start=at, end=until, person=self.person(k), source=index))
                at, k = until, k + 1
        return out


class _OverrideTrack:
    """All overrides flattened into disjoint pieces (later in the list wins)."""

    def __init__(self, overrides: list[OverrideSpec] | tuple[OverrideSpec, ...]) -> None:
        self.pieces = _flatten(overrides)
        self.starts = [piece[1] for piece in self.pieces]

    def segment_at(self, t: datetime) -> _Segment | None:
        i = bisect_right(self.starts, t) - 1
        return self.pieces[i] if i >= 0 and t < self.pieces[i][2] else None

    def next_active(self, t: datetime) -> datetime | None:
        if self.segment_at(t):
            return t
        i = bisect_right(self.starts, t)
        return self.starts[i] if i < len(self.starts) else None

    def last_active_end(self, t: datetime) -> datetime | None:
        i = bisect_left(self.starts, t) - 1
        return min(self.pieces[i][2], t) if i >= 0 else None

    def shifts(self, lo: datetime, hi: datetime) -> list[Shift]:
        return [
            Shift(start=max(s, lo), end=min(e, hi), person=who, source=OVERRIDE)
            for who, s, e in self.pieces
            if s < hi and e > lo
        ]


def _flatten(overrides) -> list[tuple[PersonId, datetime, datetime]]:
    """Sweep the overrides; a max-heap on list position picks the winner."""
    ranked = sorted(
        ((_utc(o.start, "start"), _utc(o.end, "end"), -i, o.person) for i, o in enumerate(overrides)),
        key=lambda row: row[0],
    )
    points = sorted({row[0] for row in ranked} | {row[1] for row in ranked})
    heap: list[tuple[int, datetime, PersonId]] = []
    pieces: list[tuple[PersonId, datetime, datetime]] = []
    j = 0
    for a, b in pairwise(points):
        while j < len(ranked) and ranked[j][0] <= a:
            heapq.heappush(heap, (ranked[j][2], ranked[j][1], ranked[j][3]))
            j += 1
        while heap and heap[0][1] <= a:  # lazily drop overrides that ended
            heapq.heappop(heap)
        if heap:
            who = heap[0][2]
            if pieces and pieces[-1][2] == a and pieces[-1][0] == who:
                pieces[-1] = (who, pieces[-1][1], b)
            else:
                pieces.append((who, a, b))
    return pieces


def layer_shifts(
    *, layer: LayerSpec, tz: ZoneInfo | str, start: datetime, end: datetime, layer_index: int = 0
) -> list[Shift]:
    """One layer's on-call intervals within ``[start, end)``: one per turn,
    cut to the restriction windows.  ``layer_index`` only labels ``source``."""
    clock = _LayerClock(layer, _zone(tz))
    return clock.shifts(_utc(start, "start"), _utc(end, "end"), layer_index)


def final_shifts(
    *, layers, overrides, tz: ZoneInfo | str, start: datetime, end: datetime
) -> list[Shift]:
    """The schedule within ``[start, end)``: sorted, non-overlapping, touching
    intervals with the same person and source merged, gaps left out."""
    zone, lo, hi = _zone(tz), _utc(start, "start"), _utc(end, "end")
    tracks = [_OverrideTrack(overrides).shifts(lo, hi)]
    for index in reversed(range(len(layers))):
        tracks.append(_LayerClock(layers[index], zone).shifts(lo, hi, index))
    return _overlay(tracks)


def _overlay(tracks: list[list[Shift]]) -> list[Shift]:
    """Paint tracks (highest priority first) onto each other and merge."""
    points = sorted({s.start for track in tracks for s in track} | {s.end for track in tracks for s in track})
    cursor = [0] * len(tracks)
    out: list[Shift] = []
    for a, b in pairwise(points):
        for n, track in enumerate(tracks):
            while cursor[n] < len(track) and track[cursor[n]].end <= a:
                cursor[n] += 1
            if cursor[n] < len(track) and track[cursor[n]].start <= a:
                top = track[cursor[n]]
                break
        else:
            continue  # nobody at all: a gap
        last = out[-1] if out else None
        if last and last.end == a and (last.person, last.source) == (top.person, top.source):
            out[-1] = Shift(start=last.start, end=b, person=top.person, source=top.source)
        else:
            out.append(Shift(start=a, end=b, person=top.person, source=top.source))
    return out


def oncall_at(*, layers, overrides, tz: ZoneInfo | str, at: datetime) -> Shift | None:
    """The final-schedule interval containing ``at`` (unclipped), or None.

    Cost is O(#layers + #overrides log #overrides): the winner is the highest
    source with someone at ``at``; its interval ends where its own person
    changes or where any higher source next has someone, and starts likewise.
    """
    zone, at = _zone(tz), _utc(at, "at")
    tracks = [(OVERRIDE, _OverrideTrack(overrides))]
    tracks += [(i, _LayerClock(layers[i], zone)) for i in reversed(range(len(layers)))]
    for rank, (source, track) in enumerate(tracks):
        segment = track.segment_at(at)
        if segment is not None:
            break
    else:
        return None
    who, lo, hi = segment
    for _, higher in tracks[:rank]:  # all of them have nobody at `at`
        hi = _earlier(hi, higher.next_active(at))
        lo = max(lo, higher.last_active_end(at) or lo)
    return Shift(start=lo, end=hi, person=who, source=source)


def gaps(*, shifts, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Stretches of ``[start, end)`` that no shift covers."""
    cursor, end = _utc(start, "start"), _utc(end, "end")
    out = []
    for shift in sorted(shifts, key=lambda s: s.start):
        if shift.start >= end:
            break
        if shift.start > cursor:
            out.append((cursor, shift.start))
        cursor = end if shift.end is None else max(cursor, shift.end)
        if cursor >= end:
            return out
    if cursor < end:
        out.append((cursor, end))
    return out


def uncovered(*, layers, overrides, tz: ZoneInfo | str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``gaps(final_shifts(...))`` without working out who is on call: only where each layer has
    someone (its restriction windows while it runs) and the overrides count, not its turns."""
    zone, lo, hi = _zone(tz), _utc(start, "start"), _utc(end, "end")
    spans = [(max(s, lo), min(e, hi)) for _, s, e in _flatten(overrides) if s < hi and e > lo]
    for layer in layers:
        spans += _LayerClock(layer, zone).live_windows(lo, hi)
    out, cursor = [], lo
    for opens, closes in sorted(spans):
        if opens > cursor:
            out.append((cursor, opens))
        cursor = max(cursor, closes)
    if cursor < hi:
        out.append((cursor, hi))
    return out
