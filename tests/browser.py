"""A real browser for web UI tests: Debian's Chromium driven by Playwright (no browser download)."""
import os
import shutil

import pytest
from django.db import connections

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="needs Debian's chromium (apt-get install chromium)")


@pytest.fixture
def browser_page(monkeypatch):
    yield from _page(monkeypatch, bypass_csp=False)


@pytest.fixture
def browser_page_bypassing_csp(monkeypatch):
    """For a test that injects its own scripts (page.add_script_tag, page.evaluate with inline
    code): the pages' Content-Security-Policy would refuse them."""
    yield from _page(monkeypatch, bypass_csp=True)


def _page(monkeypatch, *, bypass_csp: bool):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # synchronous and safe, so Django's async guard is lifted for them.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp)
        yield page
        browser.close()
        # Inside Playwright's context the test's ORM calls get a connection of their own (Django
        # keeps connections per context); left open, it stops PostgreSQL dropping the test database.
        connections.close_all()


# --- One browser per test module, a fresh context per test (phone-sized pages) -------------------

AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")
PHONE_WIDTHS = (320, 375, 414)


@pytest.fixture(scope="module")
def shared_browser():
    """One Chromium for the whole module: starting it costs about a second a test otherwise."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # see _page: the test's own ORM calls are synchronous
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def phone(shared_browser, tmp_path):
    """A 375 px page under the real Content-Security-Policy; a screenshot of where it ended, pass or
    fail, is saved as tmp_path/zz-last.png. page.csp_complaints lists what the policy refused."""
    yield from _phone(shared_browser, tmp_path, bypass_csp=False)


@pytest.fixture
def phone_bypassing_csp(shared_browser, tmp_path):
    """As `phone`, for tests that inject axe-core (the policy would refuse it)."""
    yield from _phone(shared_browser, tmp_path, bypass_csp=True)


def _phone(browser, tmp_path, *, bypass_csp: bool):
    context = browser.new_context(viewport={"width": 375, "height": 800}, bypass_csp=bypass_csp,
                                  timezone_id="UTC", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.csp_complaints = []
    page.on("console", lambda m: page.csp_complaints.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: page.csp_complaints.append(str(e)))
    yield page
    try:
        page.screenshot(path=str(tmp_path / "zz-last.png"), full_page=True)
    finally:
        context.close()
        connections.close_all()


def log_in_with_cookie(page, live_server, user) -> None:
    """A session made by Django's test client, handed to the browser: the tests that are not about
    the login form skip it."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value,
                               "url": live_server.url}])


def serious_accessibility_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it stands."""
    page.add_script_tag(path=AXE)
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def sideways_overflow(page) -> int:
    """How many pixels wider than the window the page is (0 when it does not scroll sideways)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
