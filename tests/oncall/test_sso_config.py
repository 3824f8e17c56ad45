"""Single sign-on's settings (config/oidc.py): on exactly when OIDC_ISSUER is set, and a typo or a
half-given configuration stops the process at start-up instead of turning SSO quietly off."""
import pytest

from config.env import ConfigError
from config.oidc import OIDC_BACKEND, ROLES, TeamGroup, parse_team_groups, sso_settings
from oncall.models import Membership

PASSWORD_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
OIDC_VARIABLES = ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_CLIENT_SECRET_FILE", "OIDC_SCOPES",
                  "OIDC_GROUPS_CLAIM", "OIDC_TEAM_GROUPS", "OIDC_AUTHORIZATION_ENDPOINT", "OIDC_TOKEN_ENDPOINT",
                  "OIDC_JWKS_ENDPOINT", "OIDC_USERINFO_ENDPOINT", "OIDC_LOGIN_LABEL", "VIGIL_PASSWORD_LOGIN")


@pytest.fixture
def env(monkeypatch):
    for name in OIDC_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
    return set_env


def test_without_an_issuer_sso_is_off_and_passwords_work(env):
    settings = sso_settings(PASSWORD_BACKENDS)

    assert settings == {"PASSWORD_LOGIN": True, "OIDC_ENABLED": False, "AUTHENTICATION_BACKENDS": PASSWORD_BACKENDS}


def test_an_issuer_with_its_client_turns_sso_on_with_discovery(env):
    env(OIDC_ISSUER="https://id.example.com/", OIDC_CLIENT_ID="vigil", OIDC_CLIENT_SECRET="s3cret")

    settings = sso_settings(PASSWORD_BACKENDS)

    assert settings["OIDC_ENABLED"] and settings["OIDC_ISSUER"] == "https://id.example.com"
    assert settings["AUTHENTICATION_BACKENDS"] == [*PASSWORD_BACKENDS, OIDC_BACKEND]
    assert settings["OIDC_OP_AUTHORIZATION_ENDPOINT"] == ""  # discovered at the first login
    assert (settings["OIDC_RP_SIGN_ALGO"], settings["OIDC_USE_NONCE"], settings["OIDC_USE_PKCE"]) == ("RS256", True, True)


def test_the_client_secret_can_come_from_a_file(env, tmp_path):
    (tmp_path / "secret").write_text("from-a-file\n")
    env(OIDC_ISSUER="https://id.example.com", OIDC_CLIENT_ID="vigil", OIDC_CLIENT_SECRET_FILE=str(tmp_path / "secret"))

    assert sso_settings(PASSWORD_BACKENDS)["OIDC_RP_CLIENT_SECRET"] == "from-a-file"


def test_an_issuer_without_its_client_is_an_error(env):
    env(OIDC_ISSUER="https://id.example.com", OIDC_CLIENT_ID="vigil")

    with pytest.raises(ConfigError, match="OIDC_CLIENT_SECRET must be set too"):
        sso_settings(PASSWORD_BACKENDS)


def test_some_endpoints_without_the_others_is_an_error(env):
    env(OIDC_ISSUER="https://id.example.com", OIDC_CLIENT_ID="vigil", OIDC_CLIENT_SECRET="s",
        OIDC_TOKEN_ENDPOINT="https://id.example.com/token")

    with pytest.raises(ConfigError, match="OIDC_AUTHORIZATION_ENDPOINT, OIDC_JWKS_ENDPOINT must be set too"):
        sso_settings(PASSWORD_BACKENDS)


def test_password_login_off_removes_the_password_backend(env):
    env(OIDC_ISSUER="https://id.example.com", OIDC_CLIENT_ID="vigil", OIDC_CLIENT_SECRET="s", VIGIL_PASSWORD_LOGIN="false")

    settings = sso_settings(PASSWORD_BACKENDS)

    assert settings["PASSWORD_LOGIN"] is False
    assert settings["AUTHENTICATION_BACKENDS"] == ["axes.backends.AxesStandaloneBackend", OIDC_BACKEND]


def test_password_login_off_without_sso_is_an_error(env):
    env(VIGIL_PASSWORD_LOGIN="false")

    with pytest.raises(ConfigError, match="nobody could log in"):
        sso_settings(PASSWORD_BACKENDS)


def test_team_groups_read_group_team_and_role():
    assert parse_team_groups(" sre:Platform:manager, urn:idp:dev:platform:responder ,") == (
        TeamGroup(group="sre", team="Platform", role="manager"),
        TeamGroup(group="urn:idp:dev", team="platform", role="responder"),
    )


@pytest.mark.parametrize("raw,problem", [("sre:Platform", "is not group:team:role"),
                                         ("sre::manager", "is not group:team:role"),
                                         ("sre:Platform:admin", "role 'admin' is not one of")])
def test_a_bad_team_group_entry_is_an_error_naming_it(raw, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_team_groups(raw)


def test_team_groups_without_a_groups_claim_is_an_error(env):
    env(OIDC_ISSUER="https://id.example.com", OIDC_CLIENT_ID="vigil", OIDC_CLIENT_SECRET="s",
        OIDC_TEAM_GROUPS="sre:Platform:manager")

    with pytest.raises(ConfigError, match="OIDC_TEAM_GROUPS needs OIDC_GROUPS_CLAIM"):
        sso_settings(PASSWORD_BACKENDS)


def test_a_groups_claim_asks_for_the_groups_scope(env):
    env(OIDC_ISSUER="https://id.example.com", OIDC_CLIENT_ID="vigil", OIDC_CLIENT_SECRET="s", OIDC_GROUPS_CLAIM="groups")

    assert sso_settings(PASSWORD_BACKENDS)["OIDC_RP_SCOPES"] == "openid email profile groups"


def test_the_roles_config_knows_are_the_membership_roles():
    assert set(ROLES) == set(Membership.Role.values)
