from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from oncall import ical, schedules
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
# Four days before New York falls back (1 November 2026, 02:00 EDT -> 01:00 EST).
NOW = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(team):
    return [MembershipFactory(team=team, user=UserFactory(username=name, first_name=name.title())).user
            for name in ("alice", "bob")]


@pytest.fixture
def schedule(team, people):
    schedule = schedules.schedule_create(team=team, name="Primary", time_zone="America/New_York")
    schedules.layer_create(schedule=schedule, participants=people, restrictions=[], turn_length=1, turn_unit="days",
                           handoff_time=time(9), start_date=date(2026, 10, 1))
    return schedule


def feed_path(schedule):
    _, token = schedules.calendar_feed_create(schedule=schedule)
    return f"/oncall/schedules/{schedule.pk}/{token}.ics"


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content), response.content.decode()


def test_schedule_feed_has_one_event_per_final_shift_without_logging_in(client, schedule):
    calendar, _ = events(client.get(feed_path(schedule)))
    start, end = ical.feed_window(NOW)
    expected = [s for s in schedules.schedule_shifts(schedule=schedule, start=start - ical.LOOK_BACK, end=end)["final"]
                if s.end > start]
    found = calendar.events
    # Daily shifts over the 68 days from 21 October 00:00 UTC, plus the one already running then.
    assert len(found) == len(expected) == 69
    assert [(e.start.astimezone(UTC), e.end.astimezone(UTC)) for e in found] == [(s.start, s.end) for s in expected]
    assert calendar["X-WR-CALNAME"] == "On call: Primary"
    assert found[0]["SUMMARY"] in ("On call: Primary (Alice)", "On call: Primary (Bob)")
    assert len({str(e["UID"]) for e in found}) == len(found)


def test_events_carry_the_schedules_zone_with_its_vtimezone(client, schedule):
    calendar, text = events(client.get(feed_path(schedule)))
    assert "DTSTART;TZID=America/New_York:20261031T090000" in text
    [zone] = calendar.timezones
    assert zone["TZID"] == "America/New_York"
    assert calendar.get_missing_tzids() == set()
    names = {str(part["TZNAME"]) for part in zone.walk() if part.name in ("STANDARD", "DAYLIGHT")}
    assert {"EDT", "EST"} <= names


def test_the_shift_across_the_fall_back_lasts_25_hours_at_the_right_instants(client, schedule):
    calendar, _ = events(client.get(feed_path(schedule)))
    [shift] = [e for e in calendar.events if e.start.date() == date(2026, 10, 31)]
    # 09:00 EDT (UTC-4) to 09:00 EST (UTC-5) the next day.
    assert shift.start.astimezone(UTC) == datetime(2026, 10, 31, 13, tzinfo=UTC)
    assert shift.end.astimezone(UTC) == datetime(2026, 11, 1, 14, tzinfo=UTC)
    assert shift.end.astimezone(UTC) - shift.start.astimezone(UTC) == timedelta(hours=25)
    assert str(shift.start.tzinfo) == "America/New_York"


def test_overrides_are_events_of_their_own_and_say_so(client, schedule, people):
    starts = datetime(2026, 10, 29, 12, tzinfo=NY)
    schedules.override_create(schedule=schedule, user=people[0], starts_at=starts, ends_at=starts + timedelta(hours=3),
                              created_by=people[0])
    calendar, _ = events(client.get(feed_path(schedule)))
    [override] = [e for e in calendar.events if "override" in str(e["DESCRIPTION"])]
    assert override.start.astimezone(UTC) == starts.astimezone(UTC)
    assert override["SUMMARY"] == "On call: Primary (Alice)"
    assert "Alice takes this shift instead of the regular rotation" in str(override["DESCRIPTION"])


def test_uids_stay_the_same_from_one_day_to_the_next(client, schedule, frozen):
    path = feed_path(schedule)
    today = {e.start: str(e["UID"]) for e in Calendar.from_ical(client.get(path).content).events}
    frozen.move_to(NOW + timedelta(days=1, hours=3))
    tomorrow = {e.start: str(e["UID"]) for e in Calendar.from_ical(client.get(path).content).events}
    shared = set(today) & set(tomorrow)
    assert len(shared) > 60
    assert all(today[start] == tomorrow[start] for start in shared)
    first = min(today)
    assert first in tomorrow or first.astimezone(UTC) < NOW - timedelta(days=7)


def test_personal_feed_lists_only_that_persons_shifts(client, team, schedule, people):
    alice = people[0]
    _, token = schedules.calendar_feed_create(user=alice)
    calendar, _ = events(client.get(f"/oncall/people/{alice.pk}/{token}.ics"))
    start, end = ical.feed_window(NOW)
    mine = [s for _, s in schedules.user_shifts(user=alice, start=start - ical.LOOK_BACK, end=end) if s.end > start]
    assert len(calendar.events) == len(mine) == 34
    assert {str(e["SUMMARY"]) for e in calendar.events} == {"Primary: you are on call"}
    assert calendar["X-WR-CALNAME"] == "On call: Alice"


def test_a_revoked_feed_is_not_found(client, schedule):
    feed, token = schedules.calendar_feed_create(schedule=schedule)
    schedules.calendar_feed_revoke(feed=feed)
    assert client.get(f"/oncall/schedules/{schedule.pk}/{token}.ics").status_code == 404


def test_a_wrong_token_or_a_token_for_something_else_is_not_found(client, team, schedule, people):
    other = schedules.schedule_create(team=team, name="Secondary", time_zone="UTC")
    _, token = schedules.calendar_feed_create(schedule=schedule)
    _, personal = schedules.calendar_feed_create(user=people[0])
    assert client.get(f"/oncall/schedules/{schedule.pk}/cal_wrong.ics").status_code == 404
    assert client.get(f"/oncall/schedules/{other.pk}/{token}.ics").status_code == 404
    assert client.get(f"/oncall/schedules/{schedule.pk}/{personal}.ics").status_code == 404
    assert client.get(f"/oncall/people/{people[1].pk}/{personal}.ics").status_code == 404
    assert client.get(f"/oncall/people/{people[0].pk}/{token}.ics").status_code == 404
    assert client.get(f"/oncall/people/{people[0].pk}/{personal}.ics").status_code == 200


def test_a_deactivated_persons_feed_is_not_found(client, people):
    _, token = schedules.calendar_feed_create(user=people[0])
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])
    assert client.get(f"/oncall/people/{people[0].pk}/{token}.ics").status_code == 404


def test_a_feed_cannot_be_changed_by_a_post(client, schedule):
    assert client.post(feed_path(schedule)).status_code == 405
