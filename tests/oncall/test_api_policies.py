"""/api/v1/escalation-policies/, a service's policy, and removing members a policy pages."""
import pytest

from incidents.models import Service
from oncall.models import EscalationPolicy, Membership
from tests.factories import (
    ApiClient,
    EscalationPolicyFactory,
    LayerFactory,
    MembershipFactory,
    ScheduleFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager", user=UserFactory(username="maria")).user


@pytest.fixture
def alice(team):
    return MembershipFactory(team=team, user=UserFactory(username="alice")).user


@pytest.fixture
def primary(team):
    return ScheduleFactory(team=team, name="Primary")


def steps_of(body):
    return [(s["number"], s["delay_minutes"], [(t["kind"], t["id"], t["name"]) for t in s["targets"]])
            for s in body["steps"]]


def test_a_manager_creates_a_policy_and_reads_its_steps_back_with_names(team, manager, alice, primary, other_team):
    MembershipFactory(team=other_team, user=manager, role="viewer")  # a team target must be one of the writer's
    created = ApiClient(manager).post("/api/v1/escalation-policies/", {
        "team": team.pk, "name": "Checkout", "repeat_count": 2, "steps": [
            {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": primary.pk}]},
            {"targets": [{"kind": "user", "id": alice.pk}, {"kind": "team", "id": other_team.pk}]},
        ],
    })
    assert created.status_code == 201, created.json()
    body = ApiClient(alice).get(f"/api/v1/escalation-policies/{created.json()['id']}/").json()
    assert (body["name"], body["repeat_count"], body["team_name"]) == ("Checkout", 2, team.name)
    assert steps_of(body) == [
        (1, 5, [("schedule", primary.pk, "Primary")]),
        (2, 15, [("user", alice.pk, "alice"), ("team", other_team.pk, other_team.name)]),
    ]


def test_changing_the_steps_replaces_them_and_a_bad_target_changes_nothing(team, manager, alice, primary):
    policy = EscalationPolicyFactory(team=team, steps=[{"targets": [{"kind": "user", "id": alice.pk}]}])
    api = ApiClient(manager)
    url = f"/api/v1/escalation-policies/{policy.pk}/"
    changed = api.patch(url, {"description": "Nights", "steps": [
        {"delay_minutes": 10, "targets": [{"kind": "schedule", "id": primary.pk}]}]})
    assert changed.status_code == 200
    assert (changed.json()["description"], steps_of(changed.json())) == (
        "Nights", [(1, 10, [("schedule", primary.pk, "Primary")])])
    stranger = UserFactory()
    refused = api.patch(url, {"name": "Renamed", "steps": [{"targets": [{"kind": "user", "id": stranger.pk}]}]})
    assert refused.status_code == 400
    assert f"person {stranger.pk} is not a member" in refused.json()["detail"]
    unchanged = api.get(url).json()
    assert (unchanged["name"], steps_of(unchanged)) == (policy.name, [(1, 10, [("schedule", primary.pk, "Primary")])])


@pytest.mark.parametrize("steps,message", [
    ([{"targets": []}], "steps.0.targets:"),
    ([{"delay_minutes": 0, "targets": [{"kind": "team", "id": 1}]}], "steps.0.delay_minutes:"),
    ([{"targets": [{"kind": "channel", "id": 1}]}], "steps.0.targets.0.kind:"),
])
def test_policy_steps_are_checked(team, manager, steps, message):
    response = ApiClient(manager).post("/api/v1/escalation-policies/", {"team": team.pk, "name": "P", "steps": steps})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not EscalationPolicy.objects.exists()


def test_a_second_policy_with_the_same_name_is_refused(team, manager):
    EscalationPolicyFactory(team=team, name="Checkout")
    response = ApiClient(manager).post("/api/v1/escalation-policies/", {"team": team.pk, "name": "Checkout"})
    assert response.status_code == 400 and response.json()["detail"].startswith("name:")


def test_only_managers_change_policies(team, alice):
    viewer = MembershipFactory(team=team, role="viewer").user
    policy = EscalationPolicyFactory(team=team)
    for user in (alice, viewer):
        api = ApiClient(user)
        assert api.get(f"/api/v1/escalation-policies/{policy.pk}/").status_code == 200
        for response in (api.post("/api/v1/escalation-policies/", {"team": team.pk, "name": "Mine"}),
                         api.patch(f"/api/v1/escalation-policies/{policy.pk}/", {"name": "Mine"}),
                         api.delete(f"/api/v1/escalation-policies/{policy.pk}/")):
            assert response.status_code == 403 and "only managers" in response.json()["detail"]
    assert EscalationPolicy.objects.get().name == policy.name


def test_another_teams_policy_is_404_and_never_listed(team, manager, other_team):
    mine, theirs = EscalationPolicyFactory(team=team), EscalationPolicyFactory(team=other_team)
    api = ApiClient(manager)
    assert api.get(f"/api/v1/escalation-policies/{theirs.pk}/").status_code == 404
    assert api.delete(f"/api/v1/escalation-policies/{theirs.pk}/").status_code == 404
    assert [p["id"] for p in api.get("/api/v1/escalation-policies/").json()["results"]] == [mine.pk]


def test_a_policy_a_service_uses_cannot_be_deleted(team, manager):
    policy = EscalationPolicyFactory(team=team, name="Checkout")
    ServiceFactory(team=team, name="checkout-api", escalation_policy=policy)
    api = ApiClient(manager)
    response = api.delete(f"/api/v1/escalation-policies/{policy.pk}/")
    assert response.status_code == 409
    assert "checkout-api" in response.json()["detail"]
    Service.objects.update(escalation_policy=None)
    assert api.delete(f"/api/v1/escalation-policies/{policy.pk}/").status_code == 204


def test_a_service_gets_a_policy_of_its_own_team_only(team, manager, service, other_team):
    policy = EscalationPolicyFactory(team=team)
    api = ApiClient(manager)
    url = f"/api/v1/services/{service.pk}/"
    assert api.patch(url, {"escalation_policy": policy.pk}).json()["escalation_policy"] == policy.pk
    assert api.patch(url, {"description": "Payments"}).json()["escalation_policy"] == policy.pk
    theirs = EscalationPolicyFactory(team=other_team)
    hidden = api.patch(url, {"escalation_policy": theirs.pk})
    assert hidden.status_code == 400 and hidden.json()["detail"].startswith("escalation_policy:")
    other_policy_of_mine = EscalationPolicyFactory(team=MembershipFactory(user=manager, role="manager").team)
    wrong_team = api.patch(url, {"escalation_policy": other_policy_of_mine.pk})
    assert wrong_team.status_code == 400 and "another team" in wrong_team.json()["detail"]
    assert api.patch(url, {"escalation_policy": None}).json()["escalation_policy"] is None
    created = api.post("/api/v1/services/", {"team": team.pk, "name": "search", "escalation_policy": policy.pk})
    assert created.status_code == 201 and created.json()["escalation_policy"] == policy.pk


def test_removing_a_member_a_policy_or_rotation_still_pages_is_a_409(team, manager, alice, primary):
    EscalationPolicyFactory(team=team, name="Checkout", steps=[{"targets": [{"kind": "user", "id": alice.pk}]}])
    membership = Membership.objects.get(team=team, user=alice)
    api = ApiClient(manager)
    response = api.delete(f"/api/v1/memberships/{membership.pk}/")
    assert response.status_code == 409
    assert "'Checkout' step 1" in response.json()["detail"]
    EscalationPolicy.objects.all().delete()
    LayerFactory(schedule=primary, participants=[alice])
    in_rotation = api.delete(f"/api/v1/memberships/{membership.pk}/")
    assert in_rotation.status_code == 409 and "rotation of schedule Primary" in in_rotation.json()["detail"]
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_steps_given_in_a_patch_are_checked_whole(team, manager):
    policy = EscalationPolicyFactory(team=team)
    response = ApiClient(manager).patch(f"/api/v1/escalation-policies/{policy.pk}/", {"steps": [{"delay_minutes": 5}]})
    assert response.status_code == 400
    assert response.json()["detail"] == "steps.0.targets: This field is required."
