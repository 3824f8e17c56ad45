"""The web UI on a phone (issue 11 §1–2), in Debian's Chromium at 320–414 px: nothing scrolls
sideways, axe-core finds nothing serious, the main actions are big enough to tap, and the
incident pages update themselves without losing what the person is typing.

Screenshots of each step go to the test's tmp_path (pytest prints where with -v --basetemp)."""
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from incidents.models import ChangeEvent, Incident, IncidentAlertState, Service
from incidents.services import incident_acknowledge, integration_create, maintenance_window_create
from notifications.links import ack_token
from notifications.models import OutboxMessage
from oncall import schedules
from oncall.services import api_token_create
from tests.browser import (  # noqa: F401 - fixtures
    PHONE_WIDTHS, log_in_with_cookie, needs_chromium, phone, phone_bypassing_csp, serious_accessibility_violations,
    shared_browser,
    sideways_overflow,
)
from tests.factories import (
    ContactMethodFactory, EscalationPolicyFactory, IncidentFactory, LayerFactory, MembershipFactory, ServiceFactory,
    UserFactory,
)

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]

LONG_LABEL = "kubernetes_pod_name=checkout-api-deployment-7f9c8d6b5-x2x9z-averyveryverylongsuffixwithoutbreaks"


@pytest.fixture
def world():
    """A manager of a team with something on every page, long words included."""
    service = ServiceFactory(name="Checkout API", runbook_url="https://runbooks.example.com/checkout-api")
    team = service.team
    maria = MembershipFactory(team=team, role="manager", user=UserFactory(
        username="maria", first_name="Maria", last_name="Manager")).user
    alice = MembershipFactory(team=team, user=UserFactory(username="alice", first_name="Alice", last_name="Archer")).user
    ContactMethodFactory(user=maria, kind="sms", value="+14155550123", verified=True)
    ContactMethodFactory(user=maria, kind="email", value="maria.with.a.rather.long.address@example.com")
    api_token_create(user=maria, name="deploy script")
    schedules.calendar_feed_create(user=maria)
    schedule = schedules.schedule_create(team=team, name="Platform primary", time_zone="Europe/Berlin")
    today = timezone.now().date()
    LayerFactory(schedule=schedule, participants=[alice, maria], turn_unit="days",
                 start_date=today - timedelta(days=today.weekday()))
    policy = EscalationPolicyFactory(team=team, name="Checkout API escalation", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": schedule.pk}]},
        {"delay_minutes": 10, "targets": [{"kind": "user", "id": maria.pk}, {"kind": "team", "id": team.pk}]}])
    incident = IncidentFactory(
        service=service, title="Checkout p99 latency above 2 s on every web node in eu-west-1",
        details={"alerts": [{"status": "firing", "labels": {"alertname": "HighLatency", "instance": LONG_LABEL},
                             "annotations": {"summary": "p99 above 2 s " * 12},
                             "startsAt": "2026-07-01T11:58:00Z", "generatorURL": "https://grafana.example.com/d/x"}],
                 "query": "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))"},
        links=[{"href": "https://grafana.example.com/d/checkout?orgId=1&var-instance=" + "x" * 60, "text": ""}])
    for number, status in enumerate(("firing", "resolved")):
        IncidentAlertState.objects.create(
            incident=incident, fingerprint=f"fp{number}", status=status, summary="p99 above 2 s " * 12,
            severity="warning", labels={"alertname": "HighLatency", "instance": LONG_LABEL},
            annotations={"description": "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket" * 3},
            starts_at=timezone.now() - timedelta(minutes=9), runbook_url="https://runbooks.example.com/" + "y" * 80,
            generator_url="https://grafana.example.com/d/x?orgId=1&var-instance=" + "x" * 60)
    IncidentFactory(service=service, title="Disk 91% full on db1", dedup_key="disk-db1")
    link = f"http://testserver/a/{ack_token(incident_id=incident.pk, user_id=maria.pk)}"
    OutboxMessage.objects.create(user=maria, kind="sms", to="+14155550123",
                                 body=f"[Vigil] #{incident.number} {incident.title}. Ack: {link}")
    OutboxMessage.objects.create(user=maria, kind="email", to="maria.with.a.rather.long.address@example.com",
                                 subject=f"[Vigil] #{incident.number} {incident.title}", body="Acknowledge: " + link)
    Service.objects.filter(pk=service.pk).update(escalation_policy=policy)
    integration_create(service=service, kind="alertmanager", name=LONG_LABEL)  # 96 characters: the name holds 100
    maintenance_window_create(service=service, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1),
                              reason="Database upgrade " + LONG_LABEL, created_by=maria)
    ChangeEvent.objects.create(service=service, summary="Deployed checkout " + LONG_LABEL, source="ci")
    return {"maria": maria, "incident": incident, "schedule": schedule, "policy": policy, "link": link,
            "service": service}


def shot(page, tmp_path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def height(locator) -> float:
    return locator.bounding_box()["height"]


def test_a_responder_logs_in_and_acknowledges_from_the_list_on_a_phone(live_server, phone, world, tmp_path):
    page, incident = phone, world["incident"]
    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    shot(page, tmp_path, "01-login")
    assert height(page.get_by_role("button", name="Log in")) >= 44
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", "correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("table.incidents")
    shot(page, tmp_path, "02-list")

    # The list is a column of cards: no header row, each card as wide as the screen.
    assert not page.locator("table.incidents thead").is_visible() or height(page.locator("table.incidents thead")) <= 1
    card = page.locator("tr.incident-row", has_text=incident.title)
    assert card.bounding_box()["width"] <= 375
    number = card.get_by_role("link", name=f"Incident #{incident.number}")
    assert height(number) >= 44 and number.bounding_box()["width"] >= 44
    acknowledge = card.get_by_role("button", name=f"Acknowledge #{incident.number}")
    assert height(acknowledge) >= 44
    acknowledge.click()
    page.wait_for_selector("#incident-state .status-acknowledged")
    shot(page, tmp_path, "03-acknowledged")
    assert f"Incident #{incident.number} acknowledged." in page.inner_text("main")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED and incident.acknowledged_by == world["maria"]


def test_the_menu_collapses_behind_one_button_on_a_phone(live_server, phone, world, tmp_path):
    page = phone
    log_in_with_cookie(page, live_server, world["maria"])
    page.goto(f"{live_server.url}/")
    outbox = page.get_by_role("link", name="Outbox")
    assert not outbox.is_visible()
    menu = page.get_by_role("button", name="Menu")
    assert height(menu) >= 44
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert outbox.is_visible() and height(outbox) >= 44
    assert page.get_by_role("button", name="Log out").is_visible()
    shot(page, tmp_path, "menu-open")
    outbox.click()
    page.wait_for_url("**/notifications/outbox/")

    page.set_viewport_size({"width": 1280, "height": 800})  # on a desktop the links are simply there
    assert page.get_by_role("link", name="Schedules", exact=True).is_visible()
    assert not page.get_by_role("button", name="Menu").is_visible()

    # Keyboard users see where they are: the first Tab lands on a link with a visible outline.
    page.keyboard.press("Tab")
    outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                            "return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]; }")
    assert outline[0] == "A" and outline[1] != "none" and outline[2] != "0px", outline
    shot(page, tmp_path, "keyboard-focus")


def every_page(live_server, world) -> dict[str, str]:
    base = live_server.url
    return {
        "incident-list": f"{base}/", "incident": f"{base}/incidents/{world['incident'].pk}/",
        "oncall-now": f"{base}/oncall/", "schedules": f"{base}/oncall/schedules/",
        "schedule": f"{base}/oncall/schedules/{world['schedule'].pk}/", "policies": f"{base}/oncall/policies/",
        "policy": f"{base}/oncall/policies/{world['policy'].pk}/", "profile": f"{base}/oncall/profile/",
        "outbox": f"{base}/notifications/outbox/", "ack-link": world["link"].replace("http://testserver", base),
        "services": f"{base}/services/", "service": f"{base}/services/{world['service'].pk}/",
    }


def test_no_page_scrolls_sideways_on_a_phone_and_axe_finds_nothing_serious(
        live_server, phone_bypassing_csp, world, tmp_path):
    page = phone_bypassing_csp
    found_overflow, found_axe = {}, {}
    page.goto(f"{live_server.url}/login/")
    pages = {"login": f"{live_server.url}/login/", **every_page(live_server, world)}
    for name, url in pages.items():
        if name == "incident-list":
            log_in_with_cookie(page, live_server, world["maria"])
        for width in PHONE_WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(url)
            if overflow := sideways_overflow(page):
                found_overflow[f"{name}@{width}"] = overflow
            if width == 375:
                shot(page, tmp_path, f"page-{name}-375")
                if violations := serious_accessibility_violations(page):
                    found_axe[name] = violations
    assert found_overflow == {}, "pages wider than the screen (px too wide)"
    assert found_axe == {}


def test_the_main_actions_are_big_enough_to_tap(live_server, phone, world, tmp_path):
    page = phone
    log_in_with_cookie(page, live_server, world["maria"])
    pages = every_page(live_server, world)
    page.goto(pages["incident"])
    for name in ("Acknowledge", "Mitigate", "Resolve", "Escalate now", "Reassign", "Add note", "Post status update",
                 "Follow this incident"):
        assert height(page.get_by_role("button", name=name, exact=True)) >= 44, name
    assert height(page.get_by_label("Add a note")) >= 44
    page.get_by_text("Change severity").click()
    assert height(page.get_by_role("button", name="Set severity")) >= 44
    assert height(page.locator("label.choice", has_text="SEV1").first) >= 44
    assert height(page.locator(".alert-links a", has_text="Runbook").first) >= 44
    page.goto(pages["profile"])
    for name in ("Remove", "Revoke", "Send code", "Verify", "Save"):
        assert height(page.get_by_role("button", name=name, exact=True).first) >= 44, name
    page.goto(pages["schedule"])
    take = page.get_by_role("button", name="Take this shift").first
    assert height(take) >= 44
    page.goto(pages["policy"])
    assert height(page.locator("label.check", has_text="Alice Archer").first) >= 44
    assert height(page.locator("label", has_text="Remove this step").first) >= 44
    page.goto(pages["ack-link"])
    assert height(page.get_by_role("button", name="Acknowledge")) >= 44
    shot(page, tmp_path, "ack-link")
    page.goto(pages["service"])
    for name in ("Send a test alert", "Rotate token", "Disable", "End now", "Start maintenance", "Schedule"):
        assert height(page.get_by_role("button", name=name).first) >= 44, name
    assert height(page.get_by_text("Delete…")) >= 44


def test_the_incident_page_shows_an_acknowledgement_without_reload_and_keeps_what_is_typed(
        live_server, phone, world, tmp_path):
    page, incident, maria = phone, world["incident"], world["maria"]
    log_in_with_cookie(page, live_server, maria)
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Add a note").fill("Rolled back the 14:02 deploy; watching p99")
    page.get_by_label("Resolution summary").fill("Half-typed summary")
    page.get_by_label("Add a note").focus()
    shot(page, tmp_path, "01-typing")

    incident_acknowledge(incident=incident, by=maria, via="api")  # someone else, from elsewhere
    page.wait_for_selector("#incident-state .status-acknowledged", timeout=10_000)
    page.wait_for_selector("#incident-timeline .kind-acknowledged", timeout=10_000)
    shot(page, tmp_path, "02-acknowledged-live")
    assert page.get_by_label("Add a note").input_value() == "Rolled back the 14:02 deploy; watching p99"
    assert page.get_by_label("Resolution summary").input_value() == "Half-typed summary"
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1  # no reload

    page.get_by_role("button", name="Add note").click()
    page.wait_for_selector("#incident-timeline .kind-note")
    assert "Rolled back the 14:02 deploy" in page.inner_text("#incident-timeline")
    assert page.csp_complaints == []  # htmx and our script run under the policy, adding no inline style


def test_the_actions_follow_the_state_when_nobody_is_typing_in_them(live_server, phone, world, tmp_path):
    page, incident, maria = phone, world["incident"], world["maria"]
    log_in_with_cookie(page, live_server, maria)
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.wait_for_function("() => window.htmx !== undefined")
    assert page.get_by_role("button", name="Acknowledge", exact=True).is_visible()
    incident_acknowledge(incident=incident, by=maria, via="api")
    page.get_by_role("button", name="Un-acknowledge").wait_for(timeout=10_000)
    assert page.get_by_role("button", name="Acknowledge", exact=True).count() == 0
    shot(page, tmp_path, "actions-after-ack")


def test_the_incident_list_shows_a_new_incident_without_reload(live_server, phone, world, tmp_path):
    page = phone
    log_in_with_cookie(page, live_server, world["maria"])
    page.goto(f"{live_server.url}/")
    page.wait_for_function("() => window.htmx !== undefined")
    IncidentFactory(service=world["incident"].service, title="Payments webhook queue backing up", dedup_key="queue")
    page.wait_for_selector("text=Payments webhook queue backing up", timeout=10_000)
    shot(page, tmp_path, "new-incident-live")
    assert page.csp_complaints == []


def test_times_are_in_the_browsers_zone_for_someone_who_chose_none(live_server, shared_browser, world, tmp_path):
    context = shared_browser.new_context(viewport={"width": 375, "height": 800}, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        log_in_with_cookie(page, live_server, world["maria"])
        page.goto(f"{live_server.url}/incidents/{world['incident'].pk}/")  # the script stores the zone
        page.reload()
        assert "JST" in page.inner_text("#incident-fields")
        assert {"name": "vigil_tz", "value": "Asia/Tokyo"}.items() <= next(
            c for c in context.cookies() if c["name"] == "vigil_tz").items()
        page.screenshot(path=str(tmp_path / "tokyo.png"), full_page=True)
    finally:
        context.close()


def test_a_manager_creates_a_service_and_an_integration_on_a_phone_and_copies_its_url(
        live_server, phone, world, tmp_path):
    page, maria = phone, world["maria"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in_with_cookie(page, live_server, maria)
    page.goto(f"{live_server.url}/services/")
    page.get_by_label("Name").fill("Payments API")
    page.get_by_label("Runbook URL").fill("https://runbooks.example.com/payments")
    team_name = world["service"].team.name
    page.get_by_label("Escalation policy").select_option(label=f"Checkout API escalation ({team_name})")
    shot(page, tmp_path, "01-new-service")
    for box in ("Name", "Runbook URL", "Escalation policy", "Slack channel id"):
        assert height(page.get_by_label(box)) >= 44, box
    assert height(page.get_by_role("button", name="Create service")) >= 44
    page.get_by_role("button", name="Create service").click()
    page.wait_for_selector("h1:text('Payments API')")
    shot(page, tmp_path, "02-service")

    page.get_by_label("Kind").select_option("generic")
    page.locator("#integration_name").fill("Uptime checker")
    assert height(page.get_by_label("Rate limit (requests per minute)")) >= 44
    page.get_by_label("Rate limit (requests per minute)").fill("60")
    page.get_by_role("button", name="Add integration").click()
    url = page.locator("#new-secret-url").inner_text()
    assert "/integrations/" in url
    copy = page.get_by_role("button", name="Copy URL")
    assert height(copy) >= 44
    copy.click()
    page.wait_for_selector(".copy-status:text('Copied.')")
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    assert sideways_overflow(page) == 0
    shot(page, tmp_path, "03-integration-url-copied")
    assert "sessionid" in {c["name"] for c in page.context.cookies()}
    assert all(url.rsplit("/", 2)[-2] not in c["value"] for c in page.context.cookies())

    page.get_by_role("button", name="Send a test alert to Uptime checker").click()
    page.wait_for_selector("h1:has-text('Test alert from Uptime checker')")
    shot(page, tmp_path, "04-test-incident")
    assert Incident.objects.filter(title="Test alert from Uptime checker", status="triggered").exists()
    page.goto(f"{live_server.url}/services/")
    assert url not in page.content()  # shown once
    assert page.csp_complaints == []


def test_a_status_update_posted_from_a_phone_shows_on_the_page_and_the_timeline(live_server, phone, world, tmp_path):
    page = phone
    log_in_with_cookie(page, live_server, world["maria"])
    page.goto(f"{live_server.url}/incidents/{world['incident'].pk}/")
    updates = page.locator("#status-updates")
    updates.get_by_label("Conditions").fill("Checkout fails for 2% of EU users")
    updates.get_by_label("Actions").fill("Rolling back 4.2")
    page.get_by_role("button", name="Post status update").click()
    page.wait_for_url(f"**/incidents/{world['incident'].pk}/")
    assert updates.get_by_text("Rolling back 4.2").is_visible()
    assert page.locator("#incident-timeline .kind-status_update").count() == 1
    assert sideways_overflow(page) == 0
    shot(page, tmp_path, "status-update-posted")
