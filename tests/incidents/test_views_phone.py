"""The pages on a phone and in the viewer's zone (issue 11 §1–2), as the server renders them; the
browser checks (widths, tap targets, axe, live updates) are in tests/test_browser_phone.py."""
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from incidents.services import incident_acknowledge
from oncall.contacts import profile_time_zone_set
from tests.factories import IncidentFactory, MembershipFactory
from tests.test_security_headers import inline_code

pytestmark = pytest.mark.django_db

TRIGGERED_AT = datetime(2026, 7, 1, 12, 0, tzinfo=dt_timezone.utc)


@pytest.fixture
def web(client, responder):
    client.force_login(responder)
    return client


@pytest.fixture
def july_incident(service):
    with time_machine.travel(TRIGGERED_AT, tick=False):
        return IncidentFactory(service=service, title="Checkout latency", details={"alerts": [
            {"status": "firing", "labels": {"instance": "web1"}, "startsAt": "2026-07-01T11:58:00.123456789Z"},
            {"status": "firing", "labels": {"instance": "web2"}, "startsAt": "not a time"},
        ]})


def detail(client, incident, **headers) -> str:
    response = client.get(reverse("incidents:detail", args=[incident.pk]), **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_times_show_in_the_zone_saved_in_the_profile(web, responder, july_incident):
    profile_time_zone_set(user=responder, time_zone="Europe/Berlin")
    with time_machine.travel(TRIGGERED_AT + timedelta(minutes=4), tick=False):
        html = detail(web, july_incident)
    assert "Wed 1 Jul 14:00 CEST" in html  # 12:00 UTC in Berlin's summer time
    assert "4 min ago" in html
    assert "12:00:00 UTC" not in html


def test_times_follow_the_browsers_zone_when_the_profile_has_none(web, july_incident):
    web.cookies["vigil_tz"] = "America/New_York"
    with time_machine.travel(TRIGGERED_AT + timedelta(hours=2), tick=False):
        html = detail(web, july_incident)
    assert "Wed 1 Jul 08:00 EDT" in html
    assert "2 h ago" in html


def test_the_profiles_zone_wins_over_the_browsers(web, responder, july_incident):
    profile_time_zone_set(user=responder, time_zone="Asia/Tokyo")
    web.cookies["vigil_tz"] = "America/New_York"
    assert "Wed 1 Jul 21:00 JST" in detail(web, july_incident)


@pytest.mark.parametrize("cookie", ["Not/AZone", "../../../etc/passwd", "America", "x" * 300, ""])
def test_a_zone_cookie_that_is_not_an_iana_name_is_ignored(web, july_incident, cookie):
    web.cookies["vigil_tz"] = cookie
    assert "Wed 1 Jul 12:00 UTC" in detail(web, july_incident)


def test_alert_since_values_are_shown_as_times_not_iso_strings(web, responder, july_incident):
    profile_time_zone_set(user=responder, time_zone="Europe/Berlin")
    html = detail(web, july_incident)
    assert "2026-07-01T11:58:00.123456789Z" not in html
    assert "Wed 1 Jul 13:58 CEST" in html
    assert "not a time" in html  # what cannot be read as a time is shown as it came


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=10), "just now"), (timedelta(minutes=4), "4 min ago"), (timedelta(hours=3, minutes=20), "3 h 20 min ago"),
    (timedelta(hours=9, minutes=20), "9 h ago"), (timedelta(days=3), "3 days ago"), (-timedelta(minutes=30), "in 30 min"),
])
def test_relative_times_read_as_people_say_them(delta, text):
    with time_machine.travel(TRIGGERED_AT + delta, tick=False):
        assert Template("{% load when %}{{ at|ago }}").render(Context({"at": TRIGGERED_AT})) == text


def test_the_note_box_comes_right_after_the_actions_not_below_the_timeline(web, july_incident):
    html = detail(web, july_incident)
    note = html.index('action="' + reverse("incidents:note", args=[july_incident.pk]))
    assert html.index('id="incident-actions"') < note < html.index("Dedup key") < html.index("<h2>Timeline</h2>")


def test_the_incident_page_polls_only_its_live_parts(web, july_incident):
    html = detail(web, july_incident)
    assert f'hx-get="{reverse("incidents:detail", args=[july_incident.pk])}"' in html
    assert 'hx-trigger="every 4s"' in html and 'hx-swap="none"' in html
    live = ("#incident-state,#incident-actions,#incident-postmortem,#incident-fields,#incident-alerts,#incident-timeline,"
            "#incident-recent-alerts")
    assert f'hx-select-oob="{live}"' in html
    assert "{#" not in html and "#}" not in html  # Django comments are one line: a longer one shows on the page
    note_form = html[html.index('<form method="post" action="' + reverse("incidents:note", args=[july_incident.pk])):]
    note_form = note_form[:note_form.index("</form>")]
    assert "id=" not in note_form.replace('id="id_text"', "")  # the note box is in none of the swapped parts


def test_the_incident_list_polls_itself(web, july_incident):
    html = web.get("/?status=open").content.decode()
    assert 'hx-get="/?status=open"' in html and 'hx-select-oob="#incident-list"' in html


def test_a_poll_leaves_the_messages_for_the_next_page(web, july_incident):
    assert web.post(reverse("incidents:acknowledge", args=[july_incident.pk])).status_code == 302
    poll = web.get(reverse("incidents:detail", args=[july_incident.pk]), HTTP_HX_REQUEST="true")
    assert "acknowledged." not in poll.content.decode().split("<main", 1)[1].split('id="incident-state"')[0]
    page = web.get(reverse("incidents:detail", args=[july_incident.pk]))
    assert f"Incident #{july_incident.number} acknowledged." in page.content.decode()


def test_htmx_is_served_from_our_static_files_and_adds_no_inline_style(web, july_incident):
    html = detail(web, july_incident)
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false' in html
    assert inline_code(html) == []
    assert web.get("/static/vendor/htmx.min.js").status_code == 200


def test_a_responder_can_acknowledge_from_the_list(web, july_incident):
    html = web.get("/").content.decode()
    assert f'action="{reverse("incidents:acknowledge", args=[july_incident.pk])}"' in html


def test_a_viewer_gets_no_acknowledge_button_in_the_list(client, team, july_incident):
    client.force_login(MembershipFactory(team=team, role="viewer").user)
    html = client.get("/").content.decode()
    assert f'action="{reverse("incidents:acknowledge", args=[july_incident.pk])}"' not in html
    assert "Checkout latency" in html


def test_an_acknowledged_incident_has_no_acknowledge_button_in_the_list(web, responder, july_incident):
    incident_acknowledge(incident=july_incident, by=responder, via="web")
    html = web.get("/").content.decode()
    assert f'action="{reverse("incidents:acknowledge", args=[july_incident.pk])}"' not in html


@pytest.mark.parametrize("path", ["/", "incident", "/oncall/", "/oncall/schedules/", "/oncall/policies/",
                                  "/oncall/profile/", "/notifications/outbox/"])
def test_every_list_becomes_cards_on_a_phone_and_the_menu_collapses(web, july_incident, path):
    html = web.get(reverse("incidents:detail", args=[july_incident.pk]) if path == "incident" else path).content.decode()
    assert 'class="nav-toggle" aria-expanded="false" aria-controls="main-nav"' in html
    for table in html.split("<table")[1:]:
        assert 'cards' in table.split(">")[0] or "oncall-now" in table.split(">")[0], table[:80]


def test_the_policy_editor_offers_checkboxes_a_phone_can_tick(client, team, responder):
    from tests.factories import EscalationPolicyFactory

    manager = MembershipFactory(team=team, role="manager").user
    policy = EscalationPolicyFactory(team=team, steps=[{"delay_minutes": 5, "targets": [
        {"kind": "user", "id": responder.pk}]}])
    client.force_login(manager)
    html = client.get(reverse("oncall:policy", args=[policy.pk])).content.decode()
    assert " multiple" not in html.split('class="stacked policy-editor"')[1]
    assert f'<input type="checkbox" name="steps-0-targets" value="user:{responder.pk}" checked>' in html
    assert f'<input type="checkbox" name="steps-0-targets" value="team:{team.pk}">' in html
    assert "Ctrl" not in html


def test_the_api_answers_in_utc_whatever_zone_the_person_chose(web, responder, july_incident):
    profile_time_zone_set(user=responder, time_zone="Europe/Berlin")
    web.cookies["vigil_tz"] = "Asia/Tokyo"
    response = web.get(f"/api/v1/incidents/{july_incident.pk}/")
    assert response.status_code == 200
    assert response.json()["triggered_at"] == "2026-07-01T12:00:00Z"


def test_the_schedule_page_adds_the_browsers_zone_for_someone_who_chose_none(web, team, responder):
    from oncall import schedules
    from tests.factories import LayerFactory

    schedule = schedules.schedule_create(team=team, name="Primary", time_zone="Europe/Berlin")
    LayerFactory(schedule=schedule, participants=[responder])
    url = reverse("oncall:schedule", args=[schedule.pk])
    assert "Your time" not in web.get(url).content.decode()
    web.cookies["vigil_tz"] = "Asia/Tokyo"
    html = web.get(url).content.decode()
    assert "Your time (Asia/Tokyo)" in html
