"""The Communicate → Learn → Act services (incidents/workflow.py): each change and each undo is one
timeline line with its author, and only members of the incident's team can hold its roles."""
from datetime import datetime
from datetime import timezone as tz

import pytest
import time_machine
from django.db import connection

from incidents.models import Incident, IncidentFinding, IncidentRole, IncidentTask, TimelineEvent
from incidents.services import IncidentError, incident_mitigate
from incidents.workflow import (
    incident_action_choose, incident_finding_add, incident_finding_remove, incident_role_assign, incident_task_add,
    incident_task_remove, incident_task_toggle,
)
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory
from tests.incidents.test_services import _run_at_once

pytestmark = pytest.mark.django_db
WEB = TimelineEvent.Via.WEB


def last_event(incident) -> TimelineEvent:
    return incident.timeline.order_by("-at", "-id").first()


def test_naming_a_commander_writes_who_named_whom(incident, responder, team):
    bob = MembershipFactory(team=team).user
    incident_role_assign(incident=incident, role="commander", user=bob, by=responder, via=WEB)
    event = last_event(incident)
    assert (event.kind, event.actor, event.via) == ("role_assigned", responder, "web")
    assert str(bob) in event.text and event.data["role"] == "commander"
    assert IncidentRole.objects.get(incident=incident, role="commander").user == bob


def test_a_new_commander_replaces_the_old_one_and_unassigning_is_on_the_timeline_too(incident, responder, team):
    bob = MembershipFactory(team=team).user
    incident_role_assign(incident=incident, role="commander", user=bob, by=responder, via=WEB)
    incident_role_assign(incident=incident, role="commander", user=responder, by=responder, via=WEB)
    assert IncidentRole.objects.filter(incident=incident).count() == 1
    assert f"(was {bob})" in last_event(incident).text
    incident_role_assign(incident=incident, role="commander", user=None, by=bob, via=WEB)
    assert not IncidentRole.objects.filter(incident=incident).exists()
    event = last_event(incident)
    assert (event.kind, event.actor) == ("role_unassigned", bob)


def test_setting_the_same_person_again_writes_nothing(incident, responder):
    incident_role_assign(incident=incident, role="scribe", user=responder, by=responder, via=WEB)
    count = incident.timeline.count()
    incident_role_assign(incident=incident, role="scribe", user=responder, by=responder, via=WEB)
    assert incident.timeline.count() == count


@pytest.mark.parametrize("who", ["outsider", "viewer"])
def test_a_role_goes_only_to_a_responder_of_the_incidents_team(incident, responder, team, other_team, who):
    person = (MembershipFactory(team=other_team).user if who == "outsider"
              else MembershipFactory(team=team, role="viewer").user)
    with pytest.raises(IncidentError, match="must be a responder or manager of team"):
        incident_role_assign(incident=incident, role="commander", user=person, by=responder, via=WEB)
    assert not IncidentRole.objects.exists()


def test_an_unknown_role_is_refused_by_name(incident, responder):
    with pytest.raises(IncidentError, match="Unknown role 'boss'"):
        incident_role_assign(incident=incident, role="boss", user=responder, by=responder, via=WEB)


def test_evidence_is_stamped_and_marked_as_gathered_before_the_first_change(incident, responder):
    with time_machine.travel(datetime(2030, 7, 1, 12, 0, tzinfo=tz.utc), tick=False):
        before = incident_finding_add(incident=incident, kind="evidence", text="502s in the LB log",
                                      url="https://logs.example.com/q?x=1", by=responder, via=WEB)
    assert before.created_at == datetime(2030, 7, 1, 12, 0, tzinfo=tz.utc)
    event = last_event(incident)
    assert (event.kind, event.actor, event.data["before_first_change"]) == ("evidence_added", responder, True)
    assert "https://logs.example.com/q?x=1" in event.text
    with time_machine.travel(datetime(2030, 7, 1, 12, 5, tzinfo=tz.utc), tick=False):
        incident_mitigate(incident=incident, by=responder, via=WEB)
        incident_finding_add(incident=incident, kind="evidence", text="graph after", by=responder, via=WEB)
    assert last_event(incident).data["before_first_change"] is False


def test_a_hypothesis_belongs_to_its_author_unless_someone_else_is_named(incident, responder, team):
    mine = incident_finding_add(incident=incident, kind="hypothesis", text="pool exhausted", by=responder, via=WEB)
    assert mine.owner == responder
    bob = MembershipFactory(team=team).user
    theirs = incident_finding_add(incident=incident, kind="hypothesis", text="bad deploy", owner=bob,
                                  by=responder, via=WEB)
    assert theirs.owner == bob and last_event(incident).data["owner"] == bob.pk


@pytest.mark.parametrize("kind, text, url, message", [
    ("symptom", "   ", "", "needs some text"),
    ("evidence", "x", "javascript:alert(1)", "must be a web address"),
    ("rumour", "x", "", "Unknown kind 'rumour'"),
    ("symptom", "x" * 5001, "", "limited to 5,000 characters"),
])
def test_bad_findings_are_refused_with_a_reason_and_store_nothing(incident, responder, kind, text, url, message):
    count = incident.timeline.count()
    with pytest.raises(IncidentError, match=message):
        incident_finding_add(incident=incident, kind=kind, text=text, url=url, by=responder, via=WEB)
    assert not IncidentFinding.objects.exists() and incident.timeline.count() == count


def test_only_a_hypothesis_has_an_owner(incident, responder):
    with pytest.raises(IncidentError, match="Only a hypothesis has an owner"):
        incident_finding_add(incident=incident, kind="symptom", text="x", owner=responder, by=responder, via=WEB)


def test_removing_a_finding_is_an_undo_on_the_timeline(incident, responder, team):
    finding = incident_finding_add(incident=incident, kind="symptom", text="checkout 500s", by=responder, via=WEB)
    bob = MembershipFactory(team=team).user
    incident_finding_remove(finding=finding, by=bob, via=WEB)
    assert not IncidentFinding.objects.exists()
    event = last_event(incident)
    assert (event.kind, event.actor) == ("symptom_removed", bob)
    assert "checkout 500s" in event.text


def test_choosing_an_action_unchooses_the_other_and_can_be_undone(incident, responder):
    roll_back = incident_finding_add(incident=incident, kind="candidate_action", text="roll back", by=responder, via=WEB)
    fail_over = incident_finding_add(incident=incident, kind="candidate_action", text="fail over", by=responder, via=WEB)
    incident_action_choose(finding=roll_back, chosen=True, by=responder, via=WEB)
    incident_action_choose(finding=fail_over, chosen=True, by=responder, via=WEB)
    assert list(IncidentFinding.objects.filter(chosen=True)) == [fail_over]
    assert last_event(incident).kind == "action_chosen"
    incident_action_choose(finding=fail_over, chosen=False, by=responder, via=WEB)
    assert not IncidentFinding.objects.filter(chosen=True).exists()
    assert (last_event(incident).kind, last_event(incident).actor) == ("action_unchosen", responder)


def test_only_a_candidate_action_can_be_chosen(incident, responder):
    symptom = incident_finding_add(incident=incident, kind="symptom", text="slow", by=responder, via=WEB)
    with pytest.raises(IncidentError, match="Only a candidate action"):
        incident_action_choose(finding=symptom, chosen=True, by=responder, via=WEB)


def test_a_task_is_done_then_undone_each_on_the_timeline(incident, responder, team):
    bob = MembershipFactory(team=team).user
    task = incident_task_add(incident=incident, title="Page the DB team", owner=bob, by=responder, via=WEB)
    assert (last_event(incident).kind, last_event(incident).actor) == ("task_added", responder)
    task = incident_task_toggle(task=task, done=True, by=bob, via=WEB)
    assert task.done_at is not None and (last_event(incident).kind, last_event(incident).actor) == ("task_done", bob)
    count = incident.timeline.count()
    incident_task_toggle(task=task, done=True, by=bob, via=WEB)
    assert incident.timeline.count() == count  # pressing twice is not two events
    task = incident_task_toggle(task=task, done=False, by=responder, via=WEB)
    assert task.done_at is None and last_event(incident).kind == "task_reopened"
    incident_task_remove(task=task, by=responder, via=WEB)
    assert not IncidentTask.objects.exists() and last_event(incident).kind == "task_removed"


def test_a_task_owner_must_be_on_the_team(incident, responder, other_team):
    with pytest.raises(IncidentError, match="task owner"):
        incident_task_add(incident=incident, title="x", owner=MembershipFactory(team=other_team).user,
                          by=responder, via=WEB)
    assert not IncidentTask.objects.exists()


def test_a_task_needs_a_title(incident, responder):
    with pytest.raises(IncidentError, match="task needs some text"):
        incident_task_add(incident=incident, title=" ", owner=None, by=responder, via=WEB)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_people_naming_a_commander_at_once_leave_one_commander_and_a_line_each():
    assert connection.vendor == "postgresql"
    service = ServiceFactory()
    people = [MembershipFactory(team=service.team).user for _ in range(4)]
    incident = IncidentFactory(service=service)
    results = _run_at_once(4, lambda i: incident_role_assign(
        incident=Incident.objects.get(pk=incident.pk), role="commander", user=people[i], by=people[i], via=WEB))
    assert all(isinstance(r, IncidentRole) for r in results), results
    held = IncidentRole.objects.get(incident=incident, role="commander")
    events = list(incident.timeline.filter(kind="role_assigned").order_by("at", "id"))
    assert len(events) == 4
    assert events[-1].data["user"] == held.user_id  # the last line names who holds it


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_choosing_two_actions_at_once_leaves_one_chosen():
    assert connection.vendor == "postgresql"
    service = ServiceFactory()
    person = MembershipFactory(team=service.team).user
    incident = IncidentFactory(service=service)
    actions = [incident_finding_add(incident=incident, kind="candidate_action", text=f"option {i}", by=person, via=WEB)
               for i in range(3)]
    results = _run_at_once(3, lambda i: incident_action_choose(finding=actions[i], chosen=True, by=person, via=WEB))
    assert all(isinstance(r, IncidentFinding) for r in results), results
    assert IncidentFinding.objects.filter(incident=incident, chosen=True).count() == 1
