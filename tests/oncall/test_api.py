from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from oncall.models import ApiToken, Membership, hash_secret
from tests.factories import ApiClient, MembershipFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager").user


def results(response):
    return response.json()["results"]


def test_me_shows_who_i_am_with_my_teams_and_roles(team, other_team):
    alice = UserFactory(username="alice")
    MembershipFactory(team=team, user=alice, role="manager")
    MembershipFactory(team=other_team, user=alice, role="viewer")
    body = ApiClient(alice).get("/api/v1/me/").json()
    assert body["username"] == "alice"
    assert body["is_superuser"] is False
    assert sorted((t["id"], t["role"]) for t in body["teams"]) == sorted(
        [(team.pk, "manager"), (other_team.pk, "viewer")])


def test_created_token_is_shown_once_and_works(responder):
    api = ApiClient(responder)
    response = api.post("/api/v1/tokens/", {"name": "ci"})
    assert response.status_code == 201
    raw = response.json()["token"]
    assert ApiToken.objects.get(pk=response.json()["id"]).key_hash == hash_secret(raw)
    listed = api.get("/api/v1/tokens/").json()
    assert raw not in str(listed)
    assert {t["name"] for t in listed["results"]} == {"test", "ci"}
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/v1/me/").json()["username"] == responder.username


def test_deleting_a_token_revokes_it(responder):
    api = ApiClient(responder)
    created = api.post("/api/v1/tokens/", {"name": "old laptop"}).json()
    assert api.delete(f"/api/v1/tokens/{created['id']}/").status_code == 204
    assert api.get(f"/api/v1/tokens/{created['id']}/").json()["is_active"] is False
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert client.get("/api/v1/me/").status_code == 401


def test_someone_elses_token_is_404_even_for_a_superuser(responder):
    token = ApiToken.objects.get(user=ApiClient(responder).user)
    admin = ApiClient(SuperuserFactory())
    assert admin.get(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert admin.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).is_active


def test_only_a_superuser_creates_teams_and_becomes_their_manager(manager):
    refused = ApiClient(manager).post("/api/v1/teams/", {"name": "SRE", "slug": "sre"})
    assert refused.status_code == 403
    admin = SuperuserFactory()
    created = ApiClient(admin).post("/api/v1/teams/", {"name": "SRE", "slug": "sre"})
    assert created.status_code == 201
    assert Membership.objects.get(team_id=created.json()["id"], user=admin).role == "manager"
    duplicate = ApiClient(admin).post("/api/v1/teams/", {"name": "SRE", "slug": "sre-2"})
    assert duplicate.status_code == 400
    assert duplicate.json()["detail"].startswith("name:")


def test_manager_updates_the_team_and_a_responder_cannot(team, manager, responder):
    assert ApiClient(manager).patch(f"/api/v1/teams/{team.pk}/", {"description": "Owns checkout"}).status_code == 200
    response = ApiClient(responder).patch(f"/api/v1/teams/{team.pk}/", {"description": "x"})
    assert response.status_code == 403
    assert "responder" in response.json()["detail"]


def test_teams_and_memberships_of_other_teams_are_invisible(responder, other_team):
    MembershipFactory(team=other_team)
    api = ApiClient(responder)
    assert [t["id"] for t in results(api.get("/api/v1/teams/"))] == [responder.memberships.get().team_id]
    assert api.get(f"/api/v1/teams/{other_team.pk}/").status_code == 404
    assert {m["team"] for m in results(api.get("/api/v1/memberships/"))} == {responder.memberships.get().team_id}
    other = Membership.objects.get(team=other_team)
    assert api.delete(f"/api/v1/memberships/{other.pk}/").status_code == 404


def test_manager_adds_people_by_username_or_id_changes_roles_and_removes_them(team, manager):
    api = ApiClient(manager)
    bob, carol = UserFactory(username="bob"), UserFactory(username="carol")
    by_name = api.post("/api/v1/memberships/", {"team": team.pk, "username": "bob", "role": "viewer"})
    assert by_name.status_code == 201
    assert (by_name.json()["user"], by_name.json()["role"]) == (bob.pk, "viewer")
    by_id = api.post("/api/v1/memberships/", {"team": team.pk, "user": carol.pk})
    assert by_id.json()["role"] == "responder"
    url = f"/api/v1/memberships/{by_name.json()['id']}/"
    assert api.patch(url, {"role": "responder"}).json()["role"] == "responder"
    assert api.delete(url).status_code == 204
    assert not Membership.objects.filter(team=team, user=bob).exists()


def test_adding_members_explains_what_is_wrong(team, manager, responder):
    api = ApiClient(manager)
    unknown = api.post("/api/v1/memberships/", {"team": team.pk, "username": "nobody"})
    assert unknown.status_code == 400
    assert unknown.json()["detail"].startswith("username:")
    again = api.post("/api/v1/memberships/", {"team": team.pk, "user": responder.pk})
    assert again.status_code == 400
    assert "already a responder" in again.json()["detail"]
    refused = ApiClient(responder).post("/api/v1/memberships/", {"team": team.pk, "username": manager.username})
    assert refused.status_code == 403


def test_the_last_manager_cannot_leave_or_be_demoted(team, manager):
    own = Membership.objects.get(team=team, user=manager)
    api = ApiClient(manager)
    assert api.patch(f"/api/v1/memberships/{own.pk}/", {"role": "viewer"}).status_code == 400
    response = api.delete(f"/api/v1/memberships/{own.pk}/")
    assert response.status_code == 400
    assert "last manager" in response.json()["detail"]


def test_a_member_may_leave_a_team(team, manager, responder):
    own = Membership.objects.get(team=team, user=responder)
    assert ApiClient(responder).delete(f"/api/v1/memberships/{own.pk}/").status_code == 204


def test_api_token_command_prints_a_working_token_once(responder):
    out, err = StringIO(), StringIO()
    call_command("api_token", responder.username, "--name", "deploy bot", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(key_hash=hash_secret(raw))
    assert (token.user, token.name) == (responder, "deploy bot")
    assert raw not in err.getvalue()


def test_api_token_command_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("api_token", "ghost")


def test_unknown_api_path_is_a_json_404_with_a_hint(responder):
    response = ApiClient(responder).get("/api/v1/incidents")
    assert response.status_code == 404
    assert "/api/v1/incidents/" in response.json()["detail"]
