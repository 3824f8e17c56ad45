"""Response analytics figures (issue 12 §4), the same exact numbers on SQLite (computed in Python)
and on PostgreSQL (computed in SQL): run this file both ways."""
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from notifications.analytics.figures import Spread, percentile_cont, responder_load, response_figures
from notifications.analytics.filters import AnalyticsFilterError, AnalyticsFilters, Period, analytics_incidents, parse_filters
from notifications.models import Page
from oncall.contacts import profile_time_zone_set
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, SuperuserFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


def crafted(service, *, at=MONDAY, ack=None, mitigate=None, resolve=None, severity="SEV3", title="crafted"):
    """An incident triggered at `at` and acknowledged, mitigated, resolved that many minutes later."""
    incident = IncidentFactory(service=service, title=title)
    minutes = {"acknowledged_at": ack, "mitigated_at": mitigate, "resolved_at": resolve}
    Incident.objects.filter(pk=incident.pk).update(
        triggered_at=at, severity=severity,
        **{name: at + timedelta(minutes=m) for name, m in minutes.items() if m is not None})
    return Incident.objects.get(pk=incident.pk)


def page(incident, user, *, at, step=0, loop=0):
    return Page.objects.create(incident=incident, user=user, step=step, loop=loop, round=incident.pages.count(),
                               created_at=at)


def figures(user, filters=None):
    filters = filters or AnalyticsFilters(period=MARCH)
    return response_figures(incidents=analytics_incidents(user=user, filters=filters), weeks=filters.period.weeks())


def loads(user, filters=None):
    return responder_load(incidents=analytics_incidents(user=user, filters=filters or AnalyticsFilters(period=MARCH)))


@pytest.fixture
def me(team):
    return MembershipFactory(team=team, user=UserFactory(username="me")).user


def test_percentile_cont_interpolates_linearly_between_the_closest_ranks():
    assert percentile_cont([60, 120, 180, 600], 0.5) == 150
    assert percentile_cont([600, 60, 180, 120], 0.9) == pytest.approx(474)
    assert percentile_cont([42], 0.9) == 42
    assert percentile_cont([], 0.5) is None


def test_acks_after_1_2_3_and_10_minutes_give_mean_4_median_2_5_and_p90_7_9_minutes(me, service):
    for minutes in (1, 2, 3, 10):
        crafted(service, ack=minutes)
    overall = figures(me).overall
    assert overall.incidents == 4
    assert overall.acknowledge == Spread(count=4, mean=240.0, median=150.0, p90=474.0)
    assert overall.mitigate == Spread() and overall.resolve == Spread()


def test_mitigation_and_resolution_spreads_skip_incidents_not_yet_there(me, service):
    crafted(service, ack=1, mitigate=5, resolve=30)
    crafted(service, ack=2, resolve=20)  # resolved with no mitigation step: mitigated when resolved
    crafted(service, ack=4)
    crafted(service)
    overall = figures(me).overall
    assert overall.incidents == 4
    assert overall.acknowledge == Spread(count=3, mean=140.0, median=120.0, p90=216.0)
    assert overall.mitigate == Spread(count=2, mean=750.0, median=750.0, p90=1110.0)
    assert overall.resolve == Spread(count=2, mean=1500.0, median=1500.0, p90=1740.0)


def test_seconds_are_exact_to_the_millisecond_on_both_paths(me, service):
    for seconds in (0.001, 7.5, 61.25):
        crafted(service, ack=seconds / 60)
    assert figures(me).overall.acknowledge == Spread(count=3, mean=22.917, median=7.5, p90=50.5)


def test_breakdowns_by_week_service_team_and_severity(me, team, service):
    other = ServiceFactory(team=team, name="search")
    second = TeamFactory(name="Second")
    MembershipFactory(team=second, user=me)
    theirs = ServiceFactory(team=second, name="billing")
    crafted(service, ack=1, severity="SEV1")
    crafted(service, at=MONDAY + timedelta(days=6, hours=14), ack=3, severity="SEV1")  # Sunday 23:00: same week
    crafted(other, at=MONDAY + timedelta(weeks=2), ack=5, severity="SEV2")
    crafted(theirs, at=MONDAY + timedelta(weeks=2, days=1), ack=7, severity="SEV2")
    found = figures(me)
    weeks = [(g.key, g.incidents, g.acknowledge.median) for g in found.by["week"]]
    assert weeks == [(date(2026, 2, 23), 0, None), (date(2026, 3, 2), 2, 120.0), (date(2026, 3, 9), 0, None),
                     (date(2026, 3, 16), 2, 360.0), (date(2026, 3, 23), 0, None), (date(2026, 3, 30), 0, None)]
    assert [(g.key, g.incidents, g.acknowledge.mean) for g in found.by["service"]] == [
        (service.pk, 2, 120.0), *sorted([(other.pk, 1, 300.0), (theirs.pk, 1, 420.0)])]
    assert sorted((g.key, g.incidents, g.acknowledge.p90) for g in found.by["team"]) == sorted(
        [(team.pk, 3, 276.0), (second.pk, 1, 420.0)])
    assert [(g.key, g.incidents, g.acknowledge.median) for g in found.by["severity"]] == [
        ("SEV1", 2, 120.0), ("SEV2", 2, 360.0)]


def test_an_escalation_reached_a_second_step_when_a_later_step_or_loop_was_paged(me, service):
    answered, second_step, next_loop, twice = (crafted(service, ack=1, title=str(k)) for k in range(4))
    page(answered, me, at=MONDAY)
    page(second_step, me, at=MONDAY, step=1)
    page(next_loop, me, at=MONDAY, step=0, loop=1)
    page(twice, me, at=MONDAY, step=1)
    page(twice, UserFactory(), at=MONDAY, step=2)
    found = figures(me)
    assert (found.overall.incidents, found.overall.escalated) == (4, 3)
    assert [(g.key, g.escalated) for g in found.by["severity"]] == [("SEV3", 3)]


def test_pages_at_night_are_counted_on_each_persons_own_clock(me, team, service):
    new_york = MembershipFactory(team=team, user=UserFactory(username="ny")).user
    profile_time_zone_set(user=new_york, time_zone="America/New_York")
    profile_time_zone_set(user=me, time_zone="Asia/Tokyo")
    no_profile = MembershipFactory(team=team, user=UserFactory(username="utc")).user
    incident = crafted(service, ack=1)
    three_utc = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)  # 22:00 in New York, 12:00 in Tokyo, 03:00 in UTC
    for who in (new_york, me, no_profile):
        page(incident, who, at=three_utc)
    page(incident, new_york, at=three_utc + timedelta(hours=10), step=1)  # 08:00 in New York
    page(incident, me, at=three_utc + timedelta(hours=12), step=1)  # 00:00 in Tokyo
    assert [(load.username, load.pages, load.night_pages, load.second_step_pages) for load in loads(me)] == [
        ("me", 2, 1, 1), ("ny", 2, 1, 1), ("utc", 1, 1, 0)]


def test_night_hours_follow_the_persons_zone_across_a_daylight_saving_change(me, service):
    profile_time_zone_set(user=me, time_zone="Europe/Berlin")
    incident = crafted(service, at=datetime(2026, 3, 27, 9, tzinfo=UTC), ack=1)
    # Berlin moves to summer time at 01:00 UTC on Sunday 29 March: 05:30 UTC is 06:30 (night) on
    # the Saturday and 07:30 (morning) on the Sunday; 21:30 UTC is 22:30 (night) on both.
    page(incident, me, at=datetime(2026, 3, 28, 5, 30, tzinfo=UTC))
    page(incident, me, at=datetime(2026, 3, 29, 5, 30, tzinfo=UTC), loop=1)
    page(incident, me, at=datetime(2026, 3, 29, 21, 30, tzinfo=UTC), loop=2)
    [load] = loads(me)
    assert (load.pages, load.night_pages) == (3, 2)


def test_only_incidents_of_the_period_and_the_chosen_filters_count(me, team, service):
    other_service = ServiceFactory(team=team, name="other")
    crafted(service, at=datetime(2026, 2, 28, 23, 59, tzinfo=UTC), ack=1)
    crafted(service, at=datetime(2026, 3, 1, 0, 0, tzinfo=UTC), ack=2, severity="SEV1")
    crafted(service, at=datetime(2026, 3, 31, 23, 59, tzinfo=UTC), ack=3)
    crafted(other_service, ack=4)
    crafted(service, at=datetime(2026, 4, 1, 0, 0, tzinfo=UTC), ack=5)
    assert figures(me).overall.incidents == 3
    assert figures(me, AnalyticsFilters(period=MARCH, service=service)).overall.acknowledge.mean == 150.0
    assert figures(me, AnalyticsFilters(period=MARCH, severity="SEV1")).overall.acknowledge.mean == 120.0
    assert figures(me, AnalyticsFilters(period=MARCH, team=TeamFactory())).overall.incidents == 0


def test_another_teams_incidents_and_pages_never_count(me, service):
    theirs = ServiceFactory(name="theirs")
    outsider = MembershipFactory(team=theirs.team, user=UserFactory(username="outsider")).user
    page(crafted(theirs, ack=9), outsider, at=MONDAY)
    page(crafted(service, ack=1), me, at=MONDAY)
    found = figures(me)
    assert found.overall.incidents == 1 and [g.key for g in found.by["team"]] == [service.team_id]
    assert [load.username for load in loads(me)] == ["me"]
    assert figures(SuperuserFactory()).overall.incidents == 2


def test_filters_are_read_from_the_query_string_with_the_last_12_weeks_by_default(me, team, service):
    today = date(2026, 3, 31)
    default = parse_filters(user=me, params={}, today=today)
    assert default.period == Period(date(2026, 1, 7), today) and len(default.period.weeks()) == 13
    chosen = parse_filters(user=me, params={"from": "2026-03-01", "to": "2026-03-07", "team": str(team.pk),
                                            "service": str(service.pk), "severity": "SEV2"}, today=today)
    assert chosen == AnalyticsFilters(period=Period(date(2026, 3, 1), date(2026, 3, 7)), team=team, service=service,
                                      severity="SEV2")
    assert parse_filters(user=me, params={"from": "2026-04-10"}, today=today).period.end == date(2026, 4, 10)


@pytest.mark.parametrize("params, message", [
    ({"from": "yesterday"}, "from: 'yesterday' is not a date (YYYY-MM-DD)."),
    ({"from": "2026-03-02", "to": "2026-03-01"}, "to: 2026-03-01 is before from (2026-03-02)."),
    ({"from": "2024-01-01", "to": "2026-03-01"}, "to: the period is 791 days; at most 731."),
    ({"to": "9999-12-31"}, "to: must be between 1970-01-01 and 2999-12-31."),
    ({"severity": "SEV9"}, "severity: must be one of SEV1, SEV2, SEV3, SEV4, SEV5."),
    ({"team": "x1"}, "team: no team 'x1' among yours."),
    ({"service": "99999999999999999999999"}, "service: no service '99999999999999999999' among yours."),
])
def test_bad_filters_are_refused_naming_the_parameter(me, params, message):
    with pytest.raises(AnalyticsFilterError) as refused:
        parse_filters(user=me, params=params, today=date(2026, 3, 31))
    assert refused.value.message == message


def test_another_teams_team_or_service_is_refused_like_an_unknown_one(me, service):
    theirs = ServiceFactory(name="theirs")
    for name, value in (("team", theirs.team_id), ("service", theirs.pk)):
        with pytest.raises(AnalyticsFilterError) as refused:
            parse_filters(user=me, params={name: str(value)}, today=date(2026, 3, 31))
        assert refused.value.message == f"{name}: no {name} '{value}' among yours."


def test_a_service_of_another_of_my_teams_is_refused_with_a_team_filter(me, team, service):
    second = TeamFactory()
    MembershipFactory(team=second, user=me)
    with pytest.raises(AnalyticsFilterError):
        parse_filters(user=me, params={"team": str(second.pk), "service": str(service.pk)}, today=date(2026, 3, 31))


def _queries(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        figures(user)
        loads(user)
    return len(captured.captured_queries)


def test_the_figures_cost_the_same_queries_for_1_and_50_incidents(me, team):
    def grow(n):
        for _ in range(n):
            service = ServiceFactory(team=team)
            incident = crafted(service, ack=len(service.name))
            page(incident, MembershipFactory(team=team).user, at=MONDAY, step=1)

    grow(1)
    one = _queries(me)
    grow(49)
    # The team ids and the two analytics queries; on PostgreSQL each of those two also sets its
    # reporting settings inside a savepoint.
    assert _queries(me) == one <= 10


def test_someone_in_no_team_sees_no_incidents_rather_than_an_error(service):
    crafted(service, ack=1)
    loner = UserFactory(username="loner")
    found = figures(loner)
    assert found.overall.incidents == 0 and found.by["service"] == [] and len(found.by["week"]) == 6
    assert loads(loner) == []
