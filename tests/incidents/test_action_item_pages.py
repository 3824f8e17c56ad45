"""The action items on the postmortem page (the partial and its forms), on the person's profile,
and on the overdue page: without JavaScript, team-scoped, refusals naming the problem."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import ActionItem, IncidentTask, Postmortem
from incidents.services.action_items import action_item_add, action_item_status_set, postmortem_action_items
from tests.factories import UserFactory
from tests.incidents.action_item_helpers import postmortem_world

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def w():
    return postmortem_world()


def form(next="", **fields):
    return {"new-title": "Alert on card declines", "new-priority": "high", "new-owner": "", "new-due_on": "",
            "new-ticket_url": "", "next": next, **{f"new-{k}": v for k, v in fields.items()}}


def add(w, **fields):
    return action_item_add(**{"postmortem": w.postmortem, "by": w.manager, "title": "Alert on card declines",
                              "priority": "medium", **fields})


def partial(w, user, *, can_edit=True):
    request = RequestFactory().get(f"/postmortems/{w.postmortem.pk}/")
    request.user = user
    return render_to_string("incidents/postmortems/_action_items.html", {
        "postmortem": w.postmortem, "action_items": postmortem_action_items(w.postmortem), "can_edit": can_edit,
    }, request=request)


def test_a_responder_adds_an_action_item_with_an_owner_and_returns_to_the_page(client, w):
    client.force_login(w.alice)
    response = client.post(f"/postmortems/{w.postmortem.pk}/action-items/", form(
        owner=w.alice.pk, due_on="2026-12-20", ticket_url="https://jira.example/PAY-1",
        next=f"/postmortems/{w.postmortem.pk}/"))
    assert response.status_code == 302
    assert response["Location"] == f"/postmortems/{w.postmortem.pk}/#action-items"
    item = ActionItem.objects.get()
    assert (item.owner, str(item.due_on), item.priority, item.created_by) == (w.alice, "2026-12-20", "high", w.alice)


def test_an_offsite_next_is_ignored(client, w):
    client.force_login(w.alice)
    response = client.post(f"/postmortems/{w.postmortem.pk}/action-items/", form(next="https://evil.example/"))
    assert response.status_code == 302 and "evil" not in response["Location"]


@pytest.mark.parametrize("fields, problem", [
    ({"ticket_url": "javascript:alert(1)"}, "must be a web address starting with https://"),
    ({"title": ""}, "This field is required"),
    ({"due_on": "next week"}, "Enter a valid date"),
    ({"priority": "urgent"}, "Select a valid choice"),
])
def test_a_refused_add_answers_400_naming_the_problem_keeps_the_input_and_stores_nothing(client, w, fields, problem):
    client.force_login(w.alice)
    response = client.post(f"/postmortems/{w.postmortem.pk}/action-items/", form(**fields))
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not ActionItem.objects.exists()


def test_an_owner_outside_the_team_is_refused(client, w):
    client.force_login(w.alice)
    response = client.post(f"/postmortems/{w.postmortem.pk}/action-items/", form(owner=w.outsider.pk))
    assert response.status_code == 400 and not ActionItem.objects.exists()


def test_viewers_cannot_change_action_items_and_other_teams_do_not_see_them(client, w):
    item = add(w)
    client.force_login(w.viewer)
    assert client.post(f"/postmortems/{w.postmortem.pk}/action-items/", form()).status_code == 403
    assert client.post(f"/action-items/{item.pk}/status/", {"status": "done"}).status_code == 403
    client.force_login(w.outsider)
    assert client.post(f"/postmortems/{w.postmortem.pk}/action-items/", form()).status_code == 404
    assert client.get(f"/action-items/{item.pk}/").status_code == 404
    item.refresh_from_db()
    assert item.status == "open" and ActionItem.objects.count() == 1


def test_the_status_control_marks_an_item_done_and_a_bad_status_is_refused(client, w):
    item = add(w, owner=w.alice)
    client.force_login(w.alice)
    assert client.post(f"/action-items/{item.pk}/status/", {"status": "finished"}).status_code == 400
    assert client.post(f"/action-items/{item.pk}/status/", {"status": "done"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "done" and item.completed_at is not None


def test_the_edit_form_changes_the_owner_and_due_date(client, w):
    item = add(w)
    client.force_login(w.alice)
    page = client.get(f"/action-items/{item.pk}/")
    assert page.status_code == 200 and "Alert on card declines" in page.content.decode()
    prefix = f"ai{item.pk}-"
    response = client.post(f"/action-items/{item.pk}/", {
        prefix + "title": "Alert on card declines per issuer", prefix + "owner": w.manager.pk,
        prefix + "due_on": "2026-12-24", prefix + "priority": "low", prefix + "ticket_url": ""})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.owner, str(item.due_on), item.priority) == (
        "Alert on card declines per issuer", w.manager, "2026-12-24", "low")
    bad = client.post(f"/action-items/{item.pk}/", {prefix + "title": "x", prefix + "priority": "low",
                                                    prefix + "ticket_url": "data:text/html,hi"})
    assert bad.status_code == 400 and "must be a web address" in bad.content.decode()


def test_an_open_incident_task_is_offered_and_made_an_action_item_once(client, w):
    task = IncidentTask.objects.create(incident=w.incident, title="Raise the gateway timeout", owner=w.alice)
    IncidentTask.objects.create(incident=w.incident, title="Finished already", done_at=timezone.now())
    html = partial(w, w.alice)
    assert "Raise the gateway timeout" in html and "Finished already" not in html
    client.force_login(w.alice)
    url = f"/postmortems/{w.postmortem.pk}/tasks/{task.pk}/action-item/"
    assert client.post(url).status_code == 302
    item = ActionItem.objects.get()
    assert (item.title, item.owner, item.incident_task) == ("Raise the gateway timeout", w.alice, task)
    assert "Make this an action item" not in partial(w, w.alice)
    assert client.post(url).status_code == 400
    assert ActionItem.objects.count() == 1


def test_the_partial_lists_owner_due_date_priority_status_ticket_and_marks_overdue_items(w):
    add(w, title="Late one", owner=w.alice, due_on=TODAY() - timedelta(days=2),
        ticket_url="https://jira.example/PAY-7")
    add(w, title="Unowned one")
    html = partial(w, w.alice)
    late = html[html.index("Late one"):html.index("Unowned one")]
    assert "Overdue" in late and "payments-alice" in late and "Medium priority" in late and ">Open<" in late
    assert 'href="https://jira.example/PAY-7"' in late
    assert "needs an owner before the postmortem can be closed" in html
    assert "Add an action item" in html
    assert not re.search(r"<script|style=|\son[a-z]+=", html)


def test_a_viewer_sees_the_list_without_the_controls(w):
    add(w, title="Late one", owner=w.alice)
    html = partial(w, w.viewer, can_edit=False)
    assert "Late one" in html
    assert "<form" not in html


def test_a_stored_javascript_ticket_link_never_becomes_a_link(w):
    item = add(w)
    ActionItem.objects.filter(pk=item.pk).update(ticket_url="javascript:alert(1)")
    assert 'href="javascript' not in partial(w, w.alice)


def test_the_profile_lists_the_persons_open_action_items_overdue_first(client, w):
    today = TODAY()
    add(w, title="Later item", owner=w.alice, due_on=today + timedelta(days=4))
    add(w, title="Overdue item", owner=w.alice, due_on=today - timedelta(days=1))
    action_item_status_set(item=add(w, title="Done item", owner=w.alice), by=w.alice, status="done")
    add(w, title="Someone else's", owner=w.manager)
    client.force_login(w.alice)
    html = client.get("/oncall/profile/").content.decode()
    section = html[html.index("Your action items"):]
    assert section.index("Overdue item") < section.index("Later item")
    assert "Done item" not in section and "Someone else" not in section


def test_the_overdue_page_lists_overdue_items_and_reviews_of_my_teams_only(client, w):
    today = TODAY()
    add(w, title="Overdue item", due_on=today - timedelta(days=3))
    add(w, title="Due today", due_on=today)
    Postmortem.objects.filter(pk=w.postmortem.pk).update(review_due_on=today - timedelta(days=1))
    other = postmortem_world(team_name="Search")
    action_item_add(postmortem=other.postmortem, by=other.manager, title="Search team item", priority="low",
                    due_on=today - timedelta(days=3))
    client.force_login(w.alice)
    html = client.get("/postmortems/overdue/").content.decode()
    assert "Overdue item" in html and "Due today" not in html and "Search team item" not in html
    reviews = html[html.index('id="overdue-reviews"'):]
    assert "Card payments fail" in reviews and "Nobody" not in reviews
    assert 'href="/postmortems/overdue/"' in html  # in the navigation


def test_the_overdue_page_runs_as_many_queries_for_many_rows_as_for_one(client, w):
    client.force_login(w.alice)
    today = TODAY()

    def grow(n):
        for i in range(n):
            other = postmortem_world(team_name=f"Team{next_number()}")
            other.postmortem.team.memberships.create(user=w.alice, role="responder")
            Postmortem.objects.filter(pk=other.postmortem.pk).update(review_due_on=today - timedelta(days=1))
            action_item_add(postmortem=other.postmortem, by=other.manager, title=f"qc item {i}", priority="low",
                            owner=other.alice, due_on=today - timedelta(days=2))

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/postmortems/overdue/").status_code == 200
        return len(queries)

    grow(1)
    count()
    one = count()
    grow(10)
    assert count() == one


@pytest.mark.parametrize("path", ["/postmortems/{pk}/", "/oncall/profile/"])
def test_the_postmortem_page_and_the_profile_run_as_many_queries_for_many_items_as_for_one(client, w, path):
    """Each item with an owner of its own and an incident task it came from."""
    client.force_login(w.alice)
    url = path.format(pk=w.postmortem.pk)
    today = TODAY()

    def grow(n):
        for _ in range(n):
            i = next_number()
            owner = w.team.memberships.create(user=UserFactory(username=f"owner{i}"), role="responder").user
            task = IncidentTask.objects.create(incident=w.incident, title=f"qc task {i}", owner=owner)
            add(w, title=f"qc item {i}", owner=owner, due_on=today - timedelta(days=i % 3), incident_task=task)
            add(w, title=f"qc mine {i}", owner=w.alice, due_on=today + timedelta(days=i % 5),
                ticket_url=f"https://jira.example/PAY-{i}")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode().count("qc ")

    grow(1)
    count()
    one, shown = count()
    grow(15)
    many, shown_after = count()
    assert shown_after > shown
    assert many == one


_numbers = iter(range(1, 10_000))


def next_number():
    return next(_numbers)


def test_the_postmortem_page_refuses_to_close_while_an_item_has_no_owner_until_it_gets_one(client, w):
    Postmortem.objects.filter(pk=w.postmortem.pk).update(status="reviewed")
    item = add(w, title="Runbook for declines")
    client.force_login(w.manager)
    response = client.post(f"/postmortems/{w.postmortem.pk}/status/", {"to": "closed"}, follow=True)
    assert "Give every action item an owner before closing" in response.content.decode()
    assert "“Runbook for declines”" in response.content.decode()
    w.postmortem.refresh_from_db()
    assert w.postmortem.status == "reviewed"

    prefix = f"ai{item.pk}-"
    client.post(f"/action-items/{item.pk}/", {prefix + "title": item.title, prefix + "owner": w.alice.pk,
                                              prefix + "priority": "medium"})
    client.post(f"/postmortems/{w.postmortem.pk}/status/", {"to": "closed"})
    w.postmortem.refresh_from_db()
    assert w.postmortem.status == "closed"


def test_the_postmortem_page_shows_the_action_items_with_their_controls(client, w):
    add(w, title="Late one", owner=w.alice, due_on=TODAY() - timedelta(days=1))
    client.force_login(w.alice)
    html = client.get(f"/postmortems/{w.postmortem.pk}/").content.decode()
    assert 'id="action-items"' in html and "Late one" in html and "Add an action item" in html
    client.force_login(w.viewer)
    html = client.get(f"/postmortems/{w.postmortem.pk}/").content.decode()
    assert "Late one" in html and "Add an action item" not in html
