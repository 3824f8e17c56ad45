"""The identity provider's endpoints: from settings when all are given, else from its discovery
document, fetched once per process and kept for an hour (providers rarely move endpoints, and a
login must not cost an extra round trip)."""
import time
from dataclasses import dataclass

import requests
from django.conf import settings

DISCOVERY_TTL_SECONDS = 3600


class ProviderUnavailable(Exception):
    """The provider's discovery document cannot be had or does not describe the configured issuer."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    jwks: str
    userinfo: str  # may be empty: the ID token's claims are used alone then


_discovered: dict[str, tuple[float, Endpoints]] = {}


def provider_endpoints() -> Endpoints:
    if settings.OIDC_OP_AUTHORIZATION_ENDPOINT:
        return Endpoints(authorization=settings.OIDC_OP_AUTHORIZATION_ENDPOINT, token=settings.OIDC_OP_TOKEN_ENDPOINT,
                         jwks=settings.OIDC_OP_JWKS_ENDPOINT, userinfo=settings.OIDC_OP_USER_ENDPOINT)
    issuer = settings.OIDC_ISSUER
    cached = _discovered.get(issuer)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    endpoints = _discover(issuer)
    _discovered[issuer] = (time.monotonic() + DISCOVERY_TTL_SECONDS, endpoints)
    return endpoints


def _discover(issuer: str) -> Endpoints:
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as e:
        raise ProviderUnavailable(f"the discovery document at {url} cannot be read: {e}") from e
    # OpenID Connect Discovery §4.3: the document must name the issuer it was fetched from, or
    # another provider could hand out endpoints (and keys) in its name.
    if document.get("issuer") != issuer:
        raise ProviderUnavailable(f"the discovery document at {url} names issuer {document.get('issuer')!r}, not {issuer!r}")
    try:
        return Endpoints(authorization=document["authorization_endpoint"], token=document["token_endpoint"],
                         jwks=document["jwks_uri"], userinfo=document.get("userinfo_endpoint", ""))
    except KeyError as e:
        raise ProviderUnavailable(f"the discovery document at {url} has no {e.args[0]}") from None
