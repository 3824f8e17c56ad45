"""Shadow shifts on a phone, in Debian's Chromium at 375 px under the real Content-Security-Policy:
a responder adds a shadow from the schedule page, and who-is-on-call names the shadow apart."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from oncall import schedules
from oncall.models import Shadow
from tests.browser import (  # noqa: F401 - fixtures
    log_in_with_cookie, needs_chromium, phone, phone_bypassing_csp, serious_accessibility_violations, shared_browser,
    sideways_overflow,
)
from tests.factories import LayerFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(team):
    alice = MembershipFactory(team=team, user=UserFactory(username="alice", first_name="Alice",
                                                          last_name="Archer")).user
    dana = MembershipFactory(team=team, role="viewer", user=UserFactory(
        username="dana", first_name="Dana", last_name="Diaz-Featherstonehaugh-Montgomery")).user
    schedule = schedules.schedule_create(team=team, name="Platform primary", time_zone="Europe/Berlin")
    today = timezone.now().date()
    LayerFactory(schedule=schedule, participants=[alice], start_date=today - timedelta(days=7))
    return {"alice": alice, "dana": dana, "schedule": schedule}


def test_a_responder_adds_a_shadow_on_a_phone_and_sees_it_beside_the_person_on_call(live_server, phone, world):
    page, schedule = phone, world["schedule"]
    log_in_with_cookie(page, live_server, world["alice"])
    page.goto(f"{live_server.url}/oncall/schedules/{schedule.pk}/")
    page.get_by_text("Add a shadow").click()
    page.select_option("select[name=shadow-user]", label="Dana Diaz-Featherstonehaugh-Montgomery")
    berlin = timezone.now().astimezone(ZoneInfo("Europe/Berlin"))
    page.fill("input[name=shadow-starts_at]", f"{berlin - timedelta(days=1):%Y-%m-%d}T00:00")
    page.fill("input[name=shadow-ends_at]", f"{berlin + timedelta(days=3):%Y-%m-%d}T00:00")
    page.get_by_role("button", name="Add shadow").click()
    page.wait_for_load_state()
    assert Shadow.objects.get().user == world["dana"]
    assert "(shadow: Dana Diaz-Featherstonehaugh-Montgomery)" in page.inner_text("main")
    assert sideways_overflow(page) <= 0
    page.goto(f"{live_server.url}/oncall/")
    assert "(shadow: Dana Diaz-Featherstonehaugh-Montgomery)" in page.inner_text("main")
    assert sideways_overflow(page) <= 0


def test_the_schedule_page_with_shadows_has_no_serious_accessibility_problem(live_server, phone_bypassing_csp, world):
    page, schedule = phone_bypassing_csp, world["schedule"]
    schedules.shadow_create(schedule=schedule, user=world["dana"], starts_at=timezone.now() - timedelta(hours=1),
                            ends_at=timezone.now() + timedelta(days=2), created_by=world["alice"])
    log_in_with_cookie(page, live_server, world["alice"])
    page.goto(f"{live_server.url}/oncall/schedules/{schedule.pk}/")
    page.get_by_text("Add a shadow").click()
    assert serious_accessibility_violations(page) == []
