"""/api/v1/action-items/: team-scoped list with filters, create on a postmortem, partial update
with status; refusals name the field; query counts do not grow with the list."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import ActionItem, Postmortem
from incidents.services.action_items import action_item_add
from tests.factories import ApiClient
from tests.incidents.action_item_helpers import postmortem_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/action-items/"


@pytest.fixture
def w():
    return postmortem_world()


def add(w, **fields):
    return action_item_add(**{"postmortem": w.postmortem, "by": w.manager, "title": "Alert on card declines",
                              "priority": "medium", **fields})


def test_a_responder_creates_an_action_item_with_an_owner_and_the_timeline_says_api(w):
    response = ApiClient(w.alice).post(URL, {"postmortem": w.postmortem.pk, "title": "Alert on declines",
                                             "owner": w.alice.pk, "due_on": "2026-12-20", "priority": "high",
                                             "ticket_url": "https://jira.example/PAY-3"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["owner_username"], body["due_on"], body["status"], body["incident"], body["overdue"]) == (
        w.alice.username, "2026-12-20", "open", w.incident.pk, False)
    assert w.incident.timeline.get(kind="action_item_added").via == "api"


@pytest.mark.parametrize("body, problem", [
    ({"ticket_url": "javascript:alert(1)"}, "must be a web address"),
    ({"priority": "urgent"}, "priority"),
    ({"colour": "red"}, "colour: Unknown field."),
    ({"due_on": "soon"}, "due_on"),
])
def test_bad_input_is_a_400_naming_the_problem_and_stores_nothing(w, body, problem):
    response = ApiClient(w.alice).post(URL, {"postmortem": w.postmortem.pk, "title": "T", **body})
    assert response.status_code == 400
    assert problem in response.json()["detail"]
    assert not ActionItem.objects.exists()


def test_an_owner_outside_the_team_is_refused(w):
    response = ApiClient(w.alice).post(URL, {"postmortem": w.postmortem.pk, "title": "T", "owner": w.outsider.pk})
    assert response.status_code == 400
    assert "must be a member of team Payments" in response.json()["detail"]


def test_other_teams_cannot_see_or_add_and_viewers_cannot_change(w):
    item = add(w)
    outsider = ApiClient(w.outsider)
    assert outsider.get(URL).json()["results"] == []
    assert outsider.get(f"{URL}{item.pk}/").status_code == 404
    assert outsider.post(URL, {"postmortem": w.postmortem.pk, "title": "T"}).status_code == 400
    assert outsider.patch(f"{URL}{item.pk}/", {"status": "done"}).status_code == 404
    viewer = ApiClient(w.viewer)
    assert viewer.get(f"{URL}{item.pk}/").status_code == 200
    assert viewer.patch(f"{URL}{item.pk}/", {"status": "done"}).status_code == 403
    assert viewer.post(URL, {"postmortem": w.postmortem.pk, "title": "T"}).status_code == 403
    assert ActionItem.objects.count() == 1


def test_partial_update_changes_fields_and_status_together(w):
    item = add(w)
    response = ApiClient(w.alice).patch(f"{URL}{item.pk}/", {"owner": w.alice.pk, "status": "done"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["owner"], body["status"]) == (w.alice.pk, "done") and body["completed_at"]
    response = ApiClient(w.alice).patch(f"{URL}{item.pk}/", {"status": "in_progress"})
    assert response.json()["completed_at"] is None


def test_the_list_filters_by_owner_status_overdue_and_team(w):
    today = timezone.localdate()
    mine_late = add(w, title="Mine and late", owner=w.alice, due_on=today - timedelta(days=1))
    mine_done = add(w, title="Mine and done", owner=w.alice, due_on=today - timedelta(days=1))
    ApiClient(w.alice).patch(f"{URL}{mine_done.pk}/", {"status": "done"})
    theirs = add(w, title="Theirs", owner=w.manager, due_on=today + timedelta(days=3))
    api = ApiClient(w.alice)

    def ids(query):
        response = api.get(URL + query)
        assert response.status_code == 200, response.json()
        return [r["id"] for r in response.json()["results"]]

    assert ids("?owner=me") == [mine_late.pk, mine_done.pk]
    assert ids("?owner=me&status=open") == [mine_late.pk]
    assert ids("?overdue=true") == [mine_late.pk]
    assert ids("?overdue=false") == [mine_done.pk, theirs.pk]
    assert ids(f"?owner={w.manager.pk}") == [theirs.pk]
    assert ids(f"?team={w.team.pk}&postmortem={w.postmortem.pk}") == [mine_late.pk, mine_done.pk, theirs.pk]
    assert api.get(URL + "?status=closed").status_code == 400
    assert api.get(URL + "?overdue=yes").status_code == 400
    assert api.get(URL + "?owner=someone").status_code == 400


def test_the_list_runs_as_many_queries_for_50_items_as_for_1(w):
    api = ApiClient(w.alice)

    def grow(n):
        for i in range(n):
            other = postmortem_world(team_name=f"Grow{ActionItem.objects.count()}x{i}")
            other.team.memberships.create(user=w.alice, role="responder")
            action_item_add(postmortem=other.postmortem, by=other.manager, title=f"item {i}", priority="low",
                            owner=other.alice, due_on=timezone.localdate())

    def counted():
        with CaptureQueriesContext(connection) as queries:
            response = api.get(URL)
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    grow(1)
    api.get(URL)
    one, shown = counted()
    grow(49)
    fifty, shown_after = counted()
    assert (shown, shown_after) == (1, 50)
    assert fifty == one


def test_the_api_refuses_to_close_a_postmortem_while_an_item_has_no_owner(w):
    Postmortem.objects.filter(pk=w.postmortem.pk).update(status="reviewed")
    item = add(w, title="Runbook for declines")
    api = ApiClient(w.manager)
    response = api.post(f"/api/v1/postmortems/{w.postmortem.pk}/status/", {"status": "closed"})
    assert response.status_code == 400
    assert "“Runbook for declines”" in response.json()["detail"]
    assert api.patch(f"{URL}{item.pk}/", {"owner": w.alice.pk}).status_code == 200
    assert api.post(f"/api/v1/postmortems/{w.postmortem.pk}/status/", {"status": "closed"}).status_code == 200
