"""Single sign-on (issue 14 §1) through a real OpenID provider (tests/oidc/provider.mjs): the login
page's button, first-login accounts, matching by verified email only, team memberships from the
provider's groups, and the password form beside it (or turned off)."""
import pytest
from django.contrib.auth.models import User

from oncall.models import Membership
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.oidc.provider import configure_sso, sso_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture
def platform(db):
    return TeamFactory(name="Platform", slug="platform")


def logged_in_user(client):
    return User.objects.filter(pk=client.session.get("_auth_user_id")).first()


def test_the_login_page_offers_single_sign_on_beside_the_password_form(client, sso):
    page = client.get("/login/?next=/oncall/").content.decode()

    assert 'href="/oidc/authenticate/?next=/oncall/"' in page
    assert "Log in with single sign-on" in page
    assert 'name="password"' in page


def test_a_first_login_creates_the_account_and_lands_on_the_incidents(client, sso):
    sso.login_as("sub-ada", email="ada@example.com", preferred_username="ada", given_name="Ada", family_name="Lovelace")

    response = sso_login(client, sso)

    assert response.status_code == 302 and response["Location"] == "/"
    ada = logged_in_user(client)
    assert (ada.username, ada.email, ada.get_full_name()) == ("ada", "ada@example.com", "Ada Lovelace")
    assert not ada.has_usable_password()


def test_a_login_goes_back_to_the_page_that_asked_for_it(client, sso):
    sso.login_as("sub-ada", email="ada@example.com")

    response = sso_login(client, sso, start="/oidc/authenticate/?next=/oncall/schedules/")

    assert response["Location"] == "/oncall/schedules/"


def test_a_verified_email_logs_into_the_existing_account_with_that_email(client, sso):
    bob = UserFactory(username="bob", email="Bob@Example.com")
    sso.login_as("sub-bob", email="bob@example.com", email_verified=True, preferred_username="robert")

    sso_login(client, sso)

    assert logged_in_user(client) == bob
    assert User.objects.count() == 1


def test_an_unverified_email_never_logs_into_the_account_with_that_email(client, sso):
    bob = UserFactory(username="bob", email="bob@example.com")
    sso.login_as("sub-mallory", email="bob@example.com", email_verified=False)

    response = sso_login(client, sso)

    assert response["Location"] == "/login/"
    assert logged_in_user(client) is None
    assert list(User.objects.all()) == [bob]
    assert "did not log you in" in client.get("/login/").content.decode()


def test_an_unverified_email_makes_no_account_either(client, sso):
    sso.login_as("sub-new", email="new@example.com", email_verified=False)

    sso_login(client, sso)

    assert logged_in_user(client) is None
    assert not User.objects.exists()


def test_a_username_taken_by_someone_else_gets_a_number(client, sso):
    UserFactory(username="ada", email="another.ada@example.com")
    sso.login_as("sub-ada", email="ada@example.com", preferred_username="ada")

    sso_login(client, sso)

    assert logged_in_user(client).username == "ada-2"


def test_groups_grant_team_memberships_at_the_first_login(client, sso, platform):
    databases = TeamFactory(name="Databases", slug="databases")
    sso.login_as("sub-ada", email="ada@example.com", groups=["dev", "sre", "dba", "unmapped"])

    sso_login(client, sso)

    memberships = {(m.team, m.role, m.from_sso_groups) for m in logged_in_user(client).memberships.all()}
    # sre and dev both map to Platform: the higher role wins. dba names the team by its slug.
    assert memberships == {(platform, "manager", True), (databases, "viewer", True)}


def test_a_group_change_at_the_provider_changes_the_memberships_at_the_next_login(client, sso, platform):
    sso.login_as("sub-ada", email="ada@example.com", groups=["sre", "dba"])
    databases = TeamFactory(name="Databases", slug="databases")
    sso_login(client, sso)
    ada = logged_in_user(client)
    client.logout()

    sso.login_as("sub-ada", email="ada@example.com", groups=["dev"])
    sso_login(client, sso)

    assert {(m.team, m.role) for m in ada.memberships.all()} == {(platform, "responder")}
    assert not Membership.objects.filter(team=databases).exists()


def test_leaving_every_group_removes_only_the_memberships_groups_granted(client, sso, platform):
    ada = UserFactory(username="ada", email="ada@example.com")
    by_hand = MembershipFactory(user=ada, team=TeamFactory(name="Payments"), role="manager")
    sso.login_as("sub-ada", email="ada@example.com", groups=["sre"])
    sso_login(client, sso)
    client.logout()

    sso.login_as("sub-ada", email="ada@example.com", groups=[])
    sso_login(client, sso)

    assert list(ada.memberships.all()) == [by_hand]
    by_hand.refresh_from_db()
    assert by_hand.role == "manager"


def test_a_membership_granted_by_hand_keeps_its_role_whatever_the_groups_say(client, sso, platform):
    ada = UserFactory(username="ada", email="ada@example.com")
    MembershipFactory(user=ada, team=platform, role="viewer")
    sso.login_as("sub-ada", email="ada@example.com", groups=["sre"])

    sso_login(client, sso)

    membership = ada.memberships.get()
    assert (membership.role, membership.from_sso_groups) == ("viewer", False)


def test_a_provider_that_sends_no_groups_claim_leaves_memberships_alone(client, sso, platform):
    sso.login_as("sub-ada", email="ada@example.com", groups=["sre"])
    sso_login(client, sso)
    client.logout()

    sso.login_as("sub-ada", email="ada@example.com")
    sso_login(client, sso)

    assert logged_in_user(client).memberships.get().role == "manager"


def test_group_changes_are_in_the_audit_log_as_single_sign_on(client, sso, platform):
    from oncall.audit.models import AuditEntry

    sso.login_as("sub-ada", email="ada@example.com", groups=["sre"])
    sso_login(client, sso)

    entry = AuditEntry.objects.get(object_type="oncall.membership")
    assert (entry.via, entry.action, entry.team_id, entry.actor.username) == ("sso", "created", platform.pk, "ada")


def test_with_password_login_off_the_page_has_only_the_button_and_passwords_are_refused(client, sso, settings, monkeypatch):
    configure_sso(settings, monkeypatch, issuer=sso.issuer, VIGIL_PASSWORD_LOGIN="false")
    UserFactory(username="carol", is_staff=True, is_superuser=True)

    page = client.get("/login/").content.decode()
    refused = client.post("/login/", {"username": "carol", "password": "correct horse battery staple"})

    assert 'name="password"' not in page and 'href="/oidc/authenticate/"' in page
    assert refused.status_code == 403 and logged_in_user(client) is None
    client.post("/admin/login/", {"username": "carol", "password": "correct horse battery staple"})
    assert logged_in_user(client) is None  # the admin's own form takes no password either
    sso.login_as("sub-carol", email="carol@example.com")
    sso_login(client, sso)
    assert logged_in_user(client).username == "carol"


def test_without_an_issuer_the_login_page_is_the_password_form_alone(client):
    page = client.get("/login/").content.decode()

    assert "oidc" not in page and 'name="password"' in page
    assert client.get("/oidc/authenticate/").status_code == 404


def test_the_api_tells_which_memberships_the_groups_granted(client, sso, platform):
    sso.login_as("sub-ada", email="ada@example.com", groups=["sre"])
    sso_login(client, sso)

    listed = client.get("/api/v1/memberships/").json()["results"]

    assert [(m["team_name"], m["role"], m["from_sso_groups"]) for m in listed] == [("Platform", "manager", True)]


def test_a_deactivated_persons_single_sign_on_session_ends(client, sso):
    sso.login_as("sub-ada", email="ada@example.com")
    sso_login(client, sso)
    User.objects.filter(username="ada").update(is_active=False)

    response = client.get("/oncall/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")
