from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Service
from oncall import policies, schedules
from oncall.models import Layer, Restriction, Schedule
from oncall.policies import PolicyError
from oncall.schedules import ScheduleError
from tests.factories import MembershipFactory, TeamFactory, UserFactory

NY = ZoneInfo("America/New_York")


@pytest.fixture
def people(team):
    return [MembershipFactory(team=team, user=UserFactory(username=n)).user for n in ("alice", "bob", "carol")]


def weekly_schedule(team, people, *, name="Primary", restrictions=()):
    schedule = Schedule.objects.create(team=team, name=name, time_zone="America/New_York")
    layer = Layer.objects.create(schedule=schedule, turn_length=1, turn_unit="weeks", handoff_time=time(9),
                                 start_date=date(2026, 11, 2))
    schedules.layer_participants_set(layer=layer, users=people)
    for r in restrictions:
        Restriction.objects.create(layer=layer, **r)
    return schedule


def test_weekly_rotation_hands_off_monday_0900_local(team, people):
    schedule = weekly_schedule(team, people)
    before = datetime(2026, 11, 9, 8, 59, tzinfo=NY)
    after = datetime(2026, 11, 9, 9, 0, tzinfo=NY)
    assert schedules.oncall_users_at(schedule=schedule, at=before) == [people[0]]
    assert schedules.oncall_users_at(schedule=schedule, at=after) == [people[1]]


def test_override_wins_and_is_marked(team, people):
    schedule = weekly_schedule(team, people)
    start = datetime(2026, 11, 3, 12, tzinfo=NY)
    schedules.override_create(schedule=schedule, user=people[2], starts_at=start, ends_at=start + timedelta(hours=2),
                              created_by=people[0])
    assert schedules.oncall_users_at(schedule=schedule, at=start + timedelta(hours=1)) == [people[2]]
    final = schedules.schedule_shifts(schedule=schedule, start=start - timedelta(hours=1), end=start + timedelta(hours=3))["final"]
    assert [(s.person, s.source) for s in final] == [(people[0].pk, 0), (people[2].pk, "override"), (people[0].pk, 0)]


def test_override_for_someone_outside_the_team_is_refused(team, people):
    schedule = weekly_schedule(team, people)
    start = datetime(2026, 11, 3, tzinfo=NY)
    with pytest.raises(ScheduleError, match="not a member"):
        schedules.override_create(schedule=schedule, user=UserFactory(), starts_at=start,
                                  ends_at=start + timedelta(hours=1), created_by=None)


def test_restricted_layer_has_nobody_outside_its_window(team, people):
    schedule = weekly_schedule(team, people, restrictions=[
        {"kind": "weekly", "start_weekday": 0, "start_time": time(9), "end_weekday": 4, "end_time": time(17)}])
    assert schedules.oncall_users_at(schedule=schedule, at=datetime(2026, 11, 7, 12, tzinfo=NY)) == []  # Saturday
    assert schedules.oncall_users_at(schedule=schedule, at=datetime(2026, 11, 6, 12, tzinfo=NY)) == [people[0]]


def test_who_is_on_call_for_many_schedules_takes_a_fixed_number_of_queries(team, people):
    for i in range(3):
        weekly_schedule(team, people, name=f"s{i}")
    at = datetime(2026, 11, 20, tzinfo=NY)
    with CaptureQueriesContext(connection) as few:
        schedules.schedules_oncall_at(Schedule.objects.all(), at=at)
    for i in range(3, 12):
        weekly_schedule(team, people, name=f"s{i}")
    with CaptureQueriesContext(connection) as many:
        answers = schedules.schedules_oncall_at(Schedule.objects.all(), at=at)
    assert len(answers) == 12
    assert len(many.captured_queries) == len(few.captured_queries)


def test_shift_range_is_bounded(team, people):
    schedule = weekly_schedule(team, people)
    start = datetime(2026, 1, 1, tzinfo=NY)
    with pytest.raises(ScheduleError, match="366 days"):
        schedules.schedule_shifts(schedule=schedule, start=start, end=start + timedelta(days=400))


def test_step_pages_people_schedule_oncall_and_team_responders_once_each(team, people):
    schedule = weekly_schedule(team, people)
    viewer = MembershipFactory(team=team, role="viewer").user
    policy = policies.policy_create(team=team, name="Default", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": people[2].pk}, {"kind": "schedule", "id": schedule.pk}]},
        {"delay_minutes": 10, "targets": [{"kind": "team", "id": team.pk}]},
    ])
    first, second = policy.steps.all()
    at = datetime(2026, 11, 3, 12, tzinfo=NY)
    assert policies.step_users_at(step=first, at=at) == [people[2], people[0]]
    everyone = policies.step_users_at(step=second, at=at)
    assert set(everyone) == set(people) and viewer not in everyone


def test_policy_refuses_targets_of_another_team(team, people):
    other = weekly_schedule(TeamFactory(), [], name="Theirs")
    with pytest.raises(PolicyError, match="does not belong"):
        policies.policy_create(team=team, name="P", steps=[{"delay_minutes": 5, "targets": [{"kind": "schedule", "id": other.pk}]}])


def test_deleting_a_schedule_a_policy_uses_is_refused_naming_the_policy(team, people):
    schedule = weekly_schedule(team, people)
    policies.policy_create(team=team, name="Checkout", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": schedule.pk}]}])
    with pytest.raises(PolicyError, match="'Checkout' step 1"):
        policies.schedule_delete(schedule=schedule)
    assert Schedule.objects.filter(pk=schedule.pk).exists()


def test_removing_a_person_a_policy_pages_is_refused(team, people):
    policies.policy_create(team=team, name="Direct", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": people[0].pk}]}])
    with pytest.raises(PolicyError, match="'Direct' step 1"):
        policies.member_remove_check(team=team, user=people[0])


def test_policy_used_by_a_service_cannot_be_deleted(team, people):
    policy = policies.policy_create(team=team, name="P", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "team", "id": team.pk}]}])
    Service.objects.create(team=team, name="checkout", escalation_policy=policy)
    with pytest.raises(PolicyError, match="escalates service checkout"):
        policies.policy_delete(policy=policy)


def test_step_without_targets_is_refused(team):
    with pytest.raises(PolicyError, match="no one to page"):
        policies.policy_create(team=team, name="Empty", steps=[{"delay_minutes": 5, "targets": []}])
