"""/api/v1/analytics/… (issue 12 §4): the page's figures as JSON, scoped to the caller's teams."""
from datetime import UTC, datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import ApiClient, MembershipFactory, ServiceFactory, TeamFactory, UserFactory
from tests.notifications.test_analytics_figures import crafted, page

pytestmark = pytest.mark.django_db
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
NO_SPREAD = {"count": 0, "mean": None, "median": None, "p90": None}


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(datetime(2026, 3, 31, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def world(team, service):
    me = MembershipFactory(team=team, user=UserFactory(username="me")).user
    for minutes in (1, 2, 3, 10):
        incident = crafted(service, at=datetime(2026, 3, 10, 23, tzinfo=UTC), ack=minutes, severity="SEV2")
        page(incident, me, at=datetime(2026, 3, 10, 23, tzinfo=UTC), step=minutes // 10)
    theirs = ServiceFactory(name="Their secret service", team=TeamFactory(name="Their team"))
    outsider = MembershipFactory(team=theirs.team, user=UserFactory(username="outsider")).user
    page(crafted(theirs, at=datetime(2026, 3, 11, tzinfo=UTC), ack=99), outsider, at=datetime(2026, 3, 11, tzinfo=UTC))
    return {"me": me, "theirs": theirs, "outsider": outsider}


def test_response_times_come_with_every_breakdown_in_seconds(world, team, service):
    response = ApiClient(world["me"]).get("/api/v1/analytics/response-times/", MARCH)
    assert response.status_code == 200
    body = response.json()
    figures = {"incidents": 4, "escalated": 1,
               "time_to_acknowledge": {"count": 4, "mean": 240.0, "median": 150.0, "p90": 474.0},
               "time_to_mitigate": NO_SPREAD, "time_to_resolve": NO_SPREAD}
    assert body["filters"] == {"start": "2026-03-01", "end": "2026-03-31", "team": None, "service": None,
                               "severity": None}
    assert body["overall"] == figures
    assert body["by_service"] == [{"service": service.pk, "service_name": service.name, **figures}]
    assert body["by_team"] == [{"team": team.pk, "team_name": team.name, **figures}]
    assert body["by_severity"] == [{"severity": "SEV2", **figures}]
    assert [(w["week"], w["incidents"]) for w in body["by_week"]] == [
        ("2026-02-23", 0), ("2026-03-02", 0), ("2026-03-09", 4), ("2026-03-16", 0), ("2026-03-23", 0),
        ("2026-03-30", 0)]


def test_responders_count_pages_at_night_and_at_a_later_step(world):
    body = ApiClient(world["me"]).get("/api/v1/analytics/responders/", MARCH).json()
    assert body["responders"] == [{"user": world["me"].pk, "username": "me", "pages": 4, "night_pages": 4,
                                   "second_step_pages": 1}]


def test_the_api_never_shows_another_teams_figures(world):
    api = ApiClient(world["me"])
    assert api.get("/api/v1/analytics/response-times/", MARCH).json()["overall"]["incidents"] == 4
    assert "outsider" not in api.get("/api/v1/analytics/responders/", MARCH).content.decode()
    for name, value in (("team", world["theirs"].team_id), ("service", world["theirs"].pk)):
        refused = api.get("/api/v1/analytics/response-times/", {**MARCH, name: value})
        assert refused.status_code == 400
        assert refused.json()["detail"] == f"{name}: no {name} '{value}' among yours."
    theirs = ApiClient(world["outsider"]).get("/api/v1/analytics/response-times/", MARCH).json()
    assert theirs["overall"]["incidents"] == 1 and theirs["by_service"][0]["service_name"] == "Their secret service"


def test_filters_narrow_the_figures_and_bad_ones_are_400_naming_the_parameter(world, service):
    api = ApiClient(world["me"])
    assert api.get("/api/v1/analytics/response-times/", {**MARCH, "severity": "SEV1"}).json()["overall"]["incidents"] == 0
    assert api.get("/api/v1/analytics/response-times/", {**MARCH, "service": service.pk}).json()["overall"]["incidents"] == 4
    bad = api.get("/api/v1/analytics/responders/", {"from": "2026-13-01"})
    assert bad.status_code == 400 and bad.json()["detail"] == "from: '2026-13-01' is not a date (YYYY-MM-DD)."


def test_the_analytics_api_needs_credentials(world):
    for path in ("/api/v1/analytics/response-times/", "/api/v1/analytics/responders/"):
        assert APIClient().get(path).status_code == 401
