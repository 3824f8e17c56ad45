"""Action items of a postmortem: who may own them, what a ticket link may be, their status, the
timeline line each change writes, and the reads other features share."""
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.models import ActionItem, IncidentTask, Postmortem
from incidents.services import IncidentError
from incidents.services.action_items import (
    action_item_add,
    action_item_status_set,
    action_item_update,
    action_items_overdue,
    action_items_without_owner,
    open_action_items,
    postmortem_reviews_overdue,
)
from tests.incidents.action_item_helpers import postmortem_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return postmortem_world()


def add(w, **fields):
    return action_item_add(**{"postmortem": w.postmortem, "by": w.manager, "title": "Alert on card declines",
                              "priority": "high", **fields})


def test_an_action_item_is_added_with_its_owner_due_date_and_ticket_and_written_on_the_timeline(w):
    item = add(w, owner=w.alice, due_on=date(2026, 12, 20), ticket_url="https://jira.example/browse/PAY-12")
    assert (item.owner, item.team, item.status, item.priority) == (w.alice, w.team, "open", "high")
    line = w.incident.timeline.get(kind="action_item_added")
    assert line.actor == w.manager
    assert line.text == ("Action item added: Alert on card declines "
                         "(payments-alice, due 2026-12-20, high priority)")


@pytest.mark.parametrize("fields, problem", [
    ({"title": "  "}, "needs a title"),
    ({"title": "x" * 501}, "limited to 500 characters"),
    ({"priority": "urgent"}, "Unknown priority 'urgent'"),
    ({"ticket_url": "javascript:alert(1)"}, "must be a web address starting with https://"),
    ({"ticket_url": "data:text/html,<script>alert(1)</script>"}, "must be a web address"),
    ({"ticket_url": "ftp://tickets.example/1"}, "must be a web address"),
])
def test_bad_input_is_refused_naming_the_problem_and_stores_nothing(w, fields, problem):
    with pytest.raises(IncidentError, match=problem):
        add(w, **fields)
    assert not ActionItem.objects.exists()
    assert not w.incident.timeline.filter(kind__startswith="action_item").exists()


def test_the_owner_must_be_a_member_of_the_postmortems_team(w):
    with pytest.raises(IncidentError, match="must be a member of team Payments; payments-outsider is not"):
        add(w, owner=w.outsider)
    item = add(w, owner=w.alice)
    with pytest.raises(IncidentError, match="member of team Payments"):
        action_item_update(item=item, by=w.manager, changes={"owner": w.outsider})
    item.refresh_from_db()
    assert item.owner == w.alice


def test_changes_are_written_on_the_timeline_with_what_they_were(w):
    item = add(w, owner=w.alice)
    item = action_item_update(item=item, by=w.alice, changes={"owner": w.manager, "due_on": date(2026, 12, 24),
                                                              "title": "Alert on card declines"})
    assert (item.owner, item.due_on) == (w.manager, date(2026, 12, 24))
    line = w.incident.timeline.get(kind="action_item_changed")
    assert line.actor == w.alice
    assert line.data["fields"] == ["due_on", "owner"]
    assert "(payments-lead, due 2026-12-24, high priority) (was Alert on card declines (payments-alice" in line.text


def test_an_update_that_changes_nothing_writes_nothing(w):
    item = add(w, owner=w.alice)
    action_item_update(item=item, by=w.alice, changes={"owner": w.alice, "title": item.title})
    assert not w.incident.timeline.filter(kind="action_item_changed").exists()


def test_an_update_naming_an_unknown_field_is_refused(w):
    item = add(w)
    with pytest.raises(IncidentError, match="no field team"):
        action_item_update(item=item, by=w.alice, changes={"team": w.team, "title": "Other"})
    item.refresh_from_db()
    assert item.title == "Alert on card declines"


def test_done_and_wont_do_stamp_completed_at_and_reopening_clears_it(w):
    item = add(w, owner=w.alice)
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        item = action_item_status_set(item=item, by=w.alice, status="done")
        assert item.completed_at == timezone.now()
    item = action_item_status_set(item=item, by=w.alice, status="in_progress")
    assert item.completed_at is None
    item = action_item_update(item=item, by=w.alice, changes={"status": "wont_do"})
    assert item.status == "wont_do" and item.completed_at is not None
    texts = list(w.incident.timeline.filter(kind="action_item_status").order_by("id").values_list("text", flat=True))
    assert texts == ["Action item done (was open): Alert on card declines",
                     "Action item in progress (was done): Alert on card declines",
                     "Action item won't do (was in progress): Alert on card declines"]
    with pytest.raises(IncidentError, match="Unknown status 'closed'"):
        action_item_status_set(item=item, by=w.alice, status="closed")


def test_items_without_an_owner_are_listed_for_the_close_check(w):
    owned, unowned = add(w, owner=w.alice), add(w, title="Runbook for declines")
    assert list(action_items_without_owner(w.postmortem)) == [unowned]
    action_item_update(item=unowned, by=w.manager, changes={"owner": w.manager})
    assert not action_items_without_owner(w.postmortem).exists()
    assert owned.owner == w.alice


def test_a_closed_postmortems_items_keep_an_owner(w):
    item = add(w, owner=w.alice)
    Postmortem.objects.filter(pk=w.postmortem.pk).update(status=Postmortem.Status.CLOSED)
    w.postmortem.refresh_from_db()
    with pytest.raises(IncidentError, match="closed: each of its action items needs an owner"):
        action_item_update(item=item, by=w.manager, changes={"owner": None})
    with pytest.raises(IncidentError, match="needs an owner"):
        add(w)


def test_open_items_of_teams_come_overdue_first_undated_last_and_only_open_ones(w):
    today = timezone.localdate()
    later = add(w, owner=w.alice, due_on=today + timedelta(days=3))
    undated = add(w, owner=w.alice)
    overdue = add(w, owner=w.alice, due_on=today - timedelta(days=2))
    done = add(w, owner=w.alice, due_on=today - timedelta(days=9))
    action_item_status_set(item=done, by=w.alice, status="done")
    not_mine = add(w, owner=w.manager, due_on=today)
    other = postmortem_world(team_name="Search")
    action_item_add(postmortem=other.postmortem, by=other.manager, title="Elsewhere", priority="low")

    assert list(open_action_items(teams=[w.team.pk], owner=w.alice)) == [overdue, later, undated]
    assert list(open_action_items(teams=[w.team])) == [overdue, not_mine, later, undated]


def test_overdue_items_and_reviews_are_those_past_their_date_and_still_open(w):
    today = timezone.localdate()
    overdue = add(w, due_on=today - timedelta(days=1))
    add(w, due_on=today)
    finished = add(w, due_on=today - timedelta(days=1))
    action_item_status_set(item=finished, by=w.manager, status="wont_do")
    late_review = postmortem_world(team_name="Search").postmortem
    Postmortem.objects.filter(pk=late_review.pk).update(review_due_on=today - timedelta(days=1), status="in_review")
    reviewed = postmortem_world(team_name="Mobile").postmortem
    Postmortem.objects.filter(pk=reviewed.pk).update(review_due_on=today - timedelta(days=3), status="reviewed")

    assert list(action_items_overdue()) == [overdue]
    assert list(action_items_overdue(teams=[late_review.team_id])) == []
    assert list(postmortem_reviews_overdue()) == [late_review]
    assert list(postmortem_reviews_overdue(teams=[w.team])) == []


def test_an_open_incident_task_becomes_an_action_item_once(w):
    task = IncidentTask.objects.create(incident=w.incident, title="Raise the card gateway timeout", owner=w.alice)
    item = add(w, title=task.title, owner=task.owner, incident_task=task)
    assert item.incident_task == task
    assert "from the task of the response" in w.incident.timeline.get(kind="action_item_added").text
    with pytest.raises(IncidentError, match="already an action item"):
        add(w, title=task.title, incident_task=task)
    elsewhere = IncidentTask.objects.create(incident=postmortem_world(team_name="Search").incident, title="Other")
    with pytest.raises(IncidentError, match="belongs to another incident"):
        add(w, incident_task=elsewhere)
