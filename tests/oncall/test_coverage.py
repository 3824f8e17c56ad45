"""Gaps ahead: who-is-on-call shows, days before, when a schedule will have nobody on call."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall.coverage import gap_warning
from tests.factories import (
    ApiClient,
    LayerFactory,
    MembershipFactory,
    OverrideFactory,
    ScheduleFactory,
    SuperuserFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
WEDNESDAY_NOON = "2026-01-07T12:00:00Z"
DAYTIME = [{"kind": "daily", "start_time": time(8), "end_time": time(20)}]


@pytest.fixture
def people(team):
    return [MembershipFactory(team=team, user=UserFactory(username=name)).user for name in ("alice", "bob", "carol")]


def gaps_of(body, schedule):
    [shown] = [s for t in body["teams"] for s in t["schedules"] if s["schedule"] == schedule.pk]
    return [tuple(gap) for gap in shown["gaps"]]


def test_oncall_lists_the_nights_a_daytime_restriction_leaves_empty_less_an_override(team, people):
    schedule = ScheduleFactory(team=team, name="Daytime")
    LayerFactory(schedule=schedule, participants=people[:2], restrictions=DAYTIME)
    OverrideFactory(schedule=schedule, user=people[2], starts_at=datetime(2026, 1, 7, 20, tzinfo=UTC),
                    ends_at=datetime(2026, 1, 7, 23, tzinfo=UTC))
    api = ApiClient(people[0])
    body = api.get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    nights = [(f"2026-01-{day:02d}T20:00:00Z", f"2026-01-{day + 1:02d}T08:00:00Z") for day in range(8, 14)]
    assert gaps_of(body, schedule) == [("2026-01-07T23:00:00Z", "2026-01-08T08:00:00Z"), *nights]
    one = api.get(f"/api/v1/schedules/{schedule.pk}/oncall/", {"at": WEDNESDAY_NOON}).json()
    assert [tuple(gap) for gap in one["gaps"]] == gaps_of(body, schedule)
    assert one["oncall"][0]["username"] == "alice"


def test_a_gap_across_the_autumn_dst_change_lasts_an_hour_longer(team, people):
    schedule = ScheduleFactory(team=team, name="Office", time_zone="America/New_York")
    LayerFactory(schedule=schedule, participants=people[:1], turn_unit="days", start_date=date(2026, 10, 1),
                 restrictions=[{"kind": "daily", "start_time": time(9), "end_time": time(17)}])
    body = ApiClient(people[0]).get("/api/v1/oncall/", {"at": "2026-10-30T14:00:00Z"}).json()
    gaps = gaps_of(body, schedule)
    # 17:00 EDT on Saturday 31 October to 09:00 EST on Sunday 1 November: 17 hours, not 16.
    assert gaps[:3] == [("2026-10-30T21:00:00Z", "2026-10-31T13:00:00Z"),
                        ("2026-10-31T21:00:00Z", "2026-11-01T14:00:00Z"),
                        ("2026-11-01T22:00:00Z", "2026-11-02T14:00:00Z")]
    assert len(gaps) == 7


def test_an_empty_schedule_is_one_gap_over_the_whole_week(team, people):
    nothing = ScheduleFactory(team=team, name="Nothing yet")
    nobody = ScheduleFactory(team=team, name="Nobody in it")
    LayerFactory(schedule=nobody, participants=[])
    body = ApiClient(people[0]).get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    week = [(WEDNESDAY_NOON, "2026-01-14T12:00:00Z")]
    assert gaps_of(body, nothing) == gaps_of(body, nobody) == week


def test_a_covered_schedule_has_no_gaps(team, people):
    schedule = ScheduleFactory(team=team, name="Weekly")
    LayerFactory(schedule=schedule, participants=people[:2])
    body = ApiClient(people[0]).get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    assert gaps_of(body, schedule) == []


def test_gaps_for_many_schedules_take_the_same_number_of_queries_as_for_one(db):
    admin = ApiClient(SuperuserFactory())
    admin.get("/api/v1/oncall/")  # the token's first use is recorded once; keep it out of the count

    def add_team_with_schedules(n):
        team = TeamFactory()
        members = [MembershipFactory(team=team).user for _ in range(2)]
        for _ in range(n):
            schedule = ScheduleFactory(team=team)
            LayerFactory(schedule=schedule, participants=members, restrictions=DAYTIME)
            LayerFactory(schedule=schedule, participants=members[:1], turn_unit="hours", turn_length=12,
                         restrictions=[{"kind": "weekly", "start_weekday": 5, "start_time": time(0),
                                        "end_weekday": 0, "end_time": time(0)}])
            OverrideFactory(schedule=schedule, user=members[1], starts_at=datetime(2026, 1, 8, 22, tzinfo=UTC),
                            ends_at=datetime(2026, 1, 9, 2, tzinfo=UTC))

    add_team_with_schedules(1)
    with CaptureQueriesContext(connection) as few:
        small = admin.get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    for _ in range(3):
        add_team_with_schedules(4)
    with CaptureQueriesContext(connection) as many:
        large = admin.get("/api/v1/oncall/", {"at": WEDNESDAY_NOON}).json()
    schedules = [s for t in large["teams"] for s in t["schedules"]]
    assert len(schedules) == 13 and len(small["teams"]) == 1
    # Weeknights are gaps, from Wednesday to Wednesday; the weekend layer fills Saturday and Sunday,
    # and the override cuts Thursday night in two.
    assert all(len(s["gaps"]) == 7 for s in schedules), [s["gaps"] for s in schedules]
    assert schedules[0]["gaps"][1:3] == [["2026-01-08T20:00:00Z", "2026-01-08T22:00:00Z"],
                                         ["2026-01-09T02:00:00Z", "2026-01-09T08:00:00Z"]]
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The words the web pages show -------------------------------------------------------------------

NOW = datetime(2026, 11, 4, 15, tzinfo=UTC)  # Wednesday 10:00 in New York


def ny(day, hour):
    return datetime(2026, 11, day, hour, tzinfo=NY)


@pytest.mark.parametrize("gap,text", [
    ((ny(6, 2), ny(6, 6)), "Nobody on call Fri 02:00–06:00 (in 2 days)"),
    ((ny(5, 22), ny(6, 6)), "Nobody on call Thu 22:00 – Fri 06:00 (tomorrow)"),
    ((ny(4, 13), ny(4, 14)), "Nobody on call Wed 13:00–14:00 (in 3 hours)"),
    ((NOW, ny(4, 12)), "Nobody on call now, until Wed 12:00 (in 2 hours)"),
    ((NOW, NOW + timedelta(days=7)), "Nobody on call now, nor at any time in the next 7 days"),
    ((ny(9, 17), NOW + timedelta(days=7)), "Nobody on call from Mon 17:00, to the end of the next 7 days (in 5 days)"),
])
def test_a_gap_is_told_in_the_schedules_zone_with_how_soon_it_comes(gap, text):
    assert gap_warning(gap, now=NOW, zone=NY) == text
