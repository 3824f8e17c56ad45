"""Behaviour and property tests for oncall.rotation (pure Python, no Django)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from random import Random
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall.rotation import (
    OVERRIDE,
    LayerSpec,
    OverrideSpec,
    RestrictionSpec,
    Shift,
    final_shifts,
    gaps,
    layer_shifts,
    oncall_at,
    resolve_local,
    uncovered,
)

NY = "America/New_York"
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def daily(people=("ann", "bob", "cy"), start=date(2026, 1, 5), **kw) -> LayerSpec:
    return LayerSpec(participants=people, turn_length=1, turn_unit="days",
                 handoff_time=kw.pop("handoff", time(9)), start=start, **kw)


def who(layers, at, overrides=(), tz="UTC"):
    shift = oncall_at(layers=layers, overrides=list(overrides), tz=tz, at=at)
    return shift.person if shift else None


# --------------------------------------------------------------------------- basics


def test_daily_rotation_hands_off_in_participant_order():
    layer = daily()
    assert [who([layer], utc(2026, 1, d, 12)) for d in (5, 6, 7, 8)] == ["ann", "bob", "cy", "ann"]


def test_handoff_happens_exactly_at_handoff_time():
    layer = daily()
    assert who([layer], utc(2026, 1, 6, 8, 59, 59)) == "ann"
    assert who([layer], utc(2026, 1, 6, 9)) == "bob"


def test_multi_day_and_weekly_turns_last_their_length():
    three_days = LayerSpec(participants=("a", "b"), turn_length=3, turn_unit="days",
                       handoff_time=time(0), start=date(2026, 1, 1))
    weekly = LayerSpec(participants=("a", "b"), turn_length=1, turn_unit="weeks",
                   handoff_time=time(10), start=date(2026, 1, 5))
    shifts = layer_shifts(layer=three_days, tz="UTC", start=utc(2026, 1, 1), end=utc(2026, 1, 10))
    assert [(s.start.day, s.end.day, s.person) for s in shifts] == [(1, 4, "a"), (4, 7, "b"), (7, 10, "a")]
    shifts = layer_shifts(layer=weekly, tz="UTC", start=utc(2026, 1, 5), end=utc(2026, 1, 26))
    assert [s.start for s in shifts] == [utc(2026, 1, 5, 10), utc(2026, 1, 12, 10), utc(2026, 1, 19, 10)]
    assert [s.person for s in shifts] == ["a", "b", "a"]


def test_hours_rotation_turns_every_n_hours():
    layer = LayerSpec(participants=("a", "b", "c"), turn_length=8, turn_unit="hours",
                  handoff_time=time(6), start=date(2026, 2, 1))
    shifts = layer_shifts(layer=layer, tz="UTC", start=utc(2026, 2, 1), end=utc(2026, 2, 2))
    assert [(s.start.hour, s.person) for s in shifts] == [(6, "a"), (14, "b"), (22, "c")]


def test_nobody_on_call_before_layer_start():
    layer = daily(start=date(2026, 3, 1))
    assert who([layer], utc(2026, 3, 1, 8, 59)) is None
    assert who([layer], utc(2026, 3, 1, 9)) == "ann"
    shifts = final_shifts(layers=[layer], overrides=[], tz="UTC", start=utc(2026, 2, 20), end=utc(2026, 3, 2))
    assert shifts[0].start == utc(2026, 3, 1, 9)


def test_nobody_on_call_from_layer_end():
    layer = daily(end=utc(2026, 1, 7, 15))
    assert who([layer], utc(2026, 1, 7, 14, 59)) == "cy"
    assert who([layer], utc(2026, 1, 7, 15)) is None
    shifts = layer_shifts(layer=layer, tz="UTC", start=utc(2026, 1, 7), end=utc(2026, 1, 9))
    assert shifts[-1].end == utc(2026, 1, 7, 15)


def test_layer_without_participants_has_nobody():
    empty = daily(people=())
    assert who([empty], utc(2026, 2, 1)) is None
    assert layer_shifts(layer=empty, tz="UTC", start=utc(2026, 2, 1), end=utc(2026, 2, 9)) == []


def test_rotation_started_years_ago_is_answered_fast_path():
    layer = LayerSpec(participants=("a", "b", "c"), turn_length=1, turn_unit="weeks",
                  handoff_time=time(9), start=date(2001, 1, 1), restrictions=(RestrictionSpec.daily(time(8), time(20)),))
    # 2001-01-01 and 2040-01-02 are both Mondays; 2040-01-02 is week 2052 since.
    weeks = (date(2040, 1, 2) - date(2001, 1, 1)).days // 7
    at = datetime(2040, 1, 3, 12, tzinfo=ZoneInfo(NY))
    shift = oncall_at(layers=[layer], overrides=[], tz=NY, at=at)
    assert shift.person == "abc"[weeks % 3]
    assert shift.start == datetime(2040, 1, 3, 8, tzinfo=ZoneInfo(NY))
    assert shift.end == datetime(2040, 1, 3, 20, tzinfo=ZoneInfo(NY))


def test_timezone_may_be_given_as_string_or_zoneinfo():
    layer = daily()
    at = utc(2026, 1, 6, 14, 30)
    assert oncall_at(layers=[layer], overrides=[], tz=NY, at=at) == \
        oncall_at(layers=[layer], overrides=[], tz=ZoneInfo(NY), at=at)


def test_results_are_utc_even_for_other_aware_inputs():
    berlin = ZoneInfo("Europe/Berlin")
    shifts = final_shifts(layers=[daily()], overrides=[], tz=NY,
                          start=datetime(2026, 1, 6, tzinfo=berlin), end=datetime(2026, 1, 8, tzinfo=berlin))
    assert all(s.start.tzinfo is UTC and s.end.tzinfo is UTC for s in shifts)


def test_override_must_end_after_it_starts():
    with pytest.raises(ValueError):
        OverrideSpec(person="x", start=utc(2026, 1, 2), end=utc(2026, 1, 2))


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError):
        oncall_at(layers=[daily()], overrides=[], tz="UTC", at=datetime(2026, 1, 6))
    with pytest.raises(ValueError):
        OverrideSpec(person="x", start=datetime(2026, 1, 1), end=utc(2026, 1, 2))


@pytest.mark.parametrize("bad", [{"turn_length": 0}, {"turn_unit": "months"}, {"handoff_time": time(9, tzinfo=UTC)}])
def test_invalid_layers_are_rejected(bad):
    fields = dict(participants=("a",), turn_length=1, turn_unit="days", handoff_time=time(9), start=date(2026, 1, 1))
    with pytest.raises(ValueError):
        LayerSpec(**(fields | bad))


def test_restriction_needs_both_weekdays_or_neither():
    with pytest.raises(ValueError):
        RestrictionSpec(start=time(9), end=time(17), start_weekday=MON)
    with pytest.raises(ValueError):
        RestrictionSpec.weekly(7, time(9), MON, time(17))


# --------------------------------------------------------------------------- layers


def test_higher_layer_wins_where_it_has_someone():
    base = daily(people=("ann",))
    business_hours = daily(people=("zed",), restrictions=(RestrictionSpec.daily(time(9), time(17)),))
    shifts = final_shifts(layers=[base, business_hours], overrides=[], tz="UTC",
                          start=utc(2026, 1, 6), end=utc(2026, 1, 7))
    assert [(s.start.hour, s.end.hour, s.person, s.source) for s in shifts] == [
        (0, 9, "ann", 0), (9, 17, "zed", 1), (17, 0, "ann", 0)]


def test_lower_layer_is_hidden_while_higher_layer_has_someone():
    base = daily(people=("ann",))
    top = daily(people=("zed",))
    assert who([base, top], utc(2026, 1, 6, 3)) == "zed"
    assert who([top, base], utc(2026, 1, 6, 3)) == "ann"


def test_adjacent_turns_of_same_person_are_merged_in_final_schedule():
    layer = daily(people=("ann", "ann", "bob"))
    shifts = final_shifts(layers=[layer], overrides=[], tz="UTC", start=utc(2026, 1, 5, 9), end=utc(2026, 1, 9, 9))
    assert [(s.start.day, s.end.day, s.person) for s in shifts] == [(5, 7, "ann"), (7, 8, "bob"), (8, 9, "ann")]
    assert oncall_at(layers=[layer], overrides=[], tz="UTC", at=utc(2026, 1, 6)) == \
        Shift(start=utc(2026, 1, 5, 9), end=utc(2026, 1, 7, 9), person="ann", source=0)


def test_same_person_from_different_sources_is_not_merged():
    base = daily(people=("ann",))
    top = daily(people=("ann",), restrictions=(RestrictionSpec.daily(time(9), time(17)),))
    shifts = final_shifts(layers=[base, top], overrides=[], tz="UTC", start=utc(2026, 1, 6), end=utc(2026, 1, 7))
    assert [s.source for s in shifts] == [0, 1, 0]


def test_single_person_layer_has_open_ended_shift():
    shift = oncall_at(layers=[daily(people=("ann",))], overrides=[], tz="UTC", at=utc(2030, 1, 1))
    assert shift == Shift(start=utc(2026, 1, 5, 9), end=None, person="ann", source=0)
    assert shift.covers(utc(2099, 1, 1)) and not shift.covers(utc(2026, 1, 5, 8))


# --------------------------------------------------------------------------- restrictions


def test_weekly_restriction_mon_9_to_fri_17():
    layer = daily(restrictions=(RestrictionSpec.weekly(MON, time(9), FRI, time(17)),))
    shifts = final_shifts(layers=[layer], overrides=[], tz="UTC", start=utc(2026, 1, 5), end=utc(2026, 1, 13))
    assert shifts[0].start == utc(2026, 1, 5, 9)  # Monday
    assert shifts[-2].end == utc(2026, 1, 9, 17)  # Friday
    assert shifts[-1].start == utc(2026, 1, 12, 9)  # next Monday
    assert who([layer], utc(2026, 1, 10, 12)) is None  # Saturday


def test_weekly_restriction_may_wrap_the_week():
    weekend = RestrictionSpec.weekly(FRI, time(18), MON, time(8))
    layer = daily(people=("ann",), restrictions=(weekend,))
    shift = oncall_at(layers=[layer], overrides=[], tz="UTC", at=utc(2026, 1, 11, 12))  # Sunday
    assert (shift.start, shift.end) == (utc(2026, 1, 9, 18), utc(2026, 1, 12, 8))
    assert who([layer], utc(2026, 1, 12, 9)) is None


def test_daily_restriction_crossing_midnight():
    nights = RestrictionSpec.daily(time(22), time(6))
    layer = daily(people=("ann",), handoff=time(0), restrictions=(nights,))
    assert who([layer], utc(2026, 1, 6, 23)) == "ann"
    assert who([layer], utc(2026, 1, 7, 5, 59)) == "ann"
    assert who([layer], utc(2026, 1, 7, 6)) is None
    shifts = layer_shifts(layer=layer, tz="UTC", start=utc(2026, 1, 6, 12), end=utc(2026, 1, 8, 12))
    assert [(s.start, s.end) for s in shifts] == [
        (utc(2026, 1, 6, 22), utc(2026, 1, 7)), (utc(2026, 1, 7), utc(2026, 1, 7, 6)),
        (utc(2026, 1, 7, 22), utc(2026, 1, 8)), (utc(2026, 1, 8), utc(2026, 1, 8, 6))]


def test_restriction_masks_turns_instead_of_passing_them_on():
    # bob's turn (Jan 6) falls outside Mon-only window: nobody, not cy early.
    monday_only = RestrictionSpec.weekly(MON, time(0), TUE, time(0))
    layer = daily(handoff=time(0), restrictions=(monday_only,))
    assert who([layer], utc(2026, 1, 5, 12)) == "ann"
    assert who([layer], utc(2026, 1, 6, 12)) is None
    assert who([layer], utc(2026, 1, 12, 12)) == "bob"  # 7 turns later


def test_equal_start_and_end_means_the_whole_day():
    layer = daily(people=("ann",), restrictions=(RestrictionSpec.daily(time(9), time(9)),))
    assert oncall_at(layers=[layer], overrides=[], tz="UTC", at=utc(2027, 5, 5)).end is None


def test_restrictions_covering_the_week_together_mean_always():
    halves = (RestrictionSpec.weekly(MON, time(0), THU, time(12)), RestrictionSpec.weekly(THU, time(12), MON, time(0)))
    layer = daily(people=("ann",), restrictions=halves)
    assert oncall_at(layers=[layer], overrides=[], tz="UTC", at=utc(2027, 5, 5)).end is None


def test_overlapping_restrictions_form_one_window():
    overlapping = (RestrictionSpec.daily(time(8), time(12)), RestrictionSpec.daily(time(10), time(14)))
    layer = daily(people=("ann",), restrictions=overlapping)
    shift = oncall_at(layers=[layer], overrides=[], tz="UTC", at=utc(2026, 1, 6, 9))
    assert (shift.start, shift.end) == (utc(2026, 1, 6, 8), utc(2026, 1, 6, 14))


# --------------------------------------------------------------------------- overrides


def test_override_wins_over_all_layers():
    layers = [daily(), daily(people=("zed",))]
    override = OverrideSpec(person="ovi", start=utc(2026, 1, 6, 10), end=utc(2026, 1, 6, 12))
    shift = oncall_at(layers=layers, overrides=[override], tz="UTC", at=utc(2026, 1, 6, 11))
    assert shift == Shift(start=utc(2026, 1, 6, 10), end=utc(2026, 1, 6, 12), person="ovi", source=OVERRIDE)
    assert shift.is_override
    assert who(layers, utc(2026, 1, 6, 12), [override]) == "zed"


def test_later_override_wins_when_overrides_overlap():
    long = OverrideSpec(person="a", start=utc(2026, 1, 6, 0), end=utc(2026, 1, 6, 10))
    short = OverrideSpec(person="b", start=utc(2026, 1, 6, 4), end=utc(2026, 1, 6, 6))
    shifts = final_shifts(layers=[], overrides=[long, short], tz="UTC", start=utc(2026, 1, 5), end=utc(2026, 1, 7))
    assert [(s.start.hour, s.end.hour, s.person) for s in shifts] == [(0, 4, "a"), (4, 6, "b"), (6, 10, "a")]
    shifts = final_shifts(layers=[], overrides=[short, long], tz="UTC", start=utc(2026, 1, 5), end=utc(2026, 1, 7))
    assert [(s.start.hour, s.end.hour, s.person) for s in shifts] == [(0, 10, "a")]


def test_override_fills_a_gap_and_touching_overrides_of_one_person_merge():
    overrides = [OverrideSpec(person="a", start=utc(2026, 1, 6, 1), end=utc(2026, 1, 6, 2)),
                 OverrideSpec(person="a", start=utc(2026, 1, 6, 2), end=utc(2026, 1, 6, 3))]
    assert oncall_at(layers=[], overrides=overrides, tz="UTC", at=utc(2026, 1, 6, 1, 30)) == \
        Shift(start=utc(2026, 1, 6, 1), end=utc(2026, 1, 6, 3), person="a", source=OVERRIDE)


def test_layer_shift_resumes_around_an_override():
    layer = daily(people=("ann",))
    override = OverrideSpec(person="ovi", start=utc(2026, 1, 6, 10), end=utc(2026, 1, 6, 12))
    before = oncall_at(layers=[layer], overrides=[override], tz="UTC", at=utc(2026, 1, 6, 9))
    after = oncall_at(layers=[layer], overrides=[override], tz="UTC", at=utc(2026, 1, 6, 12))
    assert (before.start, before.end) == (utc(2026, 1, 5, 9), utc(2026, 1, 6, 10))
    assert (after.start, after.end) == (utc(2026, 1, 6, 12), None)


# --------------------------------------------------------------------------- gaps


def test_oncall_at_returns_none_in_a_gap():
    layer = daily(restrictions=(RestrictionSpec.daily(time(9), time(17)),))
    assert oncall_at(layers=[layer], overrides=[], tz="UTC", at=utc(2026, 1, 6, 20)) is None


def test_gaps_lists_the_uncovered_stretches():
    layer = daily(restrictions=(RestrictionSpec.daily(time(9), time(17)),))
    start, end = utc(2026, 1, 6), utc(2026, 1, 8)
    shifts = final_shifts(layers=[layer], overrides=[], tz="UTC", start=start, end=end)
    assert gaps(shifts=shifts, start=start, end=end) == [
        (utc(2026, 1, 6), utc(2026, 1, 6, 9)), (utc(2026, 1, 6, 17), utc(2026, 1, 7, 9)),
        (utc(2026, 1, 7, 17), utc(2026, 1, 8))]
    assert gaps(shifts=[], start=start, end=end) == [(start, end)]
    open_ended = Shift(start=utc(2026, 1, 7), end=None, person="a", source=0)
    assert gaps(shifts=[open_ended], start=start, end=end) == [(start, utc(2026, 1, 7))]


# --------------------------------------------------------------------------- properties

# Each zone with instants of its own 2026 DST changes, so that schedules
# often straddle one (Lord Howe shifts by 30 minutes).
PIVOTS = {
    "America/New_York": [utc(2026, 3, 8, 7), utc(2026, 11, 1, 6)],
    "Europe/Berlin": [utc(2026, 3, 29, 1), utc(2026, 10, 25, 1)],
    "Australia/Lord_Howe": [utc(2026, 4, 4, 15), utc(2026, 10, 3, 15, 30)],
    "Asia/Kolkata": [utc(2026, 3, 8, 7), utc(2026, 10, 25, 1)],
    "UTC": [utc(2026, 3, 8, 7), utc(2026, 10, 25, 1)],
}
PEOPLE = ["ann", "bob", 7]  # few, so the same person often has consecutive turns
AROUND_DST_CHANGE = (-61, -60, -31, -30, -1, 0, 1, 15, 29, 30, 31, 59, 60, 61, 90, 121)
LENGTHS = {"hours": st.integers(1, 36), "days": st.integers(1, 4), "weeks": st.integers(1, 2)}
# Hours 1-3 are drawn often: that is where the DST gaps and repeated hours are.
quarter_times = st.builds(time, st.integers(0, 23) | st.integers(1, 3), st.sampled_from([0, 15, 30, 45]))


def minutes(lo, hi):
    return st.integers(lo, hi).map(lambda m: timedelta(minutes=m))


restrictions = st.one_of(
    st.builds(RestrictionSpec.daily, quarter_times, quarter_times),
    st.builds(RestrictionSpec.weekly, st.integers(0, 6), quarter_times, st.integers(0, 6), quarter_times),
)


@st.composite
def layers_near(draw, pivot):
    unit = draw(st.sampled_from(["hours", "days", "weeks"]))
    days_back = draw(st.one_of(st.integers(-12, 40), st.integers(0, 3000)))
    end = draw(st.none() | minutes(-3 * 1440, 30 * 1440).map(lambda d: pivot + d))
    return LayerSpec(participants=tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=5))),
                 turn_length=draw(LENGTHS[unit]), turn_unit=unit, handoff_time=draw(quarter_times),
                 start=pivot.date() - timedelta(days=days_back), end=end,
                 restrictions=tuple(draw(st.lists(restrictions, max_size=2))))


@st.composite
def schedules(draw):
    tz = draw(st.sampled_from(sorted(PIVOTS)))
    pivot = draw(st.sampled_from(PIVOTS[tz]))
    start = pivot + draw(minutes(-10 * 1440, 2 * 1440))
    end = start + draw(minutes(60, 21 * 1440))
    overrides = draw(st.lists(st.builds(
        lambda person, at, length: OverrideSpec(person=person, start=start + at, end=start + at + length),
        st.sampled_from(PEOPLE + ["ovi"]), minutes(-1440, 22 * 1440), minutes(15, 3 * 1440)), max_size=4))
    return dict(layers=draw(st.lists(layers_near(pivot), min_size=1, max_size=4)), overrides=overrides,
                tz=tz, start=start, end=end), Sampler(draw(st.randoms(use_true_random=False)), pivot)


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TINY = timedelta(microseconds=1)


@dataclass
class Sampler:
    rnd: Random
    pivot: datetime  # a DST change of the schedule's zone

    def instants(self, sched, shifts, k=40):
        """Boundaries (and the instant before them), random instants in range
        and random instants within three hours of the DST change."""
        lo, hi, rnd = sched["start"], sched["end"], self.rnd
        edges = {s.start for s in shifts} | {s.end for s in shifts}
        edges |= {o.start for o in sched["overrides"]} | {o.end for o in sched["overrides"]}
        points = sorted(edges | {e - TINY for e in edges})
        points = rnd.sample(points, min(k, len(points)))
        points += [lo + (hi - lo) * rnd.random() for _ in range(k // 4)]
        points += [self.pivot + timedelta(minutes=rnd.uniform(-180, 180)) for _ in range(k // 4)]
        points += [self.pivot + timedelta(minutes=m) for m in AROUND_DST_CHANGE]
        return [p for p in points if lo <= p < hi]


def covering(shifts, t):
    i = bisect_right([s.start for s in shifts], t) - 1
    return shifts[i] if i >= 0 and t < shifts[i].end else None


def all_layer_shifts(sched):
    return [layer_shifts(layer=layer, tz=sched["tz"], start=sched["start"], end=sched["end"], layer_index=i)
            for i, layer in enumerate(sched["layers"])]


@PROPERTY
@given(schedules())
def test_final_schedule_is_sorted_non_overlapping_and_merged(drawn):
    sched, _ = drawn
    final = final_shifts(**sched)
    for shift in final:
        assert sched["start"] <= shift.start < shift.end <= sched["end"]
    for a, b in pairwise(final):
        assert a.end <= b.start
        assert a.end < b.start or (a.person, a.source) != (b.person, b.source)


@PROPERTY
@given(schedules())
def test_an_override_always_wins_and_the_later_one_wins_overlaps(drawn):
    sched, sampler = drawn
    final = final_shifts(**sched)
    for t in sampler.instants(sched, final):
        inside = [o for o in sched["overrides"] if o.start <= t < o.end]
        if inside:
            shift = covering(final, t)
            assert (shift.person, shift.source) == (inside[-1].person, OVERRIDE)


@PROPERTY
@given(schedules())
def test_final_schedule_shows_highest_layer_with_someone_and_gaps_elsewhere(drawn):
    sched, sampler = drawn
    per_layer = all_layer_shifts(sched)
    final = final_shifts(**sched)
    holes = gaps(shifts=final, start=sched["start"], end=sched["end"])
    for t in sampler.instants(sched, [s for shifts in per_layer for s in shifts] + final):
        inside = [o for o in sched["overrides"] if o.start <= t < o.end]
        layered = [(s.person, s.source) for shifts in per_layer if (s := covering(shifts, t))]
        expected = (inside[-1].person, OVERRIDE) if inside else (layered[-1] if layered else None)
        shift = covering(final, t)
        assert (shift and (shift.person, shift.source)) == expected
        assert any(a <= t < b for a, b in holes) == (expected is None)


@PROPERTY
@given(schedules())
def test_uncovered_stretches_are_the_gaps_of_the_final_schedule(drawn):
    sched, _sampler = drawn
    assert uncovered(**sched) == gaps(shifts=final_shifts(**sched), start=sched["start"], end=sched["end"])


@PROPERTY
@given(schedules())
def test_oncall_at_equals_the_final_interval_containing_the_instant(drawn):
    sched, sampler = drawn
    final = final_shifts(**sched)
    lo, hi = sched.pop("start"), sched.pop("end")
    for t in sampler.instants(dict(sched, start=lo, end=hi), final):
        got = oncall_at(**sched, at=t)
        expected = covering(final, t)
        if expected is None:
            assert got is None
        else:
            clipped = Shift(start=max(got.start, lo), end=hi if got.end is None else min(got.end, hi),
                            person=got.person, source=got.source)
            assert clipped == expected


def in_wall_window(r: RestrictionSpec, wall: datetime) -> bool:
    """Independent check of a restriction, on the local wall clock."""
    def position(weekday, clock: time) -> timedelta:
        return timedelta(days=weekday or 0, hours=clock.hour, minutes=clock.minute,
                         seconds=clock.second, microseconds=clock.microsecond)

    weekly = r.start_weekday is not None
    pos = position(wall.weekday() if weekly else 0, wall.time())
    opens, closes = position(r.start_weekday, r.start), position(r.end_weekday, r.end)
    if opens == closes:
        return True
    return opens <= pos < closes if opens < closes else (pos >= opens or pos < closes)


def wall_clock_person(layer: LayerSpec, zone: ZoneInfo, t: datetime):
    """Who the layer has at t, worked out from the local wall clock.

    Valid for instants that are not the second pass of a repeated hour."""
    wall = t.astimezone(zone).replace(tzinfo=None)
    if wall < datetime.combine(layer.start, layer.handoff_time) or (layer.end and t >= layer.end):
        return None
    if layer.restrictions and not any(in_wall_window(r, wall) for r in layer.restrictions):
        return None
    if layer.turn_unit == "hours":
        first = resolve_local(datetime.combine(layer.start, layer.handoff_time), zone)
        k = (t - first) // timedelta(hours=layer.turn_length)
    else:
        day = (wall.date() - layer.start).days - (wall.time() < layer.handoff_time)
        k = day // (layer.turn_length * (7 if layer.turn_unit == "weeks" else 1))
    return layer.participants[k % len(layer.participants)]


@PROPERTY
@given(schedules())
def test_layer_shifts_follow_the_wall_clock_and_stay_inside_restriction_windows(drawn):
    sched, sampler = drawn
    zone = ZoneInfo(sched["tz"])
    for layer, shifts in zip(sched["layers"], all_layer_shifts(sched)):
        midpoints = {s.start + (s.end - s.start) / 2 for s in shifts}
        for t in sampler.instants(sched, shifts, k=30) + sorted(midpoints):
            if t.astimezone(zone).fold == 1:  # second pass of a repeated hour: see DST tests
                continue
            shift = covering(shifts, t)
            assert (shift and shift.person) == wall_clock_person(layer, zone, t)
