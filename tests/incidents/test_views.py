import re

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import Incident, TimelineEvent
from incidents.services import incident_acknowledge, incident_mitigate, incident_resolve
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(client, responder):
    client.force_login(responder)
    return client


@pytest.fixture
def viewer_client(client, team):
    client.force_login(MembershipFactory(team=team, role="viewer").user)
    return client


def detail_url(incident):
    return reverse("incidents:detail", args=[incident.pk])


def action_url(incident, action):
    return reverse(f"incidents:{action}", args=[incident.pk])


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def test_login_page_logs_a_person_in_and_lands_on_the_incident_list(client, responder):
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'name="password"' in page.content
    response = client.post("/login/", {"username": responder.username, "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:list")
    assert client.get("/").status_code == 200


def test_wrong_password_shows_the_login_form_again(client, responder):
    response = client.post("/login/", {"username": responder.username, "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content


def test_logout_is_a_post_form_and_ends_the_session(web):
    page = web.get("/")
    assert b'action="/logout/"' in page.content
    assert web.post("/logout/").status_code == 302
    assert web.get("/").status_code == 302


def test_nav_links_to_api_docs_and_admin_only_for_staff(web, responder):
    page = web.get("/").content.decode()
    assert 'href="/api/docs/"' in page
    assert 'href="/admin/"' not in page
    responder.is_staff = True
    responder.save(update_fields=["is_staff"])
    assert 'href="/admin/"' in web.get("/").content.decode()


def test_list_shows_only_incidents_of_the_viewers_teams(web, service, other_team):
    mine = IncidentFactory(service=service, title="Checkout is slow")
    IncidentFactory(service=ServiceFactory(team=other_team), title="Someone else's outage")
    page = web.get("/").content.decode()
    assert "Checkout is slow" in page
    assert f'href="{detail_url(mine)}"' in page
    assert "Someone else" not in page


def test_list_shows_the_columns_of_each_incident(web, service):
    incident = IncidentFactory(service=service, title="Disk full", dedup_key="disk", severity="SEV2", urgency="low")
    IncidentFactory(service=service, title="Disk full", dedup_key="disk")  # a second alert, same incident
    page = web.get("/").content.decode()
    row = page[page.index(f"#{incident.number}<"):]
    row = row[: row.index("</tr>")]
    for text in ("Disk full", service.name, "Triggered", "SEV2", "Low", "ago", ">2</td>"):
        assert text in row


@pytest.mark.parametrize(
    "tab, expected",
    [
        ("open", {"Fire A", "Fire B", "Fire C"}),
        ("triggered", {"Fire A"}),
        ("acknowledged", {"Fire B"}),
        ("resolved", {"Fire D"}),
        ("all", {"Fire A", "Fire B", "Fire C", "Fire D"}),
        ("nonsense", {"Fire A", "Fire B", "Fire C"}),
    ],
)
def test_status_tabs_filter_the_list(web, service, responder, tab, expected):
    IncidentFactory(service=service, title="Fire A")
    incident_acknowledge(incident=IncidentFactory(service=service, title="Fire B"), by=responder, via="web")
    incident_mitigate(incident=IncidentFactory(service=service, title="Fire C"), by=responder, via="web")
    incident_resolve(incident=IncidentFactory(service=service, title="Fire D"), by=responder, via="web")
    page = web.get("/", {"status": tab}).content.decode()
    shown = {title for title in ("Fire A", "Fire B", "Fire C", "Fire D") if title in page}
    assert shown == expected


def test_list_is_paginated_and_keeps_the_status_filter(web, service):
    for i in range(30):
        IncidentFactory(service=service, title=f"Alert number {i:02d}")
    first = web.get("/", {"status": "all"}).content.decode()
    assert "Alert number 29" in first and "Alert number 04" not in first
    older = re.search(r'href="\?status=all&amp;older=([\w-]+)"', first).group(1)
    second = web.get("/", {"status": "all", "older": older}).content.decode()
    assert "Alert number 04" in second and "Alert number 00" in second and "Alert number 05" not in second
    assert "Older" not in second
    newer = re.search(r'href="\?status=all&amp;newer=([\w-]+)"', second).group(1)
    back = web.get("/", {"status": "all", "newer": newer}).content.decode()
    assert "Alert number 29" in back and "Alert number 05" in back and "Alert number 04" not in back
    assert "Newer" not in back


def test_incident_page_shows_fields_timeline_and_the_buttons_that_apply(web, incident):
    page = web.get(detail_url(incident)).content.decode()
    assert incident.title in page
    assert "Triggered: Disk full on db1" in page  # the timeline's first line
    assert f'action="{action_url(incident, "acknowledge")}"' in page
    assert f'action="{action_url(incident, "resolve")}"' in page
    assert f'action="{action_url(incident, "reopen")}"' not in page
    assert "csrfmiddlewaretoken" in page


def test_incident_text_is_escaped(web, service):
    incident = IncidentFactory(service=service, title="<script>alert(1)</script>")
    page = web.get(detail_url(incident)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_acknowledge_button_acknowledges_through_the_web(web, incident, responder):
    response = web.post(action_url(incident, "acknowledge"))
    assert response.status_code == 302
    assert response["Location"] == detail_url(incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.ACKNOWLEDGED
    assert incident.acknowledged_by == responder
    event = incident.timeline.get(kind="acknowledged")
    assert (event.via, event.actor) == (TimelineEvent.Via.WEB, responder)


@pytest.mark.parametrize("action, status", [("mitigate", "mitigated"), ("resolve", "resolved")])
def test_mitigate_and_resolve_buttons_record_the_optional_note(web, incident, action, status):
    web.post(action_url(incident, action), {"note": "Rolled back deploy 4711"})
    incident.refresh_from_db()
    assert incident.status == status
    assert incident.timeline.get(kind=status).text == "Rolled back deploy 4711"


def test_reopen_button_triggers_a_resolved_incident_again(web, incident, responder):
    incident_resolve(incident=incident, by=responder, via="web")
    web.post(action_url(incident, "reopen"), {"note": "Errors are back"})
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED
    assert incident.timeline.get(kind="reopened").via == TimelineEvent.Via.WEB


def test_acknowledging_what_someone_else_acknowledged_shows_who_did(web, incident, team):
    other = MembershipFactory(team=team).user
    incident_acknowledge(incident=incident, by=other, via="sms")
    response = web.post(action_url(incident, "acknowledge"), follow=True)
    assert response.status_code == 200
    expected = f"Incident #{incident.number} is already acknowledged by {other.username}"
    assert f'class="message warning" role="status">{expected}' in response.content.decode()


def test_an_impossible_transition_is_a_message_not_an_error_page(web, incident):
    response = web.post(action_url(incident, "reopen"), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'class="message error" role="status">Incident #{incident.number} is triggered' in page
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED


def test_a_runbook_link_that_is_not_a_web_address_is_not_a_link(web, incident):
    incident.service.runbook_url = "javascript:alert(1)"
    incident.service.save(update_fields=["runbook_url"])
    page = web.get(detail_url(incident)).content.decode()
    assert "javascript:" not in page


def test_get_on_an_action_url_changes_nothing(web, incident):
    assert web.get(action_url(incident, "acknowledge")).status_code == 405
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED


def test_another_teams_incident_is_not_found(web, other_team):
    theirs = IncidentFactory(service=ServiceFactory(team=other_team))
    assert web.get(detail_url(theirs)).status_code == 404
    assert web.post(action_url(theirs, "acknowledge")).status_code == 404
    assert web.post(reverse("incidents:note", args=[theirs.pk]), {"text": "hi"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Incident.Status.TRIGGERED
    assert not theirs.timeline.filter(kind="note").exists()


def test_viewer_sees_the_incident_without_buttons_and_cannot_act(viewer_client, incident):
    page = viewer_client.get(detail_url(incident)).content.decode()
    assert incident.title in page
    assert f'action="{action_url(incident, "acknowledge")}"' not in page
    assert "Add note" not in page
    assert viewer_client.post(action_url(incident, "acknowledge")).status_code == 403
    assert viewer_client.post(reverse("incidents:note", args=[incident.pk]), {"text": "hi"}).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED
    assert not incident.timeline.filter(kind="note").exists()


def test_note_form_adds_a_note_to_the_timeline(web, incident, responder):
    response = web.post(reverse("incidents:note", args=[incident.pk]), {"text": "Looking at db1 now"}, follow=True)
    assert "Looking at db1 now" in response.content.decode()
    note = incident.timeline.get(kind="note")
    assert (note.text, note.actor, note.via) == ("Looking at db1 now", responder, TimelineEvent.Via.WEB)


def test_a_blank_note_is_refused_and_the_form_is_shown_again(web, incident):
    response = web.post(reverse("incidents:note", args=[incident.pk]), {"text": "   "})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not incident.timeline.filter(kind="note").exists()


def test_actions_without_a_csrf_token_are_refused(responder, incident):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    assert client.post(action_url(incident, "acknowledge")).status_code == 403
    incident.refresh_from_db()
    assert incident.status == Incident.Status.TRIGGERED
