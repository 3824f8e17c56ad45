"""The hand-off report on the web (its own page, a section of the schedule page) and in the API,
for the schedule's team only, with bad periods refused by name."""
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Incident
from tests.factories import ApiClient, MembershipFactory, TeamFactory, UserFactory
from tests.notifications.handoff_helpers import incident_at, page_at, rota

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 28, 14, tzinfo=UTC)  # Alice on call since 09:00 Berlin (08:00 UTC); Bob before her


@pytest.fixture
def r():
    world = rota(start_date=date(2026, 3, 22))
    earlier = incident_at(world.service, datetime(2026, 3, 27, 22, tzinfo=UTC), "Ledger lag at night")
    page_at(earlier, world.bob, datetime(2026, 3, 28, 3, tzinfo=UTC))  # 23:00 in New York
    now = incident_at(world.service, datetime(2026, 3, 28, 11, tzinfo=UTC), "Card declines spike")
    page_at(now, world.alice, datetime(2026, 3, 28, 11, 1, tzinfo=UTC))
    with time_machine.travel(NOW, tick=False):
        yield world


def page_url(r, **query):
    return reverse("schedule-handoff", args=[r.schedule.pk]) + ("?" + "&".join(f"{k}={v}" for k, v in query.items())
                                                                  if query else "")


def test_the_report_page_defaults_to_the_last_completed_shift(client, r):
    client.force_login(r.alice)
    body = client.get(page_url(r)).content.decode()
    assert "Fri 27 Mar 2026 09:00 – Sat 28 Mar 2026 09:00" in body
    assert "Ledger lag at night" in body and "Card declines spike" not in body
    assert "Sat 28 Mar 04:00 CET" not in body and "Fri 27 Mar 23:00 EDT" in body and ">night<" in body
    assert 'value="2026-03-27T09:00"' in body and 'value="2026-03-28T09:00"' in body


def test_the_period_picker_reads_times_in_the_schedules_zone(client, r):
    client.force_login(r.alice)
    body = client.get(page_url(r, **{"from": "2026-03-28T09:00", "to": "2026-03-28T15:00"})).content.decode()
    assert "Card declines spike" in body and "Ledger lag at night" in body  # still open, so still listed
    assert "Sat 28 Mar 2026 09:00 – Sat 28 Mar 2026 15:00" in body


@pytest.mark.parametrize("query, problem", [
    ({"from": "2026-03-28T09:00", "to": "2026-03-27T09:00"}, "to must be after from"),
    ({"from": "2026-02-01T00:00", "to": "2026-03-28T00:00"}, "at most 31 days"),
    ({"from": "yesterday", "to": "2026-03-28T00:00"}, "from: &#x27;yesterday&#x27; is not a date and time"),
    ({"from": "2026-03-28T09:00"}, "to: give both from and to"),
])
def test_a_bad_period_on_the_page_is_a_400_naming_the_problem(client, r, query, problem):
    client.force_login(r.alice)
    response = client.get(page_url(r, **query))
    assert response.status_code == 400 and problem in response.content.decode()


def test_the_schedule_page_shows_the_last_shift_and_the_current_one_so_far(client, r):
    client.force_login(r.alice)
    page = client.get(reverse("oncall:schedule", args=[r.schedule.pk])).content.decode()
    summary_url = reverse("schedule-handoff-summary", args=[r.schedule.pk])
    assert f'hx-get="{summary_url}"' in page and "Shift hand-off" in page
    body = client.get(summary_url).content.decode()
    assert "Last shift: Bob → Alice" in body and "This shift so far: Alice" in body
    assert body.count("1</strong> incident") == 1 and "2</strong> incidents" in body  # still-open counts
    assert "1 at night" in body
    assert page_url(r, **{"from": "2026-03-27T09:00:00", "to": "2026-03-28T09:00:00"}).replace("&", "&amp;") in body


def test_an_empty_schedules_hand_off_section_fills_in_with_nothing(client, r):
    from tests.factories import ScheduleFactory
    empty = ScheduleFactory(team=r.team, name="Nobody yet")
    client.force_login(r.alice)
    assert client.get(reverse("schedule-handoff-summary", args=[empty.pk])).content.decode().strip() == ""


def test_another_teams_member_gets_a_404_for_the_page_and_the_api(client, r):
    stranger = MembershipFactory(team=TeamFactory(), user=UserFactory(username="stranger")).user
    client.force_login(stranger)
    assert client.get(page_url(r)).status_code == 404
    assert client.get(reverse("schedule-handoff-summary", args=[r.schedule.pk])).status_code == 404
    assert ApiClient(stranger).get(f"/api/v1/schedules/{r.schedule.pk}/handoff/").status_code == 404


def test_the_api_returns_the_report_for_a_period(r):
    response = ApiClient(r.alice).get(f"/api/v1/schedules/{r.schedule.pk}/handoff/",
                                      {"from": "2026-03-27T08:00:00Z", "to": "2026-03-28T08:00:00Z"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["start"], data["end"]) == ("2026-03-27T08:00:00Z", "2026-03-28T08:00:00Z")
    assert [(s["person"]["name"], s["start"]) for s in data["shifts"]] == [("Bob", "2026-03-27T08:00:00Z")]
    assert [(i["title"], i["status"], i["is_open"]) for i in data["incidents"]] == [
        ("Ledger lag at night", "triggered", True)]
    [page] = data["pages"]
    assert (page["local_time"], page["night"], page["person"]["time_zone"]) == (
        "2026-03-27T23:00:00-04:00", True, "America/New_York")
    assert (data["pages_total"], data["night_pages_total"], data["quiet"]) == (1, 1, False)


def test_the_api_defaults_to_the_last_completed_shift(r):
    data = ApiClient(r.alice).get(f"/api/v1/schedules/{r.schedule.pk}/handoff/").json()
    assert (data["start"], data["end"]) == ("2026-03-27T08:00:00Z", "2026-03-28T08:00:00Z")


@pytest.mark.parametrize("query, problem", [
    ({"from": "2026-03-28T08:00:00Z", "to": "2026-03-27T08:00:00Z"}, "to must be after from."),
    ({"from": "2026-02-01T00:00:00Z", "to": "2026-03-28T00:00:00Z"}, "A report covers at most 31 days"),
    ({"from": "2026-13-45", "to": "2026-03-28T00:00:00Z"}, "from: '2026-13-45' is not a date and time"),
    ({"to": "2026-03-28T00:00:00Z"}, "from: give both from and to"),
])
def test_the_api_refuses_a_bad_period_with_a_400_naming_it(r, query, problem):
    response = ApiClient(r.alice).get(f"/api/v1/schedules/{r.schedule.pk}/handoff/", query)
    assert response.status_code == 400 and response.json()["detail"].startswith(problem)


def test_the_report_page_lists_only_the_schedules_teams_incidents(client, r):
    other_team = TeamFactory(name="Search")
    from tests.factories import ServiceFactory
    theirs = incident_at(ServiceFactory(team=other_team), datetime(2026, 3, 27, 12, tzinfo=UTC), "Search index stale")
    page_at(theirs, r.bob, datetime(2026, 3, 27, 12, 1, tzinfo=UTC))
    Incident.objects.filter(pk=theirs.pk).update(status=Incident.Status.ACKNOWLEDGED)
    client.force_login(r.alice)
    assert "Search index stale" not in client.get(page_url(r)).content.decode()


def _summary_queries(client, r) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("schedule-handoff-summary", args=[r.schedule.pk])).status_code == 200
    return len(queries)


def test_the_schedule_pages_hand_off_counts_take_as_many_queries_for_many_incidents_as_for_few(client, r):
    client.force_login(r.alice)
    _summary_queries(client, r)  # warm up: the session
    few = _summary_queries(client, r)
    for n in range(30):
        incident = incident_at(r.service, datetime(2026, 3, 28, 9, n, tzinfo=UTC), f"Flapping {n}")
        page_at(incident, r.alice, datetime(2026, 3, 28, 9, n, 30, tzinfo=UTC))
    assert _summary_queries(client, r) == few
