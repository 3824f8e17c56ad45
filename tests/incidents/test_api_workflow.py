"""/api/v1/incidents/<id>/roles/, /findings/, /tasks/ (incidents/api/workflow.py)."""
import pytest

from incidents.models import IncidentFinding, IncidentRole, IncidentTask
from tests.factories import ApiClient, IncidentFactory, MembershipFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(responder):
    return ApiClient(responder)


def base(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}"


def test_roles_are_assigned_listed_and_left_unassigned(api, incident, responder, team):
    bob = MembershipFactory(team=team).user
    response = api.post(f"{base(incident)}/roles/", {"role": "commander", "user": bob.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["username"] == bob.username
    listed = api.get(f"{base(incident)}/roles/").json()
    assert [(r["role"], r["user"], r["assigned_by"]) for r in listed] == [("commander", bob.pk, responder.username)]
    assert api.delete(f"{base(incident)}/roles/commander/").status_code == 204
    assert not IncidentRole.objects.exists()
    event = incident.timeline.get(kind="role_unassigned")
    assert (event.actor, event.via) == (responder, "api")
    assert api.delete(f"{base(incident)}/roles/commander/").status_code == 404


def test_a_role_for_someone_outside_the_team_is_a_400_naming_the_field(api, incident, other_team):
    outsider = MembershipFactory(team=other_team).user
    response = api.post(f"{base(incident)}/roles/", {"role": "commander", "user": outsider.pk})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("user: Must be a responder or manager of team")
    assert not IncidentRole.objects.exists()


def test_findings_are_recorded_filtered_chosen_and_removed(api, incident, responder):
    evidence = api.post(f"{base(incident)}/findings/",
                        {"kind": "evidence", "text": "LB log", "url": "https://logs.example.com/1"})
    assert evidence.status_code == 201, evidence.json()
    assert evidence.json()["created_by"] == responder.username and evidence.json()["created_at"]
    action = api.post(f"{base(incident)}/findings/", {"kind": "candidate_action", "text": "roll back"}).json()
    assert [f["kind"] for f in api.get(f"{base(incident)}/findings/", {"kind": "evidence"}).json()] == ["evidence"]
    chosen = api.patch(f"{base(incident)}/findings/{action['id']}/", {"chosen": True})
    assert chosen.status_code == 200 and chosen.json()["chosen"] is True
    assert api.delete(f"{base(incident)}/findings/{evidence.json()['id']}/").status_code == 204
    assert list(IncidentFinding.objects.values_list("kind", flat=True)) == ["candidate_action"]
    assert incident.timeline.filter(kind="evidence_removed", via="api", actor=responder).exists()


def test_a_hypothesis_names_its_owner_and_defaults_to_the_author(api, incident, responder):
    response = api.post(f"{base(incident)}/findings/", {"kind": "hypothesis", "text": "pool exhausted"})
    assert response.json()["owner_username"] == responder.username


@pytest.mark.parametrize("body, message", [
    ({"kind": "evidence", "text": "x", "url": "javascript:alert(1)"}, "must be a web address"),
    ({"kind": "gossip", "text": "x"}, "kind:"),
    ({"kind": "symptom", "text": "x", "colour": "red"}, "colour: Unknown field."),
    ({"kind": "symptom"}, "text:"),
])
def test_bad_findings_are_a_400_that_stores_nothing(api, incident, body, message):
    response = api.post(f"{base(incident)}/findings/", body)
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not IncidentFinding.objects.exists()


def test_an_unknown_kind_filter_is_a_400(api, incident):
    response = api.get(f"{base(incident)}/findings/", {"kind": "gossip"})
    assert response.status_code == 400 and response.json()["detail"].startswith("kind:")


def test_tasks_are_added_done_undone_and_removed(api, incident, responder):
    task = api.post(f"{base(incident)}/tasks/", {"title": "Page the DB team", "owner": responder.pk})
    assert task.status_code == 201 and task.json()["done"] is False
    done = api.patch(f"{base(incident)}/tasks/{task.json()['id']}/", {"done": True}).json()
    assert done["done"] is True and done["done_at"]
    assert api.patch(f"{base(incident)}/tasks/{task.json()['id']}/", {"done": False}).json()["done"] is False
    assert [t["title"] for t in api.get(f"{base(incident)}/tasks/").json()] == ["Page the DB team"]
    assert api.delete(f"{base(incident)}/tasks/{task.json()['id']}/").status_code == 204
    assert not IncidentTask.objects.exists()
    kinds = list(incident.timeline.filter(kind__startswith="task_").values_list("kind", flat=True))
    assert kinds == ["task_added", "task_done", "task_reopened", "task_removed"]


def test_a_viewer_reads_but_cannot_write(incident, team):
    viewer = ApiClient(MembershipFactory(team=team, role="viewer").user)
    assert viewer.get(f"{base(incident)}/tasks/").status_code == 200
    response = viewer.post(f"{base(incident)}/tasks/", {"title": "x"})
    assert response.status_code == 403 and "only responders and managers can add tasks" in response.json()["detail"]
    assert not IncidentTask.objects.exists()


@pytest.mark.parametrize("part", ["roles", "findings", "tasks"])
def test_another_teams_incident_is_a_404(api, other_team, part):
    theirs = IncidentFactory(service=ServiceFactory(team=other_team))
    assert api.get(f"{base(theirs)}/{part}/").status_code == 404
    assert api.post(f"{base(theirs)}/{part}/", {"role": "commander", "user": 1, "kind": "symptom",
                                                 "text": "x", "title": "x"}).status_code == 404


def test_a_row_of_another_incident_is_a_404(api, incident, responder):
    other = IncidentFactory(service=incident.service, dedup_key="other")
    task = api.post(f"{base(other)}/tasks/", {"title": "x"}).json()
    assert api.patch(f"{base(incident)}/tasks/{task['id']}/", {"done": True}).status_code == 404
    assert api.delete(f"{base(incident)}/tasks/{task['id']}/").status_code == 404


def test_without_a_token_it_is_a_401(client, incident):
    assert client.get(f"{base(incident)}/roles/").status_code == 401
