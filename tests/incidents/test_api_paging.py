"""The API actions that restart paging: escalate now, reassign, un-acknowledge; and the service's
acknowledgement timeout."""
import pytest

from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_resolve
from oncall.policies import policy_create
from tests.factories import ApiClient, IncidentFactory, MembershipFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def incident_url(incident, action=""):
    return f"/api/v1/incidents/{incident.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def api(responder):
    return ApiClient(responder)


@pytest.fixture
def colleague(team):
    return MembershipFactory(team=team, user=UserFactory(username="carol")).user


@pytest.fixture
def database_policy(team, colleague):
    return policy_create(team=team, name="Database", steps=[
        {"delay_minutes": 10, "targets": [{"kind": "user", "id": colleague.pk}]}])


def test_escalate_pages_the_next_step_and_kicks_the_engine(api, responder, incident, sent_tasks,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(incident_url(incident, "escalate"))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["paging_round"]) == ("triggered", 1)
    assert body["timeline"][-1] | {"at": None, "id": None, "data": None} == {
        "at": None, "id": None, "data": None, "kind": "escalated", "actor": responder.username, "via": "api",
        "text": f"Escalated to the next step by {responder.username}"}
    assert [incident.pk] in [t["args"] for t in sent_tasks.named("notifications.escalate")]


def test_escalating_a_resolved_incident_is_refused_with_the_reason(api, responder, incident):
    incident_resolve(incident=incident, by=responder, via="web")
    response = api.post(incident_url(incident, "escalate"))
    assert response.status_code == 400
    assert "resolved" in response.json()["detail"]


def test_unacknowledge_puts_the_incident_back_to_triggered(api, responder, incident, colleague):
    incident_acknowledge(incident=incident, by=colleague, via="sms")
    response = api.post(incident_url(incident, "unacknowledge"), {"reason": "carol is off sick"})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["acknowledged_by"], body["acknowledged_at"]) == ("triggered", None, None)
    assert (body["timeline"][-1]["kind"], body["timeline"][-1]["text"]) == ("unacknowledged", "carol is off sick")


def test_unacknowledging_a_triggered_incident_is_409(api, incident):
    response = api.post(incident_url(incident, "unacknowledge"))
    assert response.status_code == 409
    assert "already triggered" in response.json()["detail"]


def test_reassign_to_a_person_of_the_team(api, responder, incident, colleague):
    incident_acknowledge(incident=incident, by=responder, via="web")
    response = api.post(incident_url(incident, "reassign"), {"user": colleague.pk})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assignee"]) == ("triggered", "carol")
    assert body["timeline"][-1]["text"] == f"Reassigned to carol by {responder.username}"
    assert body["timeline"][-1]["data"] == {"user": colleague.pk}


def test_reassign_to_another_policy(api, incident, database_policy):
    response = api.post(incident_url(incident, "reassign"), {"escalation_policy": database_policy.pk})
    assert response.status_code == 200
    assert (response.json()["escalation_policy"], response.json()["assignee"]) == (database_policy.pk, None)


def test_reassign_targets_outside_ones_teams_look_like_missing_ones(api, incident, other_team):
    stranger = MembershipFactory(team=other_team).user
    foreign_policy = policy_create(team=other_team, name="Theirs", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": stranger.pk}]}])
    answers = {}
    for field, pk in [("user", stranger.pk), ("user", 10**9), ("escalation_policy", foreign_policy.pk),
                      ("escalation_policy", 10**9)]:
        response = api.post(incident_url(incident, "reassign"), {field: pk})
        assert response.status_code == 400
        answers.setdefault(field, set()).add(response.json()["detail"].replace(str(pk), "N"))
    assert [len(texts) for texts in answers.values()] == [1, 1]
    assert "in your teams" in answers["user"].pop()
    assert Incident.objects.get(pk=incident.pk).paging_round == 0


def test_reassign_needs_exactly_one_target(api, incident, colleague, database_policy):
    for body in ({}, {"user": colleague.pk, "escalation_policy": database_policy.pk}):
        response = api.post(incident_url(incident, "reassign"), body)
        assert response.status_code == 400
        assert "either user or escalation_policy" in response.json()["detail"]


def test_viewers_cannot_escalate_reassign_or_unacknowledge(team, incident, colleague):
    viewer = ApiClient(MembershipFactory(team=team, role="viewer").user)
    for action, body in [("escalate", {}), ("reassign", {"user": colleague.pk}), ("unacknowledge", {})]:
        response = viewer.post(incident_url(incident, action), body)
        assert response.status_code == 403, action
        assert "viewer" in response.json()["detail"]


def test_another_teams_incident_is_404_for_the_new_actions(api, other_team):
    theirs = IncidentFactory(service=ServiceFactory(team=other_team))
    for action in ("escalate", "reassign", "unacknowledge"):
        assert api.post(incident_url(theirs, action), {}).status_code == 404


def test_ack_timeout_is_set_through_the_service_api_and_validated(team, service):
    manager = ApiClient(MembershipFactory(team=team, role="manager").user)
    url = f"/api/v1/services/{service.pk}/"
    assert manager.patch(url, {"ack_timeout_minutes": 30}).json()["ack_timeout_minutes"] == 30
    response = manager.patch(url, {"ack_timeout_minutes": 0})
    assert response.status_code == 400
    assert "ack_timeout_minutes" in response.json()["errors"]
    assert manager.patch(url, {"ack_timeout_minutes": None}).json()["ack_timeout_minutes"] is None
    assert manager.patch(url, {"name": "renamed"}).json()["ack_timeout_minutes"] is None


def test_incident_shows_nobody_was_paged(api, incident):
    assert api.get(incident_url(incident)).json()["unreachable_since"] is None
    Incident.objects.filter(pk=incident.pk).update(unreachable_since="2026-01-01T00:00:00Z")
    assert api.get(incident_url(incident)).json()["unreachable_since"] == "2026-01-01T00:00:00Z"


def test_ack_timeout_is_offered_in_the_service_admin(client, service):
    from tests.factories import SuperuserFactory

    client.force_login(SuperuserFactory(username="root"))
    page = client.get(f"/admin/incidents/service/{service.pk}/change/").content.decode()
    assert 'name="ack_timeout_minutes"' in page
