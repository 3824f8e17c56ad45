"""Every page and every API list runs as many queries for 50 rows as for one.

Each case grows what its page or list shows (incidents, alerts and timeline events, schedules,
policies, contact methods, ...), each row with people and teams of its own so that a lookup per
row cannot hide behind a shared one. The page is fetched once to warm up (sessions, content
types), then counted with 1 row and again with 50: the counts must be equal, and small.
"""
import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import count
from typing import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Alert, ChangeEvent, Integration
from incidents.services import (
    incident_acknowledge, incident_note_add, incident_reassign, maintenance_window_create,
)
from notifications.models import OutboxMessage
from oncall.contacts import notification_rule_create
from oncall.models import Membership
from oncall.policies import policy_steps_set
from oncall.schedules import calendar_feed_create, shadow_create
from oncall.services import api_token_create
from tests.factories import (
    ApiClient, ContactMethodFactory, EscalationPolicyFactory, IncidentFactory, IntegrationFactory, LayerFactory,
    MembershipFactory, OverrideFactory, ScheduleFactory, ServiceFactory, TeamFactory, UserFactory,
)

PAGE_CEILING = 30
API_CEILING = 15
ROW = "qcrow"  # every grown row carries it in a name, so that the test can see the rows were shown
_numbers = count(1)


@dataclass
class World:
    me: object
    team: object
    service: object
    integration: object
    schedule: object
    policy: object
    incident: object


@pytest.fixture
def world(db):
    me = UserFactory(username="me")
    team = TeamFactory(name="Ops")
    MembershipFactory(team=team, user=me, role=Membership.Role.MANAGER)
    schedule = ScheduleFactory(team=team, name="Primary")
    LayerFactory(schedule=schedule, participants=[me])
    policy = EscalationPolicyFactory(team=team, steps=[
        {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": schedule.pk}]}])
    service = ServiceFactory(team=team, name="checkout", escalation_policy=policy)
    integration, _ = IntegrationFactory(service=service)
    incident = IncidentFactory(service=service, title="Checkout 5xx", dedup_key="5xx")
    return World(me=me, team=team, service=service, integration=integration, schedule=schedule, policy=policy,
                 incident=incident)


def person(team, role=Membership.Role.RESPONDER):
    """Someone new in `team`: a row that names a person names a different one each time."""
    n = next(_numbers)
    return MembershipFactory(team=team, user=UserFactory(username=f"{ROW}-person-{n}"), role=role).user


def my_team(w: World, role=Membership.Role.MANAGER):
    team = TeamFactory(name=f"{ROW} team {next(_numbers)}")
    MembershipFactory(team=team, user=w.me, role=role)
    return team


# --- what each page or list shows, n more of it -----------------------------------------------

def add_incidents(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        service = ServiceFactory(team=my_team(w), name=f"{ROW} service {i}")
        incident = IncidentFactory(service=service, title=f"{ROW} incident {i}", dedup_key=f"k{i}")
        if i % 2:
            incident_acknowledge(incident=incident, by=person(service.team), via="web")
        else:
            incident_reassign(incident=incident, by=w.me, via="web", to_user=person(service.team))


def add_alerts_and_timeline(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        Alert.objects.create(service=w.service, integration=IntegrationFactory(service=w.service)[0],
                             incident=w.incident, dedup_key="5xx", summary=f"{ROW} alert {i}")
        incident_note_add(incident=w.incident, by=person(w.team), via="web", text=f"{ROW} note {i}")
        ChangeEvent.objects.create(service=w.service, integration=w.integration, summary=f"{ROW} deploy {i}")
        incident_reassign(incident=w.incident, by=w.me, via="web", to_user=person(w.team))


def add_schedules(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        team = my_team(w)
        schedule = ScheduleFactory(team=team, name=f"{ROW} schedule {i}")
        a, b = person(team), person(team)
        LayerFactory(schedule=schedule, participants=[a, b], name=f"{ROW} layer {i}",
                     restrictions=[{"kind": "daily", "start_time": time(8), "end_time": time(20)}])
        now = timezone.now()
        OverrideFactory(schedule=schedule, user=b, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=3))
        # Someone shadowing whoever is on call: shown beside them, at no cost per schedule.
        shadow_create(schedule=schedule, user=person(team), starts_at=now - timedelta(hours=1),
                      ends_at=now + timedelta(days=1), created_by=None)
        calendar_feed_create(schedule=schedule)


def add_schedule_parts(w: World, n: int) -> None:
    """Layers, overrides and feeds of the one schedule, each naming people of its own."""
    now = timezone.now()
    for k in range(n):
        i = next(_numbers)
        a, b = person(w.team), person(w.team)
        LayerFactory(schedule=w.schedule, participants=[a, b], name=f"{ROW} layer {i}", turn_unit="days",
                     start_date=date(2026, 1, 5) + timedelta(days=k % 7),
                     restrictions=[{"kind": "daily", "start_time": time(8), "end_time": time(20)}])
        OverrideFactory(schedule=w.schedule, user=a, starts_at=now + timedelta(hours=k),
                        ends_at=now + timedelta(hours=k, minutes=30), created_by=b)
        shadow_create(schedule=w.schedule, user=b, shadowing=a, starts_at=now + timedelta(hours=k),
                      ends_at=now + timedelta(hours=k + 2), created_by=a)
        calendar_feed_create(schedule=w.schedule)


def add_policies(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        team = my_team(w)
        schedule = ScheduleFactory(team=team, name=f"{ROW} schedule {i}")
        EscalationPolicyFactory(team=team, name=f"{ROW} policy {i}", steps=[
            {"delay_minutes": 5, "targets": [{"kind": "user", "id": person(team).pk},
                                             {"kind": "schedule", "id": schedule.pk}]},
            {"delay_minutes": 10, "targets": [{"kind": "team", "id": team.pk}]},
        ])
        ServiceFactory(team=team, name=f"{ROW} service {i}", escalation_policy=team.escalation_policies.get())


def add_policy_steps(w: World, n: int) -> None:
    """Steps of the one policy, each paging a person and a schedule of their own."""
    steps = [{"delay_minutes": s.delay_minutes, "targets": [{"kind": t.kind, "id": t.user_id or t.schedule_id or t.team_id}
                                                            for t in s.targets.all()]}
             for s in w.policy.steps.order_by("position")]
    for _ in range(n):
        i = next(_numbers)
        schedule = ScheduleFactory(team=w.team, name=f"{ROW} schedule {i}")
        steps.append({"delay_minutes": 5, "targets": [{"kind": "user", "id": person(w.team).pk},
                                                      {"kind": "schedule", "id": schedule.pk}]})
    policy_steps_set(policy=w.policy, steps=steps)


def add_contacts(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        method = ContactMethodFactory(user=w.me, kind="email", value=f"{ROW}{i}@example.com", label=f"{ROW} {i}",
                                      verified=bool(i % 2))
        notification_rule_create(user=w.me, urgency="high", contact_method=method, delay_minutes=i % 30)
        calendar_feed_create(user=w.me)
        api_token_create(user=w.me, name=f"{ROW} token {i}")


def add_outbox(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        OutboxMessage.objects.create(user=w.me, kind="sms", to="+14155550100", body=f"{ROW} page {i}")


def add_services(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        team = my_team(w)
        ServiceFactory(team=team, name=f"{ROW} service {i}",
                       escalation_policy=EscalationPolicyFactory(team=team, name=f"{ROW} policy {i}"))


def add_listed_services(w: World, n: int) -> None:
    """Services of my teams, each with an open incident, an integration, maintenance on now and a policy
    whose first step pages a person, a schedule and a team of its own."""
    now = timezone.now()
    for _ in range(n):
        i = next(_numbers)
        team = my_team(w)
        schedule = ScheduleFactory(team=team, name=f"{ROW} schedule {i}")
        LayerFactory(schedule=schedule, participants=[person(team), person(team)])
        policy = EscalationPolicyFactory(team=team, name=f"{ROW} policy {i}", steps=[
            {"delay_minutes": 5, "targets": [{"kind": "user", "id": person(team).pk},
                                             {"kind": "schedule", "id": schedule.pk},
                                             {"kind": "team", "id": team.pk}]}])
        service = ServiceFactory(team=team, name=f"{ROW} service {i}", escalation_policy=policy)
        IncidentFactory(service=service, dedup_key=f"k{i}")
        IntegrationFactory(service=service)
        maintenance_window_create(service=service, starts_at=now, ends_at=now + timedelta(hours=1))


def add_service_parts(w: World, n: int) -> None:
    """Integrations, maintenance windows (by people of their own), changes and incidents of the one service."""
    now = timezone.now()
    for k in range(n):
        i = next(_numbers)
        integration, _ = IntegrationFactory(service=w.service, name=f"{ROW} integration {i}", kind="heartbeat")
        Integration.objects.filter(pk=integration.pk).update(last_seen_at=now)
        maintenance_window_create(service=w.service, starts_at=now + timedelta(hours=k), reason=f"{ROW} window {i}",
                                  ends_at=now + timedelta(hours=k, minutes=30), created_by=person(w.team))
        ChangeEvent.objects.create(service=w.service, integration=integration, summary=f"{ROW} deploy {i}")
        IncidentFactory(service=w.service, title=f"{ROW} incident {i}", dedup_key=f"k{i}")


def add_integrations(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        IntegrationFactory(service=ServiceFactory(team=my_team(w), name=f"{ROW} service {i}"), name=f"{ROW} {i}")


def add_maintenance_windows(w: World, n: int) -> None:
    now = timezone.now()
    for _ in range(n):
        i = next(_numbers)
        team = my_team(w)
        maintenance_window_create(service=ServiceFactory(team=team, name=f"{ROW} service {i}"), starts_at=now,
                                  ends_at=now + timedelta(hours=1), reason=f"{ROW} {i}", created_by=person(team))


def add_teams(w: World, n: int) -> None:
    for _ in range(n):
        person(my_team(w))


def add_members(w: World, n: int) -> None:
    for _ in range(n):
        ContactMethodFactory(user=person(w.team), kind="email", value=f"{ROW}{next(_numbers)}@example.com",
                             verified=True)


def add_api_tokens(w: World, n: int) -> None:
    for _ in range(n):
        api_token_create(user=w.me, name=f"{ROW} token {next(_numbers)}")


def add_contact_methods(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        ContactMethodFactory(user=w.me, kind="email", value=f"{ROW}{i}@example.com", label=f"{ROW} {i}")


def add_rules(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        method = ContactMethodFactory(user=w.me, kind="email", value=f"{ROW}{i}@example.com", verified=True)
        notification_rule_create(user=w.me, urgency="low", contact_method=method, delay_minutes=i % 30)


def add_layers(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        team = my_team(w)
        LayerFactory(schedule=ScheduleFactory(team=team, name=f"{ROW} schedule {i}"), name=f"{ROW} layer {i}",
                     participants=[person(team), person(team)],
                     restrictions=[{"kind": "daily", "start_time": time(8), "end_time": time(20)}])


def add_overrides(w: World, n: int) -> None:
    now = timezone.now()
    for _ in range(n):
        i = next(_numbers)
        team = my_team(w)
        OverrideFactory(schedule=ScheduleFactory(team=team, name=f"{ROW} schedule {i}"), user=person(team),
                        starts_at=now, ends_at=now + timedelta(hours=1), created_by=person(team))


def add_feeds(w: World, n: int) -> None:
    for _ in range(n):
        i = next(_numbers)
        calendar_feed_create(schedule=ScheduleFactory(team=my_team(w), name=f"{ROW} schedule {i}"))
        calendar_feed_create(user=w.me)


# --- the cases --------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    url: Callable[[World], str]
    grow: Callable[[World, int], None]
    rows: Callable[[object], int]  # how many grown rows the response shows
    shown: int = 50  # at most this many are shown (a page of a paginated list)


def html_rows(response) -> int:
    """Distinct grown rows the page names."""
    return len(set(re.findall(rf"{ROW}[ -][a-z]* ?\d+", response.content.decode())))


def api_results(response) -> int:
    body = response.json()
    return len(body["results"] if isinstance(body, dict) and "results" in body else body)


PAGES = [
    Case("incident list", lambda w: "/?status=all", add_incidents, html_rows, shown=25),
    Case("incident detail", lambda w: f"/incidents/{w.incident.pk}/", add_alerts_and_timeline, html_rows),
    Case("on-call now", lambda w: "/oncall/", add_schedules, html_rows),
    Case("schedule list", lambda w: "/oncall/schedules/", add_schedules, html_rows),
    Case("schedule detail", lambda w: f"/oncall/schedules/{w.schedule.pk}/", add_schedule_parts, html_rows),
    Case("policy list", lambda w: "/oncall/policies/", add_policies, html_rows),
    Case("policy detail", lambda w: f"/oncall/policies/{w.policy.pk}/", add_policy_steps, html_rows),
    Case("profile", lambda w: "/oncall/profile/", add_contacts, html_rows),
    Case("outbox", lambda w: "/notifications/outbox/", add_outbox, html_rows),
    Case("service list", lambda w: "/services/", add_listed_services, html_rows),
    Case("service detail", lambda w: f"/services/{w.service.pk}/", add_service_parts, html_rows),
]

API_LISTS = [
    Case("incidents", lambda w: "/api/v1/incidents/", add_incidents, api_results),
    Case("incident with its timeline", lambda w: f"/api/v1/incidents/{w.incident.pk}/", add_alerts_and_timeline,
         lambda r: sum(ROW in (e["text"] or "") for e in r.json()["timeline"])),
    Case("services", lambda w: "/api/v1/services/", add_services, api_results),
    Case("integrations", lambda w: "/api/v1/integrations/", add_integrations, api_results),
    Case("maintenance windows", lambda w: "/api/v1/maintenance-windows/", add_maintenance_windows, api_results),
    Case("teams", lambda w: "/api/v1/teams/", add_teams, api_results),
    Case("memberships", lambda w: f"/api/v1/memberships/?team={w.team.pk}", add_members, api_results),
    Case("tokens", lambda w: "/api/v1/tokens/", add_api_tokens, api_results),
    Case("contact methods", lambda w: "/api/v1/contact-methods/", add_contact_methods, api_results),
    Case("notification rules", lambda w: "/api/v1/notification-rules/", add_rules, api_results),
    Case("schedules", lambda w: "/api/v1/schedules/", add_schedules, api_results),
    Case("layers", lambda w: "/api/v1/layers/", add_layers, api_results),
    Case("overrides", lambda w: "/api/v1/overrides/", add_overrides, api_results),
    Case("escalation policies", lambda w: "/api/v1/escalation-policies/", add_policies, api_results),
    Case("feeds", lambda w: "/api/v1/feeds/", add_feeds, api_results),
    Case("on call", lambda w: "/api/v1/oncall/", add_schedules,
         lambda r: sum(len(t["schedules"]) for t in r.json()["teams"])),
    Case("team readiness", lambda w: f"/api/v1/teams/{w.team.pk}/readiness/", add_members,
         lambda r: len(r.json()["members"])),
    Case("schedule shifts", lambda w: f"/api/v1/schedules/{w.schedule.pk}/shifts/", add_schedule_parts,
         lambda r: len(r.json()["layers"])),
]


def counted(fetch) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    assert response.status_code == 200, response.content[:500]
    return len(queries), response


def one_then_fifty(world: World, case: Case, fetch) -> tuple[int, int]:
    case.grow(world, 1)
    fetch()  # warm up: sessions, content types, the token's first use
    one, response = counted(fetch)
    assert case.rows(response) >= 1
    case.grow(world, 49)
    fifty, response = counted(fetch)
    assert case.rows(response) >= case.shown
    return one, fifty


@pytest.mark.parametrize("case", PAGES, ids=lambda c: c.name)
def test_a_page_runs_as_many_queries_for_50_rows_as_for_1(client, world, case):
    client.force_login(world.me)
    one, fifty = one_then_fifty(world, case, lambda: client.get(case.url(world)))
    assert fifty == one <= PAGE_CEILING


@pytest.mark.parametrize("case", API_LISTS, ids=lambda c: c.name)
def test_an_api_list_runs_as_many_queries_for_50_rows_as_for_1(world, case):
    api = ApiClient(world.me)
    one, fifty = one_then_fifty(world, case, lambda: api.get(case.url(world)))
    assert fifty == one <= API_CEILING
