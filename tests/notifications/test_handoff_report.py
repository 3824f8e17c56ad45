"""The hand-off report's content (issue 12 §5): incidents with their state, pages and night pages
by each person's own clock, open action items, incidents still open, one team's data only."""
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import ActionItem, Incident
from notifications.handoff import HandoffPeriodError, handoff_report
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, TeamFactory
from tests.notifications.handoff_helpers import action_item, incident_at, page_at, rota

pytestmark = pytest.mark.django_db

# With the rota starting on Sunday 22 March 2026: Bob has Friday 27 09:00 → Saturday 28 09:00
# (Berlin), Alice Saturday 28 09:00 → Sunday 29 09:00, across Europe's change to summer time.
BOB_FROM = datetime(2026, 3, 27, 8, tzinfo=UTC)
ALICE_FROM, ALICE_TO = datetime(2026, 3, 28, 8, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC)


def utc(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def resolve(incident, at):
    Incident.objects.filter(pk=incident.pk).update(status=Incident.Status.RESOLVED, resolved_at=at)


def test_the_report_shows_incidents_under_way_in_the_shift_with_their_state_and_those_still_open():
    r = rota(start_date=date(2026, 3, 22))
    fixed = incident_at(r.service, utc(28, 10), "Card declines spike")
    resolve(fixed, utc(28, 11))
    lingering = incident_at(r.service, utc(27, 20), "Ledger lag")
    Incident.objects.filter(pk=lingering.pk).update(status=Incident.Status.ACKNOWLEDGED, acknowledged_by=r.bob)
    resolve(incident_at(r.service, utc(27, 10), "Over before the shift"), utc(27, 12))
    incident_at(r.service, utc(29, 8), "After the shift")
    quiet_service = ServiceFactory(team=r.team, name="reports")
    incident_at(quiet_service, utc(28, 12), "Nobody on this schedule answers for it")
    paged_elsewhere = incident_at(ServiceFactory(team=r.team, name="batch"), utc(28, 13), "Batch stuck")
    page_at(paged_elsewhere, r.alice, utc(28, 13))

    report = handoff_report(schedule=r.schedule, start=ALICE_FROM, end=ALICE_TO)

    assert [i.title for i in report.incidents] == ["Batch stuck", "Card declines spike", "Ledger lag"]
    assert {i.title: i.status for i in report.incidents}["Card declines spike"] == "resolved"
    assert [(i.title, i.acknowledged_by) for i in report.still_open] == [("Batch stuck", ""), ("Ledger lag", "Bob")]
    assert (report.incidents_total, report.still_open_total) == (3, 2)
    assert [(s.person.name, s.start, s.end) for s in report.shifts] == [("Alice", ALICE_FROM, ALICE_TO)]
    assert not report.quiet


def test_night_pages_count_by_the_paged_persons_own_clock_across_the_change_to_summer_time():
    r = rota(start_date=date(2026, 3, 22))
    incident = incident_at(r.service, utc(27, 20), "Ledger lag")
    page_at(incident, r.bob, utc(27, 21, 30))  # 17:30 in New York: day for Bob, though 22:30 in Berlin
    page_at(incident, r.bob, utc(28, 4), step=1)  # 00:00 in New York
    page_at(incident, r.alice, utc(28, 12), step=2)  # 13:00 CET
    page_at(incident, r.alice, utc(28, 21, 30), step=3)  # 22:30 CET
    page_at(incident, r.alice, utc(29, 4, 30), step=4)  # 06:30 CEST
    page_at(incident, r.alice, utc(29, 5, 30), step=5)  # 07:30 CEST; a fixed +01:00 would say 06:30, night

    report = handoff_report(schedule=r.schedule, start=BOB_FROM, end=ALICE_TO)

    assert [(p.person.name, f"{p.local:%H:%M %Z}", p.night) for p in report.pages] == [
        ("Bob", "17:30 EDT", False), ("Bob", "00:00 EDT", True), ("Alice", "13:00 CET", False),
        ("Alice", "22:30 CET", True), ("Alice", "06:30 CEST", True), ("Alice", "07:30 CEST", False)]
    assert (report.pages_total, report.night_pages_total) == (6, 3)
    assert [(p.person.name, p.pages, p.night_pages) for p in report.pages_by_person] == [("Bob", 2, 1), ("Alice", 4, 2)]


def test_the_report_lists_the_teams_open_action_items_and_no_others():
    r = rota(start_date=date(2026, 3, 22))
    incident = incident_at(r.service, utc(20, 10), "Old outage")
    resolve(incident, utc(20, 11))
    action_item(incident, title="Add a ledger lag alert", owner=r.bob, due_on=date(2026, 3, 1))
    action_item(incident, title="Write the runbook", status=ActionItem.Status.IN_PROGRESS)
    action_item(incident, title="Done already", status=ActionItem.Status.DONE)
    other = IncidentFactory(service=ServiceFactory(team=TeamFactory()), title="Elsewhere")
    action_item(other, title="Another team's chore")

    report = handoff_report(schedule=r.schedule, start=ALICE_FROM, end=ALICE_TO, now=ALICE_TO)

    assert [(a.title, a.owner, a.overdue) for a in report.action_items] == [
        ("Add a ledger lag alert", "Bob", True), ("Write the runbook", "", False)]
    assert report.action_items_total == 2


def test_another_teams_incidents_stay_out_even_when_they_paged_the_person_on_call():
    r = rota(start_date=date(2026, 3, 22))
    other_team = TeamFactory(name="Search")
    MembershipFactory(team=other_team, user=r.alice)
    theirs = incident_at(ServiceFactory(team=other_team), utc(28, 10), "Search index stale")
    page_at(theirs, r.alice, utc(28, 10))

    report = handoff_report(schedule=r.schedule, start=ALICE_FROM, end=ALICE_TO)

    assert report.incidents == () and report.pages == () and report.pages_total == 0


def test_a_shift_with_nothing_happening_is_a_quiet_shift():
    r = rota(start_date=date(2026, 3, 22))
    report = handoff_report(schedule=r.schedule, start=ALICE_FROM, end=ALICE_TO)
    assert report.quiet and report.shifts and report.incidents_total == 0


@pytest.mark.parametrize("start, end, problem", [
    (ALICE_TO, ALICE_FROM, "to must be after from"),
    (ALICE_FROM, ALICE_FROM + timedelta(days=31, seconds=1), "at most 31 days"),
])
def test_a_backwards_or_too_long_period_is_refused(start, end, problem):
    r = rota()
    with pytest.raises(HandoffPeriodError, match=problem):
        handoff_report(schedule=r.schedule, start=start, end=end)


def _month_queries(r, *, incidents: int) -> int:
    for n in range(incidents):
        incident = incident_at(r.service, utc(2, 10) + timedelta(hours=7 * n), f"Outage {n}")
        for person in (r.alice, r.bob):
            page_at(incident, person, utc(2, 10) + timedelta(hours=7 * n, minutes=1))
        action_item(incident, title=f"Fix {n}", owner=r.bob)
    with CaptureQueriesContext(connection) as queries:
        report = handoff_report(schedule=r.schedule, start=utc(1, 0), end=utc(31, 0))
    assert report.incidents_total == incidents and report.pages_total == 2 * incidents
    return len(queries)


def test_a_months_report_takes_as_many_queries_for_many_incidents_and_pages_as_for_one():
    r = rota()
    one = _month_queries(r, incidents=1)
    Incident.objects.all().delete()
    assert _month_queries(r, incidents=60) == one <= 12
