"""Two teams, Payments and Checkout: Checkout's manager can page, schedule and name only what
Checkout's manager can see, and a refusal reads the same whether an id exists elsewhere or not."""
import re

import pytest

from oncall.models import EscalationPolicy, Layer, Override, StepTarget
from tests.factories import (
    ApiClient,
    EscalationPolicyFactory,
    LayerFactory,
    MembershipFactory,
    ScheduleFactory,
    SuperuserFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SHIFT = {"starts_at": "2026-01-07T10:00:00Z", "ends_at": "2026-01-07T14:00:00Z"}
UNUSED_ID = 987654


@pytest.fixture
def payments(db):
    team = TeamFactory(name="Payments")
    people = [MembershipFactory(team=team, user=UserFactory(username=name)).user for name in ("alice", "bob")]
    return {"team": team, "people": people, "schedule": ScheduleFactory(team=team, name="Payments primary")}


@pytest.fixture
def checkout(db):
    team = TeamFactory(name="Checkout")
    manager = MembershipFactory(team=team, role="manager", user=UserFactory(username="maria")).user
    carol = MembershipFactory(team=team, user=UserFactory(username="carol")).user
    schedule = ScheduleFactory(team=team, name="Checkout primary")
    return {"team": team, "manager": manager, "carol": carol, "schedule": schedule,
            "layer": LayerFactory(schedule=schedule, participants=[carol]), "api": ApiClient(manager)}


def without_ids(detail: str, *ids: int) -> str:
    for pk in ids:
        detail = re.sub(rf"\b{pk}\b", "ID", detail)
    return detail


def create_policy(checkout, target):
    return checkout["api"].post("/api/v1/escalation-policies/", {
        "team": checkout["team"].pk, "name": "Checkout", "steps": [{"targets": [target]}]})


# --- Escalation policy targets ------------------------------------------------------------------

def test_a_policy_cannot_page_a_team_its_writer_cannot_see(checkout, payments):
    response = create_policy(checkout, {"kind": "team", "id": payments["team"].pk})
    assert response.status_code == 400
    assert not EscalationPolicy.objects.exists()
    unknown = create_policy(checkout, {"kind": "team", "id": UNUSED_ID})
    assert without_ids(response.json()["detail"], payments["team"].pk) == without_ids(unknown.json()["detail"], UNUSED_ID)
    assert "Payments" not in response.json()["detail"]


@pytest.mark.parametrize("kind", ["user", "schedule"])
def test_another_teams_people_and_schedules_are_refused_like_unknown_ids(checkout, payments, kind):
    theirs = payments["people"][0].pk if kind == "user" else payments["schedule"].pk
    response = create_policy(checkout, {"kind": kind, "id": theirs})
    unknown = create_policy(checkout, {"kind": kind, "id": UNUSED_ID})
    assert response.status_code == unknown.status_code == 400
    assert without_ids(response.json()["detail"], theirs) == without_ids(unknown.json()["detail"], UNUSED_ID)
    assert "alice" not in response.json()["detail"] and "Payments" not in response.json()["detail"]


def test_changing_a_policy_cannot_add_another_teams_team_either(checkout, payments):
    policy = EscalationPolicyFactory(team=checkout["team"], steps=[{"targets": [{"kind": "user",
                                                                                   "id": checkout["carol"].pk}]}])
    response = checkout["api"].patch(f"/api/v1/escalation-policies/{policy.pk}/", {
        "steps": [{"targets": [{"kind": "team", "id": payments["team"].pk}]}]})
    assert response.status_code == 400
    assert list(StepTarget.objects.filter(step__policy=policy).values_list("kind", flat=True)) == ["user"]


def test_a_writer_in_both_teams_may_page_the_other_team(checkout, payments):
    MembershipFactory(team=payments["team"], user=checkout["manager"], role="viewer")
    assert create_policy(checkout, {"kind": "team", "id": payments["team"].pk}).status_code == 201


def test_a_superuser_may_page_any_team(checkout, payments):
    response = ApiClient(SuperuserFactory()).post("/api/v1/escalation-policies/", {
        "team": checkout["team"].pk, "name": "Everyone", "steps": [{"targets": [
            {"kind": "team", "id": payments["team"].pk}]}]})
    assert response.status_code == 201


# --- Schedules: overrides and layer participants -------------------------------------------------

def test_an_override_for_another_teams_person_is_refused_like_an_unknown_id(checkout, payments):
    alice = payments["people"][0]
    response = checkout["api"].post("/api/v1/overrides/", {"schedule": checkout["schedule"].pk, "user": alice.pk, **SHIFT})
    unknown = checkout["api"].post("/api/v1/overrides/", {"schedule": checkout["schedule"].pk, "user": UNUSED_ID,
                                                          **SHIFT})
    assert response.status_code == unknown.status_code == 400
    assert response.json()["detail"].startswith("user:")
    assert without_ids(response.json()["detail"], alice.pk) == without_ids(unknown.json()["detail"], UNUSED_ID)
    assert "alice" not in response.json()["detail"] and "Payments" not in response.json()["detail"]
    assert not Override.objects.exists()


def test_layer_participants_from_another_team_are_refused_without_naming_them(checkout, payments):
    alice, bob = payments["people"]
    api = checkout["api"]
    base = {"schedule": checkout["schedule"].pk, "start_date": "2026-01-05"}
    created = api.post("/api/v1/layers/", {**base, "participants": [checkout["carol"].pk, alice.pk, bob.pk]})
    unknown = api.post("/api/v1/layers/", {**base, "participants": [checkout["carol"].pk, UNUSED_ID, UNUSED_ID + 1]})
    assert created.status_code == unknown.status_code == 400
    detail = created.json()["detail"]
    assert detail.startswith("participants:")
    assert "alice" not in detail and "bob" not in detail and "Payments" not in detail
    assert without_ids(detail, alice.pk, bob.pk) == without_ids(unknown.json()["detail"], UNUSED_ID, UNUSED_ID + 1)
    changed = api.patch(f"/api/v1/layers/{checkout['layer'].pk}/", {"participants": [alice.pk]})
    assert changed.status_code == 400 and "alice" not in changed.json()["detail"]
    assert Layer.objects.count() == 1
    assert [p.user for p in checkout["layer"].participants.all()] == [checkout["carol"]]


def test_members_of_the_schedules_team_are_still_accepted(checkout):
    api, carol = checkout["api"], checkout["carol"]
    layer = api.post("/api/v1/layers/", {"schedule": checkout["schedule"].pk, "start_date": "2026-01-05",
                                         "participants": [carol.pk, checkout["manager"].pk, carol.pk]})
    assert layer.status_code == 201, layer.json()
    assert layer.json()["participant_usernames"] == ["carol", "maria", "carol"]
    override = api.post("/api/v1/overrides/", {"schedule": checkout["schedule"].pk, "user": carol.pk, **SHIFT})
    assert override.status_code == 201, override.json()
