"""The hand-off report on a 375 px phone under the real Content-Security-Policy: the schedule
page's section fills itself in, the full report has no sideways scroll, and the period picker works."""
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser import (  # noqa: F401 - fixtures
    log_in_with_cookie, needs_chromium, phone, phone_bypassing_csp, serious_accessibility_violations, shared_browser,
    sideways_overflow,
)
from tests.notifications.handoff_helpers import action_item, incident_at, page_at, rota

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]

LONG = "Checkout p99 latency above 2 s on every web node in eu-west-1 " + "x" * 60


@pytest.fixture
def r():
    world = rota(start_date=timezone.localdate() - timedelta(days=8))
    incident = incident_at(world.service, timezone.now() - timedelta(hours=30), LONG)
    for person in (world.alice, world.bob):
        page_at(incident, person, timezone.now() - timedelta(hours=30))
        page_at(incident, person, timezone.now() - timedelta(hours=2), step=1)
    action_item(incident, title="Alert on ledger lag before customers notice " + "y" * 60, owner=world.bob)
    return world


def test_the_hand_off_report_fits_a_phone_and_its_period_picker_works(live_server, phone, r):
    page = phone
    log_in_with_cookie(page, live_server, r.alice)
    page.goto(f"{live_server.url}/oncall/schedules/{r.schedule.pk}/")
    page.wait_for_selector(".handoff-shifts")
    assert sideways_overflow(page) <= 0
    page.get_by_role("link", name="Full hand-off report").click()
    page.wait_for_selector("h1:has-text('Hand-off report')")
    assert LONG[:40] in page.inner_text("main")
    assert sideways_overflow(page) <= 0 and page.evaluate("document.documentElement.scrollWidth") <= 375

    page.get_by_role("link", name="Last 7 days").click()
    page.wait_for_selector("h1:has-text('Hand-off report')")
    assert "from=" in page.url and "Open action items" in page.inner_text("main")
    page.fill("#handoff-to", page.input_value("#handoff-from"))
    page.get_by_role("button", name="Show report").click()
    page.wait_for_selector(".message.error")
    assert "to must be after from" in page.inner_text("main")
    assert sideways_overflow(page) <= 0
    assert page.csp_complaints == []


def test_the_hand_off_report_has_no_serious_accessibility_problems(live_server, phone_bypassing_csp, r):
    page = phone_bypassing_csp
    log_in_with_cookie(page, live_server, r.alice)
    page.goto(f"{live_server.url}/oncall/schedules/{r.schedule.pk}/handoff/")
    page.wait_for_selector("h1:has-text('Hand-off report')")
    assert serious_accessibility_violations(page) == []
