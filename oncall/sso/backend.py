"""The authentication backend for OpenID Connect logins (mozilla-django-oidc's code flow).

What it adds to the library: endpoints from discovery; the ID token's issuer, audience and
expiry checked, not only its signature; the userinfo answer bound to the ID token's subject; only
a provider-verified email finds or makes an account; and every refusal is a failed login (logged
with its reason, never with a token or secret) rather than an error page.
"""
import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .provider import ProviderUnavailable, provider_endpoints
from .services import sso_user_create, sso_user_update

logger = logging.getLogger(__name__)

# PyJWT's default leeway is none; the provider's clock and ours may differ by a few seconds.
CLOCK_SKEW_SECONDS = 60
_CALLBACK_ARGUMENTS = {"nonce", "code_verifier"}


def email_is_verified(claims: dict) -> bool:
    # Some providers (Amazon Cognito) send the boolean as a string.
    return claims.get("email_verified") in (True, "true")


class OidcBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # Django builds a backend for every request that has a session, to load its user: the
        # endpoints (which may need a discovery round trip) are resolved only when logging in.
        self.UserModel = get_user_model()
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, **kwargs):
        # Only the callback view calls with exactly these arguments: a password login never
        # reaches the provider, whatever its query string says.
        if not settings.OIDC_ENABLED or request is None or set(kwargs) - _CALLBACK_ARGUMENTS:
            return None
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        try:
            endpoints = provider_endpoints()
            self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token
            self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks
            self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, ProviderUnavailable, requests.RequestException) as e:
            logger.warning("single sign-on refused: %s", e)
            return None

    def get_user(self, user_id):
        # The library's loads any user; a deactivated person's single sign-on session must end
        # as a password session does.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def retrieve_matching_jwk(self, token):
        try:
            return super().retrieve_matching_jwk(token)
        except (KeyError, ValueError, jwt.PyJWTError) as e:
            raise SuspiciousOperation(f"the ID token names no key the provider publishes ({type(e).__name__})") from None

    def get_payload_data(self, token, key):
        try:
            payload = jwt.decode(
                token, key, algorithms=["RS256"], audience=self.OIDC_RP_CLIENT_ID, issuer=settings.OIDC_ISSUER,
                leeway=CLOCK_SKEW_SECONDS, options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as e:
            raise SuspiciousOperation(f"the ID token is refused: {e}") from None
        # OpenID Connect Core §3.1.3.7: a token for several audiences must be meant for us.
        if isinstance(payload["aud"], list) and len(payload["aud"]) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("the ID token's azp is not this client")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        if not self.OIDC_OP_USER_ENDPOINT:
            return payload
        userinfo = super().get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core §5.3.2: userinfo about another subject must not be used.
        if userinfo.get("sub") != payload["sub"]:
            raise SuspiciousOperation("the userinfo answer is about another subject than the ID token")
        return {**payload, **userinfo}

    def verify_claims(self, claims):
        if not claims.get("email"):
            logger.warning("single sign-on refused for subject %s: the provider sent no email", claims.get("sub"))
            return False
        if not email_is_verified(claims):
            # An unverified email is only a claim: matching on it would hand its owner's account
            # to whoever typed the address at the provider.
            logger.warning("single sign-on refused for subject %s: the provider has not verified the email", claims.get("sub"))
            return False
        return True

    def create_user(self, claims):
        return sso_user_create(claims=claims)

    def update_user(self, user, claims):
        return sso_user_update(user=user, claims=claims)
