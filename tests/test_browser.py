"""The web UI in a real browser: Debian's Chromium driven by Playwright (no browser download)."""
import os

import pytest

from incidents.models import Incident
from tests.browser import browser_page, needs_chromium  # noqa: F401 - the fixture
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, UserFactory


pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.mark.django_db(transaction=True)
def test_responder_logs_in_acknowledges_and_resolves_in_a_browser(live_server, browser_page):
    service = ServiceFactory(name="checkout")
    alice = MembershipFactory(team=service.team, user=UserFactory(username="alice")).user
    incident = IncidentFactory(service=service, title="Checkout latency above 2 s")
    page = browser_page

    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("button[type=submit]")
    page.get_by_text("Checkout latency above 2 s").first.click()
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert "acknowledged" in page.content().lower()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED and incident.acknowledged_by == alice

    page.fill("textarea[name=text]", "Rolled back the 14:02 deploy")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state()
    assert "Rolled back the 14:02 deploy" in page.content()
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_load_state()
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    page.screenshot(path=os.environ.get("VIGIL_SCREENSHOT", "/tmp/vigil-incident.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_another_teams_incident_is_not_found_in_a_browser(live_server, browser_page):
    alice = MembershipFactory(user=UserFactory(username="alice")).user
    theirs = IncidentFactory(title="Their secret outage")
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", alice.username)
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "Their secret outage" not in page.content()
    response = page.goto(f"{live_server.url}/incidents/{theirs.pk}/")
    assert response.status == 404
