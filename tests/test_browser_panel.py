"""The guided Communicate → Learn → Act panel in Debian's Chromium at phone widths (issue 11 §4):
a responder walks an incident from acknowledgement through severity, a status update, roles,
evidence, a hypothesis, a task and mitigation to a resolution summary, each step landing on
the timeline, nothing wider than the screen, every control big enough to tap.

Screenshots of each step go to the test's tmp_path (pytest prints where with -v --basetemp)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Alert, ChangeEvent, Incident
from incidents.services import incident_acknowledge
from incidents.status_updates import status_update_post
from incidents.workflow import incident_finding_add, incident_role_assign, incident_task_add
from tests.browser import (  # noqa: F401 - fixtures
    PHONE_WIDTHS, log_in_with_cookie, needs_chromium, phone, phone_bypassing_csp, serious_accessibility_violations,
    shared_browser, sideways_overflow,
)
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, UserFactory

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]

LONG_URL = "https://grafana.example.com/d/checkout?orgId=1&var-instance=" + "x" * 80


@pytest.fixture
def world():
    service = ServiceFactory(name="Checkout API", runbook_url="https://runbooks.example.com/checkout-api")
    team = service.team
    maria = MembershipFactory(team=team, role="manager", user=UserFactory(
        username="maria", first_name="Maria", last_name="Manager")).user
    alice = MembershipFactory(team=team, user=UserFactory(username="alice", first_name="Alice", last_name="Archer")).user
    now = timezone.now()
    ChangeEvent.objects.create(service=service, summary="Deploy checkout-api v2026.12.1 " + "long-build-id-" * 6,
                               occurred_at=now - timedelta(minutes=40), source="deploy-bot")
    Alert.objects.create(service=service, dedup_key="warn", summary="Checkout p95 above 1 s (warning)",
                         received_at=now - timedelta(hours=1))
    # maria has taken a page before, so her panel folds the steps she has done; alice never has.
    incident_acknowledge(incident=IncidentFactory(service=service, title="Last week's"), by=maria, via="web")
    incident = IncidentFactory(service=service, title="Checkout p99 latency above 2 s on every web node")
    return {"maria": maria, "alice": alice, "incident": incident}


def shot(page, tmp_path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def height(locator) -> float:
    return locator.bounding_box()["height"]


def submit(page, button, timeline_kind: str, nth: int = 0) -> None:
    assert height(button) >= 44
    button.click()
    page.locator(f"#incident-timeline .kind-{timeline_kind}").nth(nth).wait_for()


def test_a_responder_walks_the_panel_from_acknowledgement_to_a_resolution_summary_on_a_phone(
        live_server, phone, world, tmp_path):
    page, incident, maria = phone, world["incident"], world["maria"]
    log_in_with_cookie(page, live_server, maria)
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    assert "Next: Acknowledge" in page.inner_text(".panel-next")
    assert page.get_by_role("link", name="Change the severity").get_attribute("href") == "#severity"
    learn = page.inner_text("#step-learn")
    assert "Deploy checkout-api v2026.12.1" in learn and "Checkout p95 above 1 s" in learn
    assert page.get_by_role("link", name="Runbook of Checkout API").is_visible()
    shot(page, tmp_path, "01-panel")

    submit(page, page.get_by_role("button", name="Acknowledge", exact=True), "acknowledged")
    # Severity: the meanings are on the page; when unsure, the higher one.
    page.locator(".severity-change > summary").click()
    page.locator('input[name="severity"][value="SEV2"]').check()
    submit(page, page.get_by_role("button", name="Set severity"), "severity_changed")
    assert "Severity SEV3 → SEV2" in page.inner_text("#incident-timeline")
    shot(page, tmp_path, "02-severity")
    # The acknowledger is the commander by default; the first status update is what Communicate lacks.
    assert "Next: Post the first status update" in page.inner_text(".panel-next")
    updates = page.locator("#status-updates")
    updates.get_by_label("Conditions").fill("Checkout is slow on every web node")
    updates.get_by_label("Actions").fill("Looking at the 11:35 deploy")
    submit(page, page.get_by_role("button", name="Post status update"), "status_update")
    # Communicate is done: the step folds away.
    assert page.locator("#step-communicate").get_attribute("open") is None
    assert "Next: Describe the symptoms" in page.inner_text(".panel-next")
    shot(page, tmp_path, "02-acknowledged")
    communicate = page.locator("#step-communicate > summary")
    assert height(communicate) >= 44
    communicate.click()
    assert "maria (acknowledged, so by default)" in page.inner_text("#item-commander")

    page.get_by_label("Scribe", exact=True).select_option(label="Alice Archer")
    submit(page, page.get_by_role("button", name="Set scribe"), "role_assigned")
    assert "Scribe: alice" in page.inner_text("#incident-timeline")
    shot(page, tmp_path, "03-roles")

    page.get_by_label("New evidence").fill("LB log: 502s from every web node since 11:40")
    page.locator("#finding-evidence-url").fill(LONG_URL)
    submit(page, page.get_by_role("button", name="Add evidence"), "evidence_added")
    assert "before any change" in page.inner_text("#item-evidence")
    shot(page, tmp_path, "04-evidence")

    page.get_by_label("New hypothesis").fill("The deploy shrank the connection pool")
    submit(page, page.get_by_role("button", name="Add hypothesis"), "hypothesis_added")
    assert "owner maria" in page.inner_text("#item-hypothesis")
    shot(page, tmp_path, "05-hypothesis")

    page.get_by_label("New task").fill("Compare the pool settings with the last release")
    page.locator("#task-owner").select_option(label="Alice Archer")
    submit(page, page.get_by_role("button", name="Add task"), "task_added")
    submit(page, page.get_by_role("button", name="Done: Compare the pool settings with the last release"), "task_done")
    shot(page, tmp_path, "06-task")

    page.get_by_label("How the impact was stopped").fill("Rolled back to v2026.11.30")
    submit(page, page.get_by_role("button", name="Mark mitigated"), "mitigated")
    page.wait_for_selector("#incident-state .status-mitigated")
    assert "Next: Verify the impact is over" in page.inner_text(".panel-next")
    shot(page, tmp_path, "07-mitigated")

    page.get_by_label("Summary: what was wrong and what fixed it").fill("A deploy shrank the DB pool; rolled back.")
    submit(page, page.get_by_role("button", name="Resolve with this summary"), "resolved")
    page.wait_for_selector("#incident-state .status-resolved")
    assert "Resolution summary: A deploy shrank the DB pool; rolled back." in page.inner_text("#incident-timeline")
    shot(page, tmp_path, "08-resolved")

    timeline = page.inner_text("#incident-timeline")
    for words in ("Acknowledged by maria", "Severity SEV3 → SEV2", "Checkout is slow on every web node", "Scribe: alice", "Evidence: LB log", "Hypothesis: The deploy shrank",
                  "Task: Compare the pool", "Done: Compare the pool", "Rolled back to v2026.11.30"):
        assert words in timeline, words
    assert sideways_overflow(page) == 0
    assert page.csp_complaints == []
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED


def test_the_panel_fits_a_phone_and_axe_finds_nothing_serious(live_server, phone_bypassing_csp, world, tmp_path):
    page, incident, maria, alice = phone_bypassing_csp, world["incident"], world["maria"], world["alice"]
    incident_acknowledge(incident=incident, by=maria, via="web")
    status_update_post(incident=incident, by=maria, via="web", conditions="Slow checkout", actions="Rolling back")
    incident_role_assign(incident=incident, role="scribe", user=alice, by=maria, via="web")
    incident_finding_add(incident=incident, kind="evidence", text="x" * 300, url=LONG_URL, by=maria, via="web")
    incident_finding_add(incident=incident, kind="candidate_action", text="Roll back", by=maria, via="web")
    incident_task_add(incident=incident, title="A task with a rather long title " * 3, owner=alice, by=maria, via="web")
    log_in_with_cookie(page, live_server, maria)
    found = {}
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/incidents/{incident.pk}/")
        if overflow := sideways_overflow(page):
            found[width] = overflow
        shot(page, tmp_path, f"panel-{width}")
    assert found == {}, "panel wider than the screen (px too wide)"
    page.set_viewport_size({"width": 375, "height": 800})
    page.locator("#step-communicate > summary").click()  # done, so folded
    page.locator("#panel").screenshot(path=str(tmp_path / "panel-only-375.png"))
    for name in ("Set commander", "Add symptom", "Add evidence", "Choose", "Add task", "Mark mitigated",
                 "Resolve with this summary"):
        assert height(page.get_by_role("button", name=name).first) >= 44, name
    assert height(page.locator("#step-act > summary")) >= 44
    assert serious_accessibility_violations(page) == []


def test_a_first_timers_first_page_opens_every_step_with_why_it_matters_on_a_phone(
        live_server, phone, world, tmp_path):
    page, incident, alice = phone, world["incident"], world["alice"]
    log_in_with_cookie(page, live_server, alice)
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    for key, words in (("communicate", "Tell people you have it"), ("learn", "Gather evidence before changing"),
                       ("act", "Mitigate first")):
        assert page.locator(f"#step-{key}").get_attribute("open") is not None, key
        why = page.locator(f"#step-{key} .step-why")
        assert why.is_visible() and words in why.inner_text(), key
    assert page.locator("#steps-help").count() == 0
    shot(page, tmp_path, "first-timer-375")
    assert sideways_overflow(page) == 0
    assert page.csp_complaints == []

    # Once she has taken a page, the help is one tap away instead.
    incident_acknowledge(incident=incident, by=alice, via="web")
    later = IncidentFactory(service=incident.service, title="The next one")
    page.goto(f"{live_server.url}/incidents/{later.pk}/")
    assert page.locator(".step-why").count() == 0
    help_ = page.locator("#steps-help > summary")
    assert help_.inner_text() == "What do these steps mean?" and height(help_) >= 44
    help_.click()
    assert "Mitigate first" in page.inner_text("#steps-help")
    assert sideways_overflow(page) == 0
