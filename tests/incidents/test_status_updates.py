"""Status updates on the incident page and in the API: conditions, actions and needs; one
timeline line each; the next update's timer by severity; following an incident."""
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from incidents.models import IncidentSubscription, StatusUpdate
from incidents.services import incident_acknowledge, incident_resolve
from incidents.status_updates import (
    UPDATE_EVERY,
    incidents_update_overdue,
    status_update_post,
    update_due_at,
)
from oncall.models import Membership
from tests.factories import ApiClient, EscalationPolicyFactory, IncidentFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def web(client, responder):
    client.force_login(responder)
    return client


@pytest.fixture
def viewer(team):
    return MembershipFactory(team=team, role=Membership.Role.VIEWER).user


def post_url(incident):
    return reverse("incidents:status_update", args=[incident.pk])


def api_url(incident):
    return f"/api/v1/incidents/{incident.pk}/status-updates/"


UPDATE = {"conditions": "Checkout fails for 2% of EU users", "actions": "Rolling back 4.2", "needs": "A DBA"}


def test_posting_an_update_stores_it_writes_one_timeline_line_and_publishes_after_commit(
        web, incident, responder, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(post_url(incident), UPDATE)
    assert response.status_code == 302
    update = StatusUpdate.objects.get()
    assert (update.author, update.via, update.needs) == (responder, "web", "A DBA")
    line = incident.timeline.get(kind="status_update")
    assert line.text == "Conditions: Checkout fails for 2% of EU users\nActions: Rolling back 4.2\nNeeds: A DBA"
    assert sent_tasks.named("notifications.status_update_publish")[0]["args"] == [update.pk]
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Rolling back 4.2" in page and 'id="status-updates"' in page


def test_an_update_without_actions_is_refused_and_what_was_typed_stays(web, incident, sent_tasks):
    response = web.post(post_url(incident), {"conditions": "Checkout is down", "actions": "   "})
    assert response.status_code == 400
    assert "Checkout is down" in response.content.decode()
    assert not StatusUpdate.objects.exists() and not incident.timeline.filter(kind="status_update").exists()
    assert not sent_tasks.named("notifications.status_update_publish")


def test_a_viewer_cannot_post_an_update_but_can_follow_the_incident(client, incident, viewer):
    client.force_login(viewer)
    assert client.post(post_url(incident), UPDATE).status_code == 403
    assert "Post status update" not in client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    follow = reverse("incidents:follow", args=[incident.pk])
    assert client.post(follow, {"follow": "yes"}).status_code == 302
    assert IncidentSubscription.objects.filter(incident=incident, user=viewer).count() == 1
    client.post(follow, {"follow": "no"})
    assert not IncidentSubscription.objects.exists()


def test_another_teams_incident_can_be_neither_updated_nor_followed(client, incident, other_team):
    outsider = MembershipFactory(team=other_team, role=Membership.Role.MANAGER).user
    client.force_login(outsider)
    assert client.post(post_url(incident), UPDATE).status_code == 404
    assert client.post(reverse("incidents:follow", args=[incident.pk])).status_code == 404
    api = ApiClient(outsider)
    assert api.get(api_url(incident)).status_code == 404
    assert api.post(api_url(incident), UPDATE).status_code == 404
    assert api.client.put(f"/api/v1/incidents/{incident.pk}/subscription/").status_code == 404
    assert not StatusUpdate.objects.exists() and not IncidentSubscription.objects.exists()


def test_the_page_says_when_the_next_update_is_due_and_when_it_is_overdue(web, service, responder, clock):
    incident = IncidentFactory(service=service, severity="SEV1")
    detail = reverse("incidents:detail", args=[incident.pk])
    assert "once someone acknowledges" in web.get(detail).content.decode()
    incident_acknowledge(incident=incident, by=responder, via="web")
    clock.shift(timedelta(minutes=18))
    assert "Next update due in 12 min" in web.get(detail).content.decode()
    clock.shift(timedelta(minutes=17))
    assert "Next update overdue by 5 min" in web.get(detail).content.decode()
    status_update_post(incident=incident, by=responder, via="web", conditions="c", actions="a")
    assert "Next update due in 30 min" in web.get(detail).content.decode()


def test_the_next_update_is_due_by_severity_after_the_last_update_or_the_acknowledgement(incident, responder, clock):
    assert update_due_at(incident=incident) is None  # nobody has it yet
    incident = incident_acknowledge(incident=incident, by=responder, via="web")
    assert update_due_at(incident=incident) == incident.acknowledged_at + UPDATE_EVERY["SEV3"]
    clock.shift(timedelta(minutes=7))
    update = status_update_post(incident=incident, by=responder, via="web", conditions="c", actions="a")
    assert update_due_at(incident=incident) == update.created_at + timedelta(minutes=120)
    incident.severity = "SEV4"
    assert update_due_at(incident=incident) is None
    incident = incident_resolve(incident=incident, by=responder, via="web")
    incident.severity = "SEV1"
    assert update_due_at(incident=incident) is None


def test_overdue_incidents_are_found_in_one_query(service, responder, clock, django_assert_num_queries):
    sev1 = IncidentFactory(service=service, severity="SEV1", dedup_key="a")
    sev2 = IncidentFactory(service=service, severity="SEV2", dedup_key="b")
    IncidentFactory(service=service, severity="SEV1", dedup_key="never acknowledged")
    for incident in (sev1, sev2):
        incident_acknowledge(incident=incident, by=responder, via="web")
    clock.shift(timedelta(minutes=45))
    status_update_post(incident=sev2, by=responder, via="web", conditions="c", actions="a")
    with django_assert_num_queries(1):
        found = list(incidents_update_overdue(now=timezone.now()))
    assert [i.pk for i in found] == [sev1.pk]


def test_api_posts_and_lists_updates_with_the_next_due_time(service, responder, clock):
    incident = IncidentFactory(service=service, severity="SEV2")
    incident_acknowledge(incident=incident, by=responder, via="web")
    api = ApiClient(responder)
    created = api.post(api_url(incident), {"conditions": "c1", "actions": "a1"})
    assert created.status_code == 201 and created.json()["via"] == "api" and created.json()["needs"] == ""
    clock.shift(timedelta(minutes=5))
    api.post(api_url(incident), UPDATE)
    listed = api.get(api_url(incident)).json()
    assert [u["conditions"] for u in listed["results"]] == [UPDATE["conditions"], "c1"]
    assert listed["overdue"] is False
    assert listed["next_update_due_at"] == (timezone.now() + timedelta(minutes=60)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("body,field", [
    ({"actions": "a"}, "conditions"),
    ({"conditions": "c", "actions": ""}, "actions"),
    ({"conditions": "c", "actions": "a", "needs": "n" * 5001}, "needs"),
    ({"conditions": "c", "actions": "a", "need": "typo"}, "need"),
])
def test_api_refuses_a_bad_update_naming_the_field(incident, responder, body, field):
    response = ApiClient(responder).post(api_url(incident), body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}:")
    assert not StatusUpdate.objects.exists()


def test_api_viewer_can_read_and_follow_but_not_post(incident, viewer):
    api = ApiClient(viewer)
    assert api.get(api_url(incident)).status_code == 200
    refused = api.post(api_url(incident), UPDATE)
    assert refused.status_code == 403 and "post status updates" in refused.json()["detail"]
    subscription = f"/api/v1/incidents/{incident.pk}/subscription/"
    assert api.client.put(subscription).json() == {"incident": incident.pk, "subscribed": True}
    assert api.get(subscription).json()["subscribed"] is True
    assert api.delete(subscription).json()["subscribed"] is False
    assert not IncidentSubscription.objects.exists()


def test_a_service_takes_a_major_incident_policy_of_its_own_team_only(team, other_team):
    manager = MembershipFactory(team=team, role=Membership.Role.MANAGER).user
    MembershipFactory(team=other_team, role=Membership.Role.MANAGER, user=manager)
    service = ServiceFactory(team=team)
    ours, theirs = EscalationPolicyFactory(team=team), EscalationPolicyFactory(team=other_team)
    api = ApiClient(manager)
    refused = api.patch(f"/api/v1/services/{service.pk}/", {"major_incident_policy": theirs.pk})
    assert refused.status_code == 400 and refused.json()["detail"].startswith("major_incident_policy:")
    assert api.patch(f"/api/v1/services/{service.pk}/", {"major_incident_policy": ours.pk}).json()[
        "major_incident_policy"] == ours.pk
    service.refresh_from_db()
    assert service.major_incident_policy == ours
    assert api.patch(f"/api/v1/services/{service.pk}/", {"major_incident_policy": None}).status_code == 200
    service.refresh_from_db()
    assert service.major_incident_policy is None


def test_status_update_and_follow_forms_without_a_csrf_token_are_refused(incident, responder):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(responder)
    assert browser.post(post_url(incident), UPDATE).status_code == 403
    assert browser.post(reverse("incidents:follow", args=[incident.pk])).status_code == 403
    assert not StatusUpdate.objects.exists() and not IncidentSubscription.objects.exists()


def test_what_an_update_says_is_escaped_on_the_page(web, incident, responder):
    status_update_post(incident=incident, by=responder, via="web", conditions="<script>alert(1)</script>",
                       actions="<b>rollback</b>")
    page = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
