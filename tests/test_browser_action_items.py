"""Postmortem action items in Debian's Chromium at 375 px under the real Content-Security-Policy:
add one with an owner, edit it, mark it done, make an incident task one, and see the overdue page;
nothing scrolls sideways and axe-core finds nothing serious."""
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import ActionItem, IncidentTask
from incidents.services.action_items import action_item_add
from tests.browser import (  # noqa: F401 - fixtures
    log_in_with_cookie, needs_chromium, phone, phone_bypassing_csp, serious_accessibility_violations, shared_browser,
    sideways_overflow,
)
from tests.incidents.action_item_helpers import postmortem_world

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]
LONG_TICKET = "https://tickets.example.com/browse/PAYMENTS-1234?focusedCommentId=" + "9" * 60


@pytest.fixture
def w():
    w = postmortem_world()
    w.alice.first_name, w.alice.last_name = "Alice", "Archer"
    w.alice.save(update_fields=["first_name", "last_name"])
    IncidentTask.objects.create(incident=w.incident, title="Raise the card gateway timeout to 5 s", owner=w.alice)
    return w


def test_a_responder_adds_an_action_item_with_an_owner_on_a_phone_and_marks_it_done(live_server, phone, w, tmp_path):
    page = phone
    log_in_with_cookie(page, live_server, w.manager)
    page.goto(f"{live_server.url}/postmortems/{w.postmortem.pk}/")
    form = page.locator("form.ai-add")
    form.get_by_label("Action item").fill("Alert when card declines pass 2% for 5 minutes")
    form.get_by_label("Owner").select_option(label="Alice Archer")
    form.get_by_label("Due").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    form.get_by_label("Priority").select_option("high")
    form.get_by_label("Ticket link").fill(LONG_TICKET)
    page.screenshot(path=str(tmp_path / "1-filled.png"), full_page=True)
    form.get_by_role("button", name="Add action item").click()

    page.wait_for_url(f"**/postmortems/{w.postmortem.pk}/#action-items")
    item = ActionItem.objects.get()
    assert (item.owner, item.priority, item.ticket_url) == (w.alice, "high", LONG_TICKET)
    row = page.locator(f"#action-item-{item.pk}")
    assert "Alice Archer" in row.inner_text() and "High priority" in row.inner_text()
    assert sideways_overflow(page) <= 0
    page.screenshot(path=str(tmp_path / "2-added.png"), full_page=True)

    row.get_by_label("Status", exact=True).select_option("done")
    row.get_by_role("button", name=f"Set the status of {item.title}").click()
    page.wait_for_load_state()
    item.refresh_from_db()
    assert item.status == "done" and item.completed_at is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.csp_complaints == []


def test_an_item_is_edited_without_script_and_a_task_becomes_an_item(live_server, phone, w, tmp_path):
    page = phone
    item = action_item_add(postmortem=w.postmortem, by=w.manager, title="Runbook for declines", priority="low")
    log_in_with_cookie(page, live_server, w.alice)
    page.goto(f"{live_server.url}/postmortems/{w.postmortem.pk}/")
    row = page.locator(f"#action-item-{item.pk}")
    row.locator("summary").click()
    row.get_by_label("Owner", exact=True).select_option(label="Alice Archer")
    row.get_by_role("button", name="Save").click()
    page.wait_for_url("**#action-items")
    item.refresh_from_db()
    assert item.owner == w.alice

    page.get_by_role("button", name="Make this an action item: Raise the card gateway timeout to 5 s").click()
    page.wait_for_url("**#action-items")
    made = ActionItem.objects.get(incident_task__isnull=False)
    assert made.owner == w.alice
    assert page.locator(f"#action-item-{made.pk}").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.csp_complaints == []


def test_the_postmortem_and_overdue_pages_fit_a_phone_and_axe_finds_nothing_serious(
        live_server, phone_bypassing_csp, w, tmp_path):
    page = phone_bypassing_csp
    action_item_add(postmortem=w.postmortem, by=w.manager, title="Late " + "and long " * 12, priority="high",
                    owner=w.alice, due_on=timezone.localdate() - timedelta(days=3), ticket_url=LONG_TICKET)
    log_in_with_cookie(page, live_server, w.manager)
    for name, path in (("postmortem", f"/postmortems/{w.postmortem.pk}/"), ("overdue", "/postmortems/overdue/"),
                       ("profile", "/oncall/profile/")):
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        assert sideways_overflow(page) <= 0, name
        assert serious_accessibility_violations(page) == [], name
    page.goto(f"{live_server.url}/postmortems/overdue/")
    assert "Late and long" in page.locator("#main").inner_text()
