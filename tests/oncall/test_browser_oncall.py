"""The schedule page in a real browser: Debian's Chromium driven by Playwright (no browser download)."""
import os
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from oncall import schedules
from oncall.models import Override
from tests.browser import browser_page, needs_chromium  # noqa: F401 - the fixture
from tests.factories import MembershipFactory, UserFactory

ZONE = ZoneInfo("Europe/Berlin")

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture
def platform(team):
    people = {name: MembershipFactory(team=team, user=UserFactory(
        username=name, first_name=name.title(), last_name=last)).user
        for name, last in (("alice", "Archer"), ("bob", "Baker"), ("carol", "Chen"))}
    manager = MembershipFactory(team=team, role="manager", user=UserFactory(username="maria", first_name="Maria")).user
    schedule = schedules.schedule_create(team=team, name="Platform primary", time_zone="Europe/Berlin")
    today = timezone.now().astimezone(ZONE).date()
    monday = today - timedelta(days=today.weekday())
    schedules.layer_create(schedule=schedule, name="Weekly", participants=list(people.values()), restrictions=[],
                           turn_unit="weeks", handoff_time=time(9), start_date=monday)
    schedules.layer_create(schedule=schedule, name="Weekday days", participants=[people["carol"], manager],
                           turn_unit="days", handoff_time=time(9), start_date=monday, restrictions=[
                               {"kind": "weekly", "start_weekday": 0, "start_time": time(9), "end_weekday": 4,
                                "end_time": time(17)}])
    return schedule, manager, people


@pytest.mark.django_db(transaction=True)
def test_manager_adds_an_override_and_sees_it_marked_in_the_final_row(live_server, browser_page, platform):
    schedule, manager, people = platform
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", manager.username)
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.get_by_role("link", name="Schedules", exact=True).click()
    page.get_by_role("link", name="Platform primary").click()
    page.wait_for_load_state()

    assert page.locator(".tl-head .tl-day").count() == 14
    assert page.locator(".tl-final .tl-block").count() >= 3
    assert page.locator(".tl-final .tl-block.override").count() == 0
    assert page.locator(".tl-label").all_inner_texts()[1:] == ["Final schedule", "Weekday days", "Weekly"]

    tomorrow = timezone.now().astimezone(ZONE).date() + timedelta(days=1)
    page.select_option("select[name=user]", label="Bob Baker")
    page.fill("input[name=starts_at]", f"{tomorrow:%Y-%m-%d}T18:00")
    page.fill("input[name=ends_at]", f"{tomorrow + timedelta(days=1):%Y-%m-%d}T08:00")
    page.get_by_role("button", name="Add override").click()
    page.wait_for_load_state()

    assert "Bob Baker is on call from" in page.content()
    override = Override.objects.get()
    assert override.user == people["bob"] and override.created_by == manager
    marked = page.locator(".tl-final .tl-block.override")
    assert marked.count() == 1
    assert "Bob Baker · Override" in marked.get_attribute("title")
    assert marked.bounding_box()["width"] > 20
    page.screenshot(path=os.environ.get("VIGIL_SCREENSHOT_SCHEDULE", "/tmp/vigil-schedule.png"), full_page=True)

    # The shift list's "take this shift" works in the browser too.
    page.locator("tr:has-text('Alice Archer') >> button:has-text('Take this shift')").first.click()
    page.wait_for_load_state()
    assert "You are on call from" in page.content()
    assert Override.objects.filter(user=manager).count() == 1
