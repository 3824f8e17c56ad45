"""The analytics page on a phone (issue 12 §4), in Debian's Chromium at 375 px: its charts draw for
seeded data, nothing scrolls sideways, the Content-Security-Policy refuses nothing, and axe-core
finds nothing serious. Screenshots go to the test's tmp_path."""
from datetime import timedelta

import pytest
from django.utils import timezone

from oncall.contacts import profile_time_zone_set
from tests.browser import (  # noqa: F401 - fixtures
    log_in_with_cookie, needs_chromium, phone, phone_bypassing_csp, serious_accessibility_violations, shared_browser,
    sideways_overflow,
)
from tests.factories import MembershipFactory, ServiceFactory, TeamFactory, UserFactory
from tests.notifications.test_analytics_figures import crafted, page

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def seeded():
    """Ten weeks of incidents on services with long names, paged to people in three zones."""
    team = TeamFactory(name="Platform reliability engineering")
    maria = MembershipFactory(team=team, role="manager", user=UserFactory(username="maria")).user
    people = [maria] + [MembershipFactory(team=team, user=UserFactory(username=f"responder-with-a-long-name-{k}")).user
                        for k in range(3)]
    for person, zone in zip(people, ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC")):
        profile_time_zone_set(user=person, time_zone=zone)
    services = [ServiceFactory(team=team, name=name) for name in (
        "checkout-api-deployment-in-eu-west-1-with-a-very-long-name", "search", "payments", "mail")]
    start = timezone.now() - timedelta(weeks=10)
    for k in range(60):
        at = start + timedelta(hours=27 * k)
        incident = crafted(services[k % 4], at=at, ack=1 + k % 7, mitigate=10 + k % 13, resolve=30 + 3 * k,
                           severity=f"SEV{1 + k % 5}", title=f"incident {k}")
        page(incident, people[k % 4], at=at, step=0)
        if k % 5 == 0:
            page(incident, people[(k + 1) % 4], at=at + timedelta(minutes=5), step=1)
    return maria


def test_the_analytics_page_draws_its_charts_on_a_phone_without_sideways_scroll(live_server, phone, seeded, tmp_path):
    log_in_with_cookie(phone, live_server, seeded)
    phone.goto(f"{live_server.url}/analytics/")
    phone.wait_for_selector("svg.chart")
    phone.screenshot(path=str(tmp_path / "analytics-top.png"))
    phone.locator("#table-services").scroll_into_view_if_needed()
    phone.screenshot(path=str(tmp_path / "analytics-table.png"))
    charts = phone.locator("svg.chart")
    assert charts.count() == 5
    for k in range(5):
        box = charts.nth(k).bounding_box()
        assert 300 <= box["width"] <= 375 and box["height"] > 100
        charts.nth(k).screenshot(path=str(tmp_path / f"chart-{k}.png"))
    assert phone.locator("svg.chart rect[fill='#1f5fbf']").count() > 20
    assert sideways_overflow(phone) == 0
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 375
    assert phone.csp_complaints == []
    summary = phone.locator(".analytics-summary").inner_text()
    assert "Incidents\n60" in summary


def test_the_filters_and_downloads_work_from_the_page(live_server, phone, seeded, tmp_path):
    log_in_with_cookie(phone, live_server, seeded)
    phone.goto(f"{live_server.url}/analytics/")
    phone.select_option("select[name=severity]", "SEV1")
    phone.get_by_role("button", name="Show").click()
    phone.wait_for_url("**severity=SEV1**")
    assert "Incidents\n12" in phone.locator(".analytics-summary").inner_text()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Download services as CSV").click()
    assert download.value.suggested_filename.startswith("vigil-services-")
    assert sideways_overflow(phone) == 0


def test_the_analytics_page_has_no_serious_accessibility_problem(live_server, phone_bypassing_csp, seeded):
    log_in_with_cookie(phone_bypassing_csp, live_server, seeded)
    phone_bypassing_csp.goto(f"{live_server.url}/analytics/")
    assert serious_accessibility_violations(phone_bypassing_csp) == []
