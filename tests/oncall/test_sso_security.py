"""Single sign-on refuses what an attacker could bring (issue 14 §1): an ID token altered, signed
with another key, unsigned, meant for another application, expired or with another nonce; a
callback with a state this browser never got, or played twice; a discovery document that speaks
for another issuer. It keeps sessions fixation-safe, logs no secret, and leaves the password
form's throttling in place. Every token here comes from a real provider (tests/oidc/provider.mjs)."""
import base64
import json
import logging
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlparse

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User

from oncall.sso.backend import OidcBackend
from tests.factories import UserFactory
from tests.oidc.provider import CLIENT_SECRET, configure_sso, sso_login

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def ada(sso):
    sso.login_as("sub-ada", email="ada@example.com", preferred_username="ada")
    return sso


@pytest.fixture
def tokens(monkeypatch):
    """Every token answer Vigil receives from the provider, after `tokens.rewrite` (if set) changed its ID token."""
    seen = []
    real_get_token = OidcBackend.get_token

    def get_token(self, payload):
        answer = real_get_token(self, payload)
        seen.append(dict(answer))
        if get_token.rewrite:
            answer["id_token"] = get_token.rewrite(answer["id_token"])
        return answer

    get_token.rewrite = None
    get_token.seen = seen
    monkeypatch.setattr(OidcBackend, "get_token", get_token)
    return get_token


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unb64(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_a_real_id_token_logs_in(client, ada, tokens):
    sso_login(client, ada)

    assert logged_in(client) and len(tokens.seen) == 1


def test_an_id_token_whose_claims_were_altered_is_refused(client, ada, tokens):
    UserFactory(username="root", email="root@example.com", is_superuser=True)

    def claim_to_be_root(token):
        header, payload, signature = token.split(".")
        return ".".join([header, b64({**unb64(payload), "sub": "sub-root"}), signature])

    tokens.rewrite = claim_to_be_root
    response = sso_login(client, ada)

    assert response["Location"] == "/login/" and not logged_in(client)


def test_an_id_token_signed_with_another_key_is_refused(client, ada, tokens):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def re_sign(token):
        claims = jwt.decode(token, options={"verify_signature": False})
        return jwt.encode(claims, forger, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})

    tokens.rewrite = re_sign
    sso_login(client, ada)

    assert not logged_in(client)


def test_an_unsigned_id_token_is_refused(client, ada, tokens):
    def strip_signature(token):
        header, payload, _ = token.split(".")
        return ".".join([b64({**unb64(header), "alg": "none"}), payload, ""])

    tokens.rewrite = strip_signature
    sso_login(client, ada)

    assert not logged_in(client)


def test_an_id_token_the_provider_issued_to_another_application_is_refused(client, ada, tokens):
    start = client.get("/oidc/authenticate/")["Location"]
    nonce = parse_qs(urlparse(start).query)["nonce"][0]
    # Genuine, signed by the provider, same person, same nonce: only the audience is not Vigil.
    theirs = ada.token_for_other_client(redirect_uri="http://testserver/oidc/callback/", nonce=nonce)
    tokens.rewrite = lambda ours: theirs

    client.get(ada.authorize(start))

    assert jwt.decode(theirs, options={"verify_signature": False})["aud"] == "another-app"
    assert not logged_in(client)


def test_an_expired_id_token_is_refused(client, ada):
    start = client.get("/oidc/authenticate/")["Location"]
    callback = ada.authorize(start)

    # Vigil's clock two hours on: the provider's tokens live one hour.
    with time_machine.travel(timedelta(hours=2)):
        client.get(callback)

    assert not logged_in(client)


def test_an_id_token_with_another_nonce_is_refused(client, ada):
    start = client.get("/oidc/authenticate/")["Location"]
    session = client.session
    state = parse_qs(urlparse(start).query)["state"][0]
    session["oidc_states"][state]["nonce"] = "a-nonce-from-another-login"
    session.save()

    client.get(ada.authorize(start))

    assert not logged_in(client)


def test_a_callback_with_a_state_this_browser_was_never_given_is_refused(client, ada):
    # The attacker's own login, finished in the victim's browser (login CSRF).
    attacker = client.__class__()
    callback = ada.authorize(attacker.get("/oidc/authenticate/")["Location"])
    client.get("/oidc/authenticate/")

    response = client.get(callback)

    assert response.status_code == 400 and not logged_in(client)


def test_a_callback_played_twice_logs_in_once(client, ada):
    callback = ada.authorize(client.get("/oidc/authenticate/")["Location"])
    client.get(callback)
    client.logout()
    client.get("/oidc/authenticate/")

    replay = client.get(callback)

    assert replay.status_code == 400 and not logged_in(client)


def test_an_answer_naming_another_issuer_is_refused(client, ada):
    callback = ada.authorize(client.get("/oidc/authenticate/")["Location"])
    assert f"iss={quote(ada.issuer, safe='')}" in callback

    client.get(callback.replace(quote(ada.issuer, safe=""), quote("https://evil.example.com", safe="")))

    assert not logged_in(client)


def test_a_discovery_document_for_another_issuer_is_refused(client, ada, settings, monkeypatch):
    # The same provider, reached under another name: its document names 127.0.0.1, not localhost.
    configure_sso(settings, monkeypatch, issuer=ada.issuer.replace("127.0.0.1", "localhost"))

    response = client.get("/oidc/authenticate/")

    assert response["Location"] == "/login/"
    assert "did not log you in" in client.get("/login/").content.decode()


def test_explicit_endpoints_need_no_discovery(client, ada, settings, monkeypatch):
    configure_sso(settings, monkeypatch, issuer=ada.issuer, OIDC_AUTHORIZATION_ENDPOINT=f"{ada.issuer}/auth",
                  OIDC_TOKEN_ENDPOINT=f"{ada.issuer}/token", OIDC_JWKS_ENDPOINT=f"{ada.issuer}/jwks",
                  OIDC_USERINFO_ENDPOINT=f"{ada.issuer}/me")
    monkeypatch.setattr("oncall.sso.provider._discover", lambda issuer: pytest.fail("discovery was used"))

    sso_login(client, ada)

    assert logged_in(client)


def test_a_single_sign_on_gives_the_browser_a_new_session(client, ada):
    client.get("/oidc/authenticate/?next=/oncall/")
    before = client.session.session_key
    sso_login(client, ada)

    assert logged_in(client) and client.session.session_key != before


def test_no_secret_or_token_reaches_the_logs(client, ada, tokens, caplog):
    caplog.set_level(logging.DEBUG)
    sso_login(client, ada)
    client.logout()
    tokens.rewrite = lambda token: token[:-8] + "AAAAAAAA"
    sso_login(client, ada)

    secrets = {CLIENT_SECRET} | {answer[key] for answer in tokens.seen for key in ("id_token", "access_token")}
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert len(tokens.seen) == 2 and "single sign-on refused" in logged
    assert [secret for secret in secrets if secret in logged] == []


def test_wrong_passwords_still_lock_the_password_form_when_single_sign_on_is_on(client, sso):
    UserFactory(username="alice")
    for _ in range(30):
        client.post("/login/", {"username": "alice", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")

    response = client.post("/login/", {"username": "alice", "password": "correct horse battery staple"},
                           REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 429 and not logged_in(client)
    assert not User.objects.filter(username__startswith="alice-").exists()
