"""DST behaviour of oncall.rotation (pure Python, no Django).

2026 changes used: New York Mar 8 (02:00->03:00) and Nov 1 (02:00->01:00);
Berlin Mar 29 (02:00->03:00) and Oct 25 (03:00->02:00); Lord Howe (30 min)
Apr 5 (02:00->01:30) and Oct 4 (02:00->02:30).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from oncall.rotation import LayerSpec, RestrictionSpec, final_shifts, layer_shifts, oncall_at, resolve_local

NY, BERLIN, LORD_HOWE = "America/New_York", "Europe/Berlin", "Australia/Lord_Howe"
MON, FRI = 0, 4
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rotation(unit="days", handoff=time(9), start=date(2026, 1, 5), length=1, **kw) -> LayerSpec:
    return LayerSpec(participants=("a", "b", "c"), turn_length=length, turn_unit=unit,
                 handoff_time=handoff, start=start, **kw)


def handoffs(layer, tz, start, end):
    return [s.start for s in layer_shifts(layer=layer, tz=tz, start=start, end=end)[1:]]


def local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(ZoneInfo(tz))


# --------------------------------------------------------------------------- daily hand-off


@pytest.mark.parametrize(("tz", "days", "utc_hours", "lengths"), [
    (NY, (6, 7, 8, 9), (14, 14, 13, 13), (24, 23, 24)),  # spring forward Mar 8
    (BERLIN, (27, 28, 29, 30), (8, 8, 7, 7), (24, 23, 24)),  # spring forward Mar 29
])
def test_daily_0900_handoff_stays_0900_local_across_spring_forward(tz, days, utc_hours, lengths):
    got = handoffs(rotation(), tz, utc(2026, 3, days[0]), utc(2026, 3, days[-1], 23))
    assert got == [utc(2026, 3, d, h) for d, h in zip(days, utc_hours)]
    assert all(local(t, tz).time() == time(9) for t in got)
    assert [(b - a) / H for a, b in zip(got, got[1:])] == list(lengths)


@pytest.mark.parametrize(("tz", "days", "utc_hours"), [
    (NY, ((10, 30), (10, 31), (11, 1), (11, 2)), (13, 13, 14, 14)),  # fall back Nov 1
    (BERLIN, ((10, 23), (10, 24), (10, 25), (10, 26)), (7, 7, 8, 8)),  # fall back Oct 25
])
def test_daily_0900_handoff_stays_0900_local_across_fall_back(tz, days, utc_hours):
    got = handoffs(rotation(), tz, utc(2026, *days[0]), utc(2026, *days[-1], 23))
    assert got == [utc(2026, m, d, h) for (m, d), h in zip(days, utc_hours)]
    assert all(local(t, tz).time() == time(9) for t in got)
    assert [(b - a) / H for a, b in zip(got, got[1:])] == [24, 25, 24]


# --------------------------------------------------------------------------- weekly hand-off


@pytest.mark.parametrize(("tz", "handoff", "winter_utc_hour", "long_weeks"), [
    (NY, time(10), 15, {date(2026, 3, 2): 167, date(2026, 10, 26): 169}),
    (BERLIN, time(9), 8, {date(2026, 3, 23): 167, date(2026, 10, 19): 169}),
])
def test_weekly_rotation_across_both_2026_changes(tz, handoff, winter_utc_hour, long_weeks):
    layer = rotation(unit="weeks", handoff=handoff)
    shifts = layer_shifts(layer=layer, tz=tz, start=utc(2026, 1, 5), end=utc(2027, 1, 4))
    assert len(shifts) == 52
    assert [s.person for s in shifts[:4]] == ["a", "b", "c", "a"]
    for shift in shifts:
        start = local(shift.start, tz)
        assert (start.weekday(), start.time()) == (MON, handoff)
        summer = date(2026, 3, 9) <= start.date() <= date(2026, 10, 26) if tz == NY else \
            date(2026, 3, 30) <= start.date() <= date(2026, 10, 19)
        assert shift.start.hour == winter_utc_hour - summer
    for shift in shifts[:-1]:
        assert (shift.end - shift.start) / H == long_weeks.get(local(shift.start, tz).date(), 168)


# --------------------------------------------------------------------------- skipped hand-off


def test_handoff_inside_new_york_skipped_hour_happens_when_the_gap_ends():
    layer = rotation(handoff=time(2, 30), start=date(2026, 3, 6))  # a, b, c from Mar 6
    got = handoffs(layer, NY, utc(2026, 3, 6, 12), utc(2026, 3, 10))
    # Mar 7 02:30 EST, Mar 8 "02:30" = 03:00 EDT (the gap's end), Mar 9 02:30 EDT
    assert got == [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)]
    assert local(got[1], NY).time() == time(3)
    assert oncall_at(layers=[layer], overrides=[], tz=NY, at=utc(2026, 3, 8, 6, 59, 59)).person == "b"
    shift = oncall_at(layers=[layer], overrides=[], tz=NY, at=utc(2026, 3, 8, 7))
    assert (shift.person, shift.start, shift.end) == ("c", utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30))


def test_handoff_inside_berlin_skipped_hour_happens_when_the_gap_ends():
    layer = rotation(handoff=time(2, 30), start=date(2026, 3, 27))
    got = handoffs(layer, BERLIN, utc(2026, 3, 27, 12), utc(2026, 3, 31))
    assert got == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)]
    assert local(got[1], BERLIN).time() == time(3)


def test_handoff_inside_lord_howe_half_hour_gap_happens_when_the_gap_ends():
    layer = rotation(handoff=time(2, 15), start=date(2026, 10, 1))
    got = handoffs(layer, LORD_HOWE, utc(2026, 10, 2), utc(2026, 10, 5))
    # Oct 3 02:15 +10:30, Oct 4 "02:15" = 02:30 +11:00, Oct 5 02:15 +11:00
    assert got == [utc(2026, 10, 2, 15, 45), utc(2026, 10, 3, 15, 30), utc(2026, 10, 4, 15, 15)]


def test_whole_skipped_day_moves_handoff_to_the_next_midnight():
    # Samoa skipped 2011-12-30 entirely when it crossed the date line.
    layer = rotation(start=date(2011, 12, 28))
    got = handoffs(layer, "Pacific/Apia", utc(2011, 12, 28), utc(2012, 1, 1))
    # Dec 29 09:00 -10:00, "Dec 30 09:00" = Dec 31 00:00 +14:00, Dec 31 09:00 +14:00
    assert got[:3] == [utc(2011, 12, 29, 19), utc(2011, 12, 30, 10), utc(2011, 12, 30, 19)]
    assert local(got[1], "Pacific/Apia") == datetime(2011, 12, 31, tzinfo=ZoneInfo("Pacific/Apia"))


def test_resolve_local_documented_rules():
    ny = ZoneInfo(NY)
    assert resolve_local(datetime(2026, 3, 8, 2, 30), ny) == utc(2026, 3, 8, 7)  # gap -> 03:00 EDT
    assert resolve_local(datetime(2026, 11, 1, 1, 30), ny) == utc(2026, 11, 1, 5, 30)  # first pass
    assert resolve_local(datetime(2026, 7, 1, 12), ny) == utc(2026, 7, 1, 16)


# --------------------------------------------------------------------------- ambiguous hand-off


def test_ambiguous_new_york_handoff_takes_the_first_occurrence():
    layer = rotation(handoff=time(1, 30), start=date(2026, 10, 30))
    got = handoffs(layer, NY, utc(2026, 10, 30, 12), utc(2026, 11, 3))
    # Oct 31 01:30 EDT, Nov 1 01:30 EDT (first pass, not 06:30 UTC), Nov 2 01:30 EST
    assert got == [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]
    assert local(got[1], NY).fold == 0
    # During the second pass of 01:15 the new turn (c) is already running.
    second_pass = utc(2026, 11, 1, 6, 15)
    assert local(second_pass, NY).time() == time(1, 15)
    assert oncall_at(layers=[layer], overrides=[], tz=NY, at=second_pass).person == "c"


def test_ambiguous_berlin_and_lord_howe_handoffs_take_the_first_occurrence():
    berlin = rotation(handoff=time(2, 30), start=date(2026, 10, 20))
    assert utc(2026, 10, 25, 0, 30) in handoffs(berlin, BERLIN, utc(2026, 10, 24, 12), utc(2026, 10, 26))
    lord_howe = rotation(handoff=time(1, 45), start=date(2026, 4, 1))
    assert utc(2026, 4, 4, 14, 45) in handoffs(lord_howe, LORD_HOWE, utc(2026, 4, 4), utc(2026, 4, 5))


# --------------------------------------------------------------------------- hours rotation


@pytest.mark.parametrize(("start", "first_utc", "before", "after"), [
    (date(2026, 3, 7), utc(2026, 3, 7, 13), time(8), time(9)),  # EST -> EDT
    (date(2026, 10, 31), utc(2026, 10, 31, 12), time(8), time(7)),  # EDT -> EST
])
def test_twelve_hour_rotation_stays_twelve_real_hours_across_dst(start, first_utc, before, after):
    layer = rotation(unit="hours", length=12, handoff=time(8), start=start)
    shifts = layer_shifts(layer=layer, tz=NY, start=first_utc, end=first_utc + 4 * 12 * H)
    assert [s.start for s in shifts] == [first_utc + k * 12 * H for k in range(4)]
    assert all(s.end - s.start == 12 * H for s in shifts)
    assert [s.person for s in shifts] == ["a", "b", "c", "a"]
    assert local(shifts[0].start, NY).time() == before
    assert local(shifts[2].start, NY).time() == after


# --------------------------------------------------------------------------- restrictions


def test_daily_restriction_window_tracks_new_york_dst():
    layer = rotation(restrictions=(RestrictionSpec.daily(time(9), time(17)),))
    shifts = final_shifts(layers=[layer], overrides=[], tz=NY, start=utc(2026, 3, 6), end=utc(2026, 3, 10))
    assert [(s.start, s.end) for s in shifts] == [
        (utc(2026, 3, d, h), utc(2026, 3, d, h + 8)) for d, h in ((6, 14), (7, 14), (8, 13), (9, 13))]
    shifts = final_shifts(layers=[layer], overrides=[], tz=NY, start=utc(2026, 11, 2), end=utc(2026, 11, 3))
    assert [(s.start, s.end) for s in shifts] == [(utc(2026, 11, 2, 14), utc(2026, 11, 2, 22))]


def test_weekly_restriction_mon_9_to_fri_17_tracks_berlin_dst():
    layer = rotation(unit="weeks", restrictions=(RestrictionSpec.weekly(MON, time(9), FRI, time(17)),))
    windows = final_shifts(layers=[layer], overrides=[], tz=BERLIN, start=utc(2026, 3, 21), end=utc(2026, 4, 5))
    assert [(s.start, s.end) for s in windows] == [
        (utc(2026, 3, 23, 8), utc(2026, 3, 27, 16)), (utc(2026, 3, 30, 7), utc(2026, 4, 3, 15))]


def test_restriction_window_opening_in_the_skipped_hour_opens_when_the_gap_ends():
    layer = rotation(restrictions=(RestrictionSpec.daily(time(2), time(4)),))
    shift = oncall_at(layers=[layer], overrides=[], tz=NY, at=utc(2026, 3, 8, 7, 30))
    assert (shift.start, shift.end) == (utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))  # 03:00-04:00 EDT


def test_restriction_window_inside_the_skipped_hour_is_empty_that_day():
    layer = rotation(restrictions=(RestrictionSpec.daily(time(2), time(2, 45)),))
    shifts = layer_shifts(layer=layer, tz=NY, start=utc(2026, 3, 7), end=utc(2026, 3, 10))
    assert [local(s.start, NY).date() for s in shifts] == [date(2026, 3, 7), date(2026, 3, 9)]


def test_restriction_window_over_the_repeated_hour_covers_both_passes():
    layer = rotation(restrictions=(RestrictionSpec.daily(time(1), time(2)),))
    shift = oncall_at(layers=[layer], overrides=[], tz=NY, at=utc(2026, 11, 1, 6, 30))  # 01:30 EST
    assert (shift.start, shift.end) == (utc(2026, 11, 1, 5), utc(2026, 11, 1, 7))  # two real hours


def test_restriction_window_ending_in_the_repeated_hour_ends_at_its_first_pass():
    layer = rotation(restrictions=(RestrictionSpec.daily(time(0), time(1, 30)),))
    shift = oncall_at(layers=[layer], overrides=[], tz=NY, at=utc(2026, 11, 1, 5))
    assert shift.end == utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert oncall_at(layers=[layer], overrides=[], tz=NY, at=utc(2026, 11, 1, 6, 15)) is None  # 01:15 EST
