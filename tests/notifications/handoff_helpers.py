"""A team with a two-person daily rotation in Berlin, a policy that pages it and a service behind
the policy, shared by the hand-off report tests."""
from dataclasses import dataclass
from datetime import date, datetime, time

from incidents.models import ActionItem, Postmortem
from notifications.models import Page
from oncall.models import Profile
from tests.factories import (
    EscalationPolicyFactory, IncidentFactory, LayerFactory, MembershipFactory, ScheduleFactory, ServiceFactory,
    TeamFactory, UserFactory,
)


@dataclass
class Rota:
    team: object
    alice: object
    bob: object
    schedule: object
    service: object


def rota(*, start_date=date(2026, 3, 23), alice_zone="Europe/Berlin", bob_zone="America/New_York") -> Rota:
    """Alice from 09:00 Berlin on start_date, Bob the next day, and so on, daily."""
    team = TeamFactory(name="Payments")
    alice = MembershipFactory(team=team, user=UserFactory(username="alice", first_name="Alice")).user
    bob = MembershipFactory(team=team, user=UserFactory(username="bob", first_name="Bob")).user
    Profile.objects.create(user=alice, time_zone=alice_zone)
    Profile.objects.create(user=bob, time_zone=bob_zone)
    schedule = ScheduleFactory(team=team, name="Payments primary", time_zone="Europe/Berlin")
    LayerFactory(schedule=schedule, participants=[alice, bob], turn_unit="days", handoff_time=time(9),
                 start_date=start_date)
    policy = EscalationPolicyFactory(team=team, steps=[
        {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": schedule.pk}]}])
    service = ServiceFactory(team=team, name="payments-api", escalation_policy=policy)
    return Rota(team=team, alice=alice, bob=bob, schedule=schedule, service=service)


def incident_at(service, at: datetime, title: str, **kwargs):
    return IncidentFactory(service=service, title=title, dedup_key=title, at=at, **kwargs)


def page_at(incident, user, at: datetime, step: int = 0) -> Page:
    return Page.objects.create(incident=incident, user=user, step=step, round=incident.paging_round, created_at=at)


def action_item(incident, *, title: str, owner=None, status=ActionItem.Status.OPEN, due_on=None) -> ActionItem:
    postmortem, _ = Postmortem.objects.get_or_create(incident=incident, defaults={
        "team": incident.team, "review_due_on": date(2026, 4, 1)})
    return ActionItem.objects.create(postmortem=postmortem, team=incident.team, title=title, owner=owner,
                                     status=status, due_on=due_on)
