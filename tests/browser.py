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
