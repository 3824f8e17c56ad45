"""The on-call page: who is on call now, until when, who is next, and the gaps ahead."""
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oncall import schedules
from tests.oncall.pages.helpers import NY, login, oncall_row, page, url, usable_rule_for

pytestmark = pytest.mark.django_db


def test_now_page_shows_who_is_on_call_until_when_and_who_is_next(client, people, schedule):
    html = page(login(client, people["carol"]).get(url("now")))
    row = oncall_row(html, "Primary")
    assert "<strong>alice</strong>" in row
    assert "Mon 9 Nov 09:00" in row  # the hand-off, in the schedule's zone
    assert "bob" in row


def test_people_who_cannot_be_paged_are_flagged(client, people, schedule):
    login(client, people["carol"])
    html = page(client.get(url("now")))
    assert "no way to page alice" in html and "no way to page bob" in html
    usable_rule_for(people["alice"])
    html = page(client.get(url("now")))
    assert "no way to page alice" not in html and "no way to page bob" in html


def test_a_future_override_ends_the_current_shift_where_it_starts(client, people, schedule):
    starts = datetime(2026, 11, 5, 18, tzinfo=NY)
    schedules.override_create(schedule=schedule, user=people["carol"], starts_at=starts,
                              ends_at=starts + timedelta(hours=4), created_by=people["carol"])
    html = page(login(client, people["bob"]).get(url("now")))
    row = oncall_row(html, "Primary")
    assert "Thu 5 Nov 18:00" in row and "carol" in row and "override" in row


def test_gap_now_says_nobody_is_on_call_and_when_someone_is(client, team, people):
    schedule = schedules.schedule_create(team=team, name="Office hours", time_zone="America/New_York")
    schedules.layer_create(schedule=schedule, participants=[people["bob"]], turn_unit="days",
                           start_date=date(2026, 11, 1), handoff_time=time(9),
                           restrictions=[{"kind": "daily", "start_time": time(12), "end_time": time(17)}])
    html = page(login(client, people["bob"]).get(url("now")))
    row = oncall_row(html, "Office hours")
    assert "Nobody on call" in row and "Wed 4 Nov 12:00" in row and "bob" in row


def test_now_page_takes_the_same_number_of_queries_for_one_schedule_or_many(client, team, people, schedule):
    login(client, people["alice"])
    client.get(url("now"))  # sessions, content types: warm up
    with CaptureQueriesContext(connection) as one:
        page(client.get(url("now")))
    for n in range(4):
        extra = schedules.schedule_create(team=team, name=f"Extra {n}", time_zone="Europe/Berlin")
        schedules.layer_create(schedule=extra, participants=[people["bob"], people["carol"]], restrictions=[],
                               turn_unit="days", start_date=date(2026, 10, 1))
    with CaptureQueriesContext(connection) as many:
        html = page(client.get(url("now")))
    assert html.count("Extra ") == 4
    assert len(many) == len(one)
def test_now_and_schedule_pages_warn_of_a_gap_days_ahead(client, team, people, schedule):
    holed = schedules.schedule_create(team=team, name="Holed", time_zone="America/New_York")
    # One weekly window from Friday 06:00 round to Friday 02:00 leaves 02:00–06:00 on Friday empty.
    schedules.layer_create(schedule=holed, participants=[people["bob"]], turn_unit="weeks",
                           start_date=date(2026, 11, 2), restrictions=[{
                               "kind": "weekly", "start_weekday": 4, "start_time": time(6),
                               "end_weekday": 4, "end_time": time(2)}])
    login(client, people["alice"])
    warning = "Nobody on call Fri 02:00–06:00 (in 2 days)"
    html = page(client.get(url("now")))
    assert warning in oncall_row(html, "Holed")
    assert "Nobody on call" not in oncall_row(html, "Primary")
    assert warning in oncall_row(page(client.get(url("schedules"))), "Holed")
    detail = page(client.get(url("schedule", holed.pk)))
    assert warning in detail and "pages to this schedule would reach no one" in detail
    assert "reach no one" not in page(client.get(url("schedule", schedule.pk)))


def test_an_empty_schedule_warns_that_nobody_is_on_call_all_week(client, team, people):
    schedules.schedule_create(team=team, name="Empty", time_zone="UTC")
    html = page(login(client, people["alice"]).get(url("now")))
    assert "Nobody on call now, nor at any time in the next 7 days" in oncall_row(html, "Empty")
