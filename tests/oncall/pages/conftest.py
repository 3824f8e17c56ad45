"""The on-call pages' world: a team of three in a weekly New York rotation, a manager, a policy,
and the clock frozen on a Wednesday (helpers.NOW)."""
from datetime import date, time

import pytest
import time_machine

from oncall import policies, schedules
from tests.factories import MembershipFactory, UserFactory
from tests.oncall.pages.helpers import NOW


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(team):
    return {name: MembershipFactory(team=team, user=UserFactory(username=name)).user
            for name in ("alice", "bob", "carol")}


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager", user=UserFactory(username="maria")).user


@pytest.fixture
def schedule(team, people):
    schedule = schedules.schedule_create(team=team, name="Primary", time_zone="America/New_York")
    schedules.layer_create(schedule=schedule, name="Weekly", participants=list(people.values()), restrictions=[],
                           turn_unit="weeks",
                           handoff_time=time(9), start_date=date(2026, 11, 2))
    return schedule


@pytest.fixture
def policy(team, schedule):
    return policies.policy_create(team=team, name="Checkout", steps=[
        {"delay_minutes": 10, "targets": [{"kind": "schedule", "id": schedule.pk}]}])

