"""Pages work in a real browser under the Content-Security-Policy, with nothing refused."""
import os

import pytest

from tests.browser import browser_page, needs_chromium  # noqa: F401 - the fixture
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.slow, needs_chromium]


def csp_complaints(page) -> list[str]:
    complaints = []
    page.on("console", lambda m: complaints.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: complaints.append(str(e)))
    return complaints


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_render_under_the_content_security_policy(live_server, browser_page):
    page = browser_page
    complaints = csp_complaints(page)
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Vigil API" in page.inner_text(".swagger-ui .info .title")
    # Past some hundred operations Swagger UI draws the list virtualized (only what is on screen, no
    # .opblock-tag-section wrappers): look for the operation blocks themselves.
    page.wait_for_selector(".opblock-tag")
    assert page.locator(".opblock").count() > 5
    # Swagger UI's own stylesheet applied (not refused): its operation blocks are laid out.
    assert page.locator(".opblock-tag").first.bounding_box()["height"] > 20
    assert complaints == []
    page.screenshot(path=os.environ.get("VIGIL_SCREENSHOT_DOCS", "/tmp/vigil-docs.png"))


@pytest.mark.django_db(transaction=True)
def test_the_login_and_profile_pages_show_no_csp_complaint(live_server, browser_page):
    MembershipFactory(user=UserFactory(username="alice"))
    page = browser_page
    complaints = csp_complaints(page)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/oncall/profile/")
    page.get_by_role("button", name="Create an API token").click()
    page.wait_for_load_state()
    assert "Copy it now" in page.content()
    assert complaints == []
    page.screenshot(path=os.environ.get("VIGIL_SCREENSHOT_SECRET", "/tmp/vigil-new-token.png"))
