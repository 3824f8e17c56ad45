"""The schedule page's timeline drawing, on plain values: no database."""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from oncall.rotation import OVERRIDE, Shift
from oncall.schedules import LayerLabel
from oncall.views.timeline import People, timeline_layout

UTC_ZONE = ZoneInfo("UTC")
DAY1 = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
DAYS = [date(2026, 3, 2) + timedelta(days=i) for i in range(15)]
EDGES = [DAY1 + timedelta(days=i) for i in range(15)]
PEOPLE = People(names={1: "Alice Archer (alice)", 2: "Bob Baker (bob)"}, short={1: "Alice", 2: "Bob"},
                colours={1: 0, 2: 1})
LABELS = [LayerLabel(id=10, number=1, name="Weekdays")]


def layout(final, layers, gaps, *, now=DAY1 + timedelta(hours=12), me=2, can_take=True):
    return timeline_layout(shifts={"final": final, "layers": layers, "gaps": gaps}, labels=LABELS, people=PEOPLE,
                           days=DAYS, edges=EDGES, now=now, zone=UTC_ZONE, me=me, can_take=can_take)


def test_a_one_day_shift_fills_a_fourteenth_of_the_final_row_and_the_rest_is_a_gap():
    shift = Shift(start=DAY1, end=DAY1 + timedelta(days=1), person=1, source=0)
    drawn = layout([shift], [[shift]], [(DAY1 + timedelta(days=1), EDGES[-1])])
    final, layer = drawn["rows"]
    assert [b.left for b in final["blocks"]] == ["0.000", "7.143"]
    assert [b.width for b in final["blocks"]] == ["7.143", "92.857"]
    alice, gap = final["blocks"]
    assert (alice.label, alice.css, alice.href) == ("Alice", "who-0", "#shift-0")
    assert alice.title == "Alice Archer (alice) · Weekdays: Mon 02 Mar 00:00 – Tue 03 Mar 00:00 (UTC)"
    assert (gap.label, gap.css) == ("Nobody on call", "gap")
    assert layer["name"] == "Weekdays" and [b.label for b in layer["blocks"]] == ["Alice"]
    assert drawn["gaps"] == 1 and len(drawn["days"]) == 14


def test_an_override_is_marked_and_named_as_one_in_the_list_of_shifts():
    override = Shift(start=DAY1, end=DAY1 + timedelta(days=14), person=2, source=OVERRIDE)
    drawn = layout([override], [[]], [])
    [block] = drawn["rows"][0]["blocks"]
    assert block.override and block.css == "who-1 override"
    [listed] = drawn["shifts"]
    assert (listed["who"], listed["source"], listed["mine"], listed["can_take"]) == ("Bob Baker (bob)", "Override", True, False)


def test_someone_else_s_shift_can_be_taken_until_it_is_over():
    shift = Shift(start=DAY1, end=DAY1 + timedelta(hours=6), person=1, source=0)
    before = layout([shift], [[shift]], [], now=DAY1 + timedelta(hours=1))
    after = layout([shift], [[shift]], [], now=DAY1 + timedelta(hours=7))
    assert before["shifts"][0]["can_take"] and not after["shifts"][0]["can_take"]


def test_narrow_blocks_show_no_times_and_the_narrowest_no_name():
    short = Shift(start=DAY1, end=DAY1 + timedelta(hours=4), person=1, source=0)        # 1.2 % wide
    medium = Shift(start=DAY1 + timedelta(hours=4), end=DAY1 + timedelta(days=1), person=2, source=0)  # 6 %
    long = Shift(start=DAY1 + timedelta(days=1), end=DAY1 + timedelta(days=3), person=1, source=0)     # 14 %
    blocks = layout([short, medium, long], [[]], [])["rows"][0]["blocks"]
    assert [(b.label, bool(b.times)) for b in blocks] == [("", False), ("Bob", False), ("Alice", True)]


def test_the_now_line_is_drawn_only_within_the_fourteen_days():
    assert layout([], [[]], [], now=DAY1 + timedelta(hours=12))["now"] is not None
    assert layout([], [[]], [], now=DAY1 - timedelta(hours=1))["now"] is None
