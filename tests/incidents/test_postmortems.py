"""Postmortems (issue 12 §1): made when a SEV1/SEV2 is resolved or on request, owned by the
commander, due for review by severity, pre-filled from the incident, reviewed step by step."""
from datetime import date, datetime, timedelta, timezone as dt_timezone

import pytest
import time_machine
from django.utils import timezone

from incidents.models import ActionItem, IncidentFinding, IncidentRole, Postmortem, TimelineEvent
from incidents.response_review import response_review
from incidents.services import (
    AlreadyHandled,
    IncidentError,
    InvalidTransition,
    incident_acknowledge,
    incident_mitigate,
    incident_reopen,
    incident_resolve,
)
from incidents.services.postmortems import (
    postmortem_create,
    postmortem_status_set,
    postmortem_update,
    review_due_on,
)
from incidents.status_updates import status_update_post
from incidents.workflow import incident_finding_add, incident_role_assign
from oncall.models import Membership, Profile
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory
from tests.incidents.test_services import _run_at_once as run_at_once

pytestmark = pytest.mark.django_db
WEB = TimelineEvent.Via.WEB


def test_resolving_a_sev1_creates_its_postmortem_owned_by_the_commander(service, responder, team):
    commander = MembershipFactory(team=team).user
    incident = IncidentFactory(service=service, severity="SEV1")
    incident_acknowledge(incident=incident, by=responder, via=WEB)
    incident_role_assign(incident=incident, role=IncidentRole.Role.COMMANDER, user=commander, by=responder, via=WEB)
    incident_resolve(incident=incident, by=responder, via=WEB, note="Rolled back")
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.owner == commander
    assert postmortem.team == team
    assert postmortem.status == "draft"
    assert incident.timeline.filter(kind="postmortem_created").count() == 1


def test_the_acknowledger_owns_it_when_no_commander_was_named_else_the_resolver(service, responder, team):
    acked = IncidentFactory(service=service, severity="SEV2")
    incident_acknowledge(incident=acked, by=responder, via=WEB)
    incident_resolve(incident=acked, by=MembershipFactory(team=team).user, via=WEB)
    assert Postmortem.objects.get(incident=acked).owner == responder
    resolver = MembershipFactory(team=team).user
    straight = IncidentFactory(service=service, severity="SEV2", dedup_key="other")
    incident_resolve(incident=straight, by=resolver, via=WEB)
    assert Postmortem.objects.get(incident=straight).owner == resolver


def test_resolving_a_sev3_makes_no_postmortem_until_someone_asks(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    assert not Postmortem.objects.filter(incident=incident).exists()
    postmortem, created = postmortem_create(incident=incident, by=responder, via=WEB)
    assert created and postmortem.owner == responder
    again, created_again = postmortem_create(incident=incident, by=responder, via=WEB)
    assert (again.pk, created_again) == (postmortem.pk, False)


def test_an_open_incident_gets_no_postmortem(incident, responder):
    with pytest.raises(InvalidTransition, match="once it is resolved"):
        postmortem_create(incident=incident, by=responder, via=WEB)


def test_a_reopened_then_resolved_incident_keeps_its_one_postmortem(service, responder):
    incident = IncidentFactory(service=service, severity="SEV1")
    incident_resolve(incident=incident, by=responder, via=WEB)
    first = Postmortem.objects.get(incident=incident)
    postmortem_update(postmortem=first, by=responder, via=WEB, sections={"summary": "Written by hand"})
    incident_reopen(incident=incident, by=responder, via=WEB)
    incident_resolve(incident=incident, by=responder, via=WEB)
    assert Postmortem.objects.filter(incident=incident).count() == 1
    assert Postmortem.objects.get(incident=incident).summary == "Written by hand"


@pytest.mark.parametrize("severity, resolved_on, due", [
    ("SEV1", date(2026, 12, 4), date(2026, 12, 7)),     # Friday + 3 calendar days
    ("SEV2", date(2026, 12, 4), date(2026, 12, 11)),    # Friday + 5 business days
    ("SEV2", date(2026, 12, 5), date(2026, 12, 11)),    # resolved on a Saturday
    ("SEV3", date(2026, 12, 1), date(2026, 12, 15)),    # Tuesday + 10 business days
    ("SEV5", date(2026, 12, 1), date(2026, 12, 15)),
])
def test_the_review_is_due_by_severity_in_calendar_or_business_days(severity, resolved_on, due):
    assert review_due_on(severity=severity, resolved_on=resolved_on) == due


def test_the_due_date_counts_from_the_day_of_resolution_in_the_owners_zone(service, responder):
    Profile.objects.update_or_create(user=responder, defaults={"time_zone": "Asia/Tokyo"})
    incident = IncidentFactory(service=service, severity="SEV1")
    incident_acknowledge(incident=incident, by=responder, via=WEB)
    # Thursday 20:00 UTC is already Friday in Tokyo.
    with time_machine.travel(datetime(2026, 12, 3, 20, 0, tzinfo=dt_timezone.utc), tick=False):
        incident_resolve(incident=incident, by=responder, via=WEB)
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.review_due_on == date(2026, 12, 7)
    assert "Times in Asia/Tokyo." in postmortem.timeline


def test_the_draft_is_prefilled_from_the_incidents_record(service, responder):
    incident = IncidentFactory(service=service, severity="SEV1", title="Checkout down")
    incident_acknowledge(incident=incident, by=responder, via=WEB)
    status_update_post(incident=incident, by=responder, via=WEB, conditions="Checkout fails", actions="Rolling back")
    incident_finding_add(incident=incident, kind=IncidentFinding.Kind.SCOPE, text="All EU users", by=responder, via=WEB)
    incident_finding_add(incident=incident, kind=IncidentFinding.Kind.EVIDENCE, text="Error graph", by=responder,
                         via=WEB, url="https://grafana.example.com/d/1")
    incident_mitigate(incident=incident, by=responder, via=WEB, note="Rolled back to 4.1")
    incident_resolve(incident=incident, by=responder, via=WEB, note="Pool size restored")
    postmortem = Postmortem.objects.get(incident=incident)
    assert "Draft written by Vigil" in postmortem.summary and "Checkout down" in postmortem.summary
    assert "All EU users" in postmortem.impact
    assert "Rolled back to 4.1" in postmortem.resolution and "Pool size restored" in postmortem.resolution
    timeline = postmortem.timeline
    assert "Times in UTC." in timeline
    for line in ("Triggered", "Acknowledged · " + responder.username, "Status update", "Conditions: Checkout fails",
                 "Evidence added", "Mitigated", "Resolved"):
        assert line in timeline
    assert postmortem.went_well == ""


def test_status_moves_through_review_and_each_step_is_on_the_timeline_with_its_author(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    postmortem, _ = postmortem_create(incident=incident, by=responder, via=WEB)
    for to in ("in_review", "draft", "in_review", "reviewed", "closed", "draft"):
        postmortem = postmortem_status_set(postmortem=postmortem, to=to, by=responder, via=WEB)
        assert postmortem.status == to
    lines = list(incident.timeline.filter(kind="postmortem_status").values_list("text", "actor"))
    assert lines[0] == ("Postmortem: draft → in review", responder.pk)
    assert len(lines) == 6


def test_a_skipped_step_or_a_stale_status_is_refused(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    postmortem, _ = postmortem_create(incident=incident, by=responder, via=WEB)
    with pytest.raises(InvalidTransition, match="draft can move to in review, not to closed"):
        postmortem_status_set(postmortem=postmortem, to="closed", by=responder, via=WEB)
    postmortem_status_set(postmortem=postmortem, to="in_review", by=responder, via=WEB)
    with pytest.raises(AlreadyHandled, match="in review now"):
        postmortem_status_set(postmortem=postmortem, to="in_review", by=responder, via=WEB)


def test_closing_is_refused_while_an_action_item_has_no_owner_naming_it(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    postmortem, _ = postmortem_create(incident=incident, by=responder, via=WEB)
    ActionItem.objects.create(postmortem=postmortem, team=postmortem.team, title="Add a pool alert", owner=responder)
    orphan = ActionItem.objects.create(postmortem=postmortem, team=postmortem.team, title="Load-test the pool")
    for to in ("in_review", "reviewed"):
        postmortem = postmortem_status_set(postmortem=postmortem, to=to, by=responder, via=WEB)
    with pytest.raises(IncidentError, match="without one: “Load-test the pool”"):
        postmortem_status_set(postmortem=postmortem, to="closed", by=responder, via=WEB)
    assert Postmortem.objects.get(pk=postmortem.pk).status == "reviewed"
    ActionItem.objects.filter(pk=orphan.pk).update(owner=responder)
    assert postmortem_status_set(postmortem=postmortem, to="closed", by=responder, via=WEB).closed_at is not None


def test_sections_and_owner_change_with_a_timeline_line_and_bad_input_changes_nothing(incident, responder, team):
    incident_resolve(incident=incident, by=responder, via=WEB)
    postmortem, _ = postmortem_create(incident=incident, by=responder, via=WEB)
    viewer = MembershipFactory(team=team, role=Membership.Role.VIEWER).user
    with pytest.raises(IncidentError, match="responder or manager of team"):
        postmortem_update(postmortem=postmortem, by=responder, via=WEB, owner=viewer, sections={"summary": "x"})
    with pytest.raises(IncidentError, match="Unknown section nonsense"):
        postmortem_update(postmortem=postmortem, by=responder, via=WEB, sections={"nonsense": "x", "summary": "y"})
    assert Postmortem.objects.get(pk=postmortem.pk).summary == postmortem.summary
    other = MembershipFactory(team=team).user
    updated = postmortem_update(postmortem=postmortem, by=responder, via=WEB, owner=other,
                                sections={"went_well": "Paging worked"})
    assert (updated.owner, updated.went_well) == (other, "Paging worked")
    assert incident.timeline.filter(kind="postmortem_owner").count() == 1
    assert incident.timeline.get(kind="postmortem_edited").text == "Postmortem edited: What went well"


def test_a_reviewed_postmortem_is_frozen_until_moved_back(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    postmortem, _ = postmortem_create(incident=incident, by=responder, via=WEB)
    for to in ("in_review", "reviewed"):
        postmortem = postmortem_status_set(postmortem=postmortem, to=to, by=responder, via=WEB)
    with pytest.raises(InvalidTransition, match="move it back to in review"):
        postmortem_update(postmortem=postmortem, by=responder, via=WEB, sections={"summary": "late"})


def test_response_review_measures_from_the_first_trigger_and_counts_evidence_before_the_change(service, responder):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        incident = IncidentFactory(service=service, severity="SEV1")
        clock.shift(timedelta(minutes=4))
        incident_acknowledge(incident=incident, by=responder, via=WEB)
        clock.shift(timedelta(minutes=6))
        status_update_post(incident=incident, by=responder, via=WEB, conditions="c", actions="a")
        incident_finding_add(incident=incident, kind="evidence", text="graph", by=responder, via=WEB)
        clock.shift(timedelta(minutes=20))
        incident_mitigate(incident=incident, by=responder, via=WEB)
        incident_finding_add(incident=incident, kind="evidence", text="log", by=responder, via=WEB)
        clock.shift(timedelta(minutes=30))
        incident_resolve(incident=incident, by=responder, via=WEB)
        clock.shift(timedelta(minutes=10))
        incident_reopen(incident=incident, by=responder, via=WEB)
        clock.shift(timedelta(minutes=5))
        incident_acknowledge(incident=incident, by=responder, via=WEB)
        incident_resolve(incident=incident, by=responder, via=WEB)
    incident.refresh_from_db()
    review = response_review(incident=incident)
    after = {m.key: m.after for m in review.measures}
    assert after == {"acknowledged": timedelta(minutes=4), "first_update": timedelta(minutes=10),
                     "mitigated": timedelta(minutes=30), "resolved": timedelta(minutes=75)}
    assert (review.reopened, review.evidence_before_change, review.evidence_after_change) == (1, 1, 1)
    assert review.evidence_first is True


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_people_starting_the_postmortem_at_once_make_one():
    service = ServiceFactory()
    people = [MembershipFactory(team=service.team).user for _ in range(4)]
    incident = IncidentFactory(service=service)
    incident_resolve(incident=incident, by=people[0], via=WEB)
    results = run_at_once(4, lambda i: postmortem_create(incident=incident, by=people[i], via=WEB))
    assert all(isinstance(r, tuple) for r in results), results
    assert sum(created for _, created in results) == 1
    assert {postmortem.pk for postmortem, _ in results} == {Postmortem.objects.get(incident=incident).pk}
    assert incident.timeline.filter(kind="postmortem_created").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_moving_it_at_once_move_it_once():
    service = ServiceFactory()
    people = [MembershipFactory(team=service.team).user for _ in range(2)]
    incident = IncidentFactory(service=service)
    incident_resolve(incident=incident, by=people[0], via=WEB)
    postmortem, _ = postmortem_create(incident=incident, by=people[0], via=WEB)
    results = run_at_once(2, lambda i: postmortem_status_set(postmortem=postmortem, to="in_review", by=people[i], via=WEB))
    assert sorted(type(r).__name__ for r in results) == ["AlreadyHandled", "Postmortem"], results
    assert incident.timeline.filter(kind="postmortem_status").count() == 1


def test_a_draft_that_cannot_be_written_does_not_undo_the_resolve(service, responder, monkeypatch, caplog):
    incident = IncidentFactory(service=service, severity="SEV1")

    def broken(**kwargs):
        raise ValueError("odd timeline data")

    monkeypatch.setattr("incidents.services.postmortems.draft_sections", broken)
    resolved = incident_resolve(incident=incident, by=responder, via=WEB)
    assert resolved.status == "resolved"
    assert not Postmortem.objects.filter(incident=incident).exists()
    assert "could not start the postmortem" in caplog.text
    monkeypatch.undo()
    assert postmortem_create(incident=incident, by=responder, via=WEB)[1] is True
