"""Single sign-on settings (OpenID Connect), read strictly from the environment.

SSO is on exactly when OIDC_ISSUER is set; then the client id and secret must be set too. The
provider's endpoints come from its discovery document (`<issuer>/.well-known/openid-configuration`,
fetched at the first login) unless all of OIDC_AUTHORIZATION_ENDPOINT, OIDC_TOKEN_ENDPOINT and
OIDC_JWKS_ENDPOINT are given (OIDC_USERINFO_ENDPOINT optional). The names mozilla-django-oidc reads
(OIDC_RP_*, OIDC_OP_*) are filled in here; oncall/sso/ holds the code that uses them.
"""
from dataclasses import dataclass

from .env import ConfigError, env_bool, env_str

# Membership.Role's values: config imports no app, and tests/oncall/test_sso_config.py keeps the two equal.
ROLES = ("viewer", "responder", "manager")
_EXPLICIT_ENDPOINTS = ("OIDC_AUTHORIZATION_ENDPOINT", "OIDC_TOKEN_ENDPOINT", "OIDC_JWKS_ENDPOINT")
_PASSWORD_BACKEND = "django.contrib.auth.backends.ModelBackend"
OIDC_BACKEND = "oncall.sso.backend.OidcBackend"


@dataclass(frozen=True)
class TeamGroup:
    """Members of the provider's `group` get `role` in the Vigil team named (or slugged) `team`."""

    group: str
    team: str
    role: str


def parse_team_groups(raw: str) -> tuple[TeamGroup, ...]:
    """`group:team:role` entries separated by commas. The group may itself contain colons (the
    last two fields are split off), so URN-style group names work."""
    mappings = []
    for entry in (item.strip() for item in raw.split(",")):
        if not entry:
            continue
        parts = entry.rsplit(":", 2)
        if len(parts) != 3 or not all(part.strip() for part in parts):
            raise ConfigError(f"OIDC_TEAM_GROUPS entry {entry!r} is not group:team:role")
        group, team, role = (part.strip() for part in parts)
        if role not in ROLES:
            raise ConfigError(f"OIDC_TEAM_GROUPS entry {entry!r}: role {role!r} is not one of {', '.join(ROLES)}")
        mappings.append(TeamGroup(group=group, team=team, role=role))
    return tuple(mappings)


def sso_settings(backends: list[str]) -> dict:
    """The settings for SSO and the password form, given the authentication backends so far."""
    issuer = (env_str("OIDC_ISSUER") or "").rstrip("/")
    password_login = env_bool("VIGIL_PASSWORD_LOGIN", True)
    if not password_login:
        if not issuer:
            raise ConfigError("VIGIL_PASSWORD_LOGIN=false needs OIDC_ISSUER: nobody could log in")
        # Without the password backend no password works anywhere: the login form, the admin's.
        backends = [backend for backend in backends if backend != _PASSWORD_BACKEND]
    settings = {"PASSWORD_LOGIN": password_login, "OIDC_ENABLED": bool(issuer), "AUTHENTICATION_BACKENDS": backends}
    if not issuer:
        return settings

    client_id = env_str("OIDC_CLIENT_ID") or ""
    client_secret = env_str("OIDC_CLIENT_SECRET") or ""
    missing = [name for name, value in (("OIDC_CLIENT_ID", client_id), ("OIDC_CLIENT_SECRET", client_secret)) if not value]
    if missing:
        raise ConfigError(f"OIDC_ISSUER is set, so {' and '.join(missing)} must be set too")
    if not issuer.startswith(("https://", "http://")):
        raise ConfigError(f"OIDC_ISSUER={issuer!r} is not an http(s) URL")
    explicit = {name: env_str(name) or "" for name in _EXPLICIT_ENDPOINTS}
    given = [name for name, value in explicit.items() if value]
    if given and len(given) < len(explicit):
        missing = [name for name in explicit if name not in given]
        raise ConfigError(f"{', '.join(missing)} must be set too: give all provider endpoints, or none for discovery")
    groups_claim = env_str("OIDC_GROUPS_CLAIM") or ""
    team_groups = parse_team_groups(env_str("OIDC_TEAM_GROUPS") or "")
    if team_groups and not groups_claim:
        raise ConfigError("OIDC_TEAM_GROUPS needs OIDC_GROUPS_CLAIM: the claim that lists a person's groups")
    default_scopes = "openid email profile" + (" groups" if groups_claim else "")
    scopes = env_str("OIDC_SCOPES") or default_scopes
    if not {"openid", "email"} <= set(scopes.split()):
        raise ConfigError(f"OIDC_SCOPES={scopes!r} must include openid and email: people are matched by email")

    settings.update({
        "AUTHENTICATION_BACKENDS": [*backends, OIDC_BACKEND],
        "OIDC_ISSUER": issuer,
        "OIDC_LOGIN_LABEL": env_str("OIDC_LOGIN_LABEL") or "Log in with single sign-on",
        "OIDC_GROUPS_CLAIM": groups_claim,
        "OIDC_TEAM_GROUPS": team_groups,
        "OIDC_RP_CLIENT_ID": client_id,
        "OIDC_RP_CLIENT_SECRET": client_secret,
        "OIDC_RP_SCOPES": scopes,
        "OIDC_RP_SIGN_ALGO": "RS256",
        "OIDC_OP_AUTHORIZATION_ENDPOINT": explicit["OIDC_AUTHORIZATION_ENDPOINT"],
        "OIDC_OP_TOKEN_ENDPOINT": explicit["OIDC_TOKEN_ENDPOINT"],
        "OIDC_OP_JWKS_ENDPOINT": explicit["OIDC_JWKS_ENDPOINT"],
        "OIDC_OP_USER_ENDPOINT": env_str("OIDC_USERINFO_ENDPOINT") or "",
        # Most providers take the client's secret in a Basic header (client_secret_basic).
        "OIDC_TOKEN_USE_BASIC_AUTH": True,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        # A provider that does not answer within this many seconds fails the login, not the worker.
        "OIDC_TIMEOUT": 10,
        "OIDC_ALLOW_UNSECURED_JWT": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "OIDC_STORE_ID_TOKEN": False,
    })
    return settings
