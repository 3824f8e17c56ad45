"""Starts tests/oidc/provider.mjs, a real OpenID provider (oidc-provider on Node), for the single
sign-on tests, and walks a browser-less login through it.

Its npm packages are installed with `npm ci` from the committed lock file, into a cache folder
named after that file (tests/oidc/node_modules is used instead when a developer installed there).
Without node and npm the tests are skipped, except on CI (CI=true), where that is a failure.
"""
import hashlib
import json
import os
import select
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import requests

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "vigil"
CLIENT_ID = "vigil"
CLIENT_SECRET = "test-client-secret-9f3c1a"
OTHER_CLIENT_ID = "another-app"
OTHER_CLIENT_SECRET = "another-app-secret-51d0"


def node_or_skip() -> None:
    missing = [tool for tool in ("node", "npm") if not shutil.which(tool)]
    if missing:
        reason = (f"{' and '.join(missing)} not found: the single sign-on tests log in through a real OpenID "
                  f"provider on Node.js (apt-get install nodejs npm)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def _installed() -> Path:
    """A folder holding provider.mjs beside its node_modules."""
    if (HERE / "node_modules" / "oidc-provider").is_dir():
        return HERE
    lock = hashlib.sha256((HERE / "package.json").read_bytes() + (HERE / "package-lock.json").read_bytes())
    target = CACHE / f"oidc-provider-{lock.hexdigest()[:16]}"
    if not (target / "node_modules" / "oidc-provider").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=CACHE, prefix="oidc-provider-install-"))
        for name in ("package.json", "package-lock.json"):
            shutil.copy(HERE / name, staging / name)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                       cwd=staging, check=True, timeout=600, stdout=subprocess.DEVNULL)
        try:
            staging.rename(target)
        except OSError:  # another run installed it meanwhile
            shutil.rmtree(staging, ignore_errors=True)
    shutil.copy(HERE / "provider.mjs", target / "provider.mjs")
    return target


class Provider:
    def __init__(self, issuer: str, accounts_file: Path):
        self.issuer = issuer
        self.accounts_file = accounts_file

    def login_as(self, sub: str, *, email: str, email_verified: bool = True, **claims) -> None:
        """The next login at the provider is `sub`'s, with these claims (groups=[...], name=...)."""
        account = {"email": email, "email_verified": email_verified, **claims}
        self.accounts_file.write_text(json.dumps({"login_as": sub, "accounts": {sub: account}}))

    def authorize(self, url: str) -> str:
        """Follows the provider's redirects (login, consent: both automatic) from an authorization
        URL to the redirect back to the client, and returns that URL (code, state and iss)."""
        session = requests.Session()
        issuer_netloc = urlparse(self.issuer).netloc
        for _ in range(10):
            response = session.get(url, allow_redirects=False, timeout=10)
            assert response.status_code in (302, 303), f"{response.status_code} from the provider: {response.text[:500]}"
            url = urljoin(url, response.headers["Location"])
            if urlparse(url).netloc != issuer_netloc:
                return url
        raise AssertionError("the provider never redirected back")

    def token_for_other_client(self, *, redirect_uri: str, nonce: str) -> str:
        """An ID token the provider issues to another application, for the same person."""
        from urllib.parse import parse_qs, urlencode

        query = urlencode({"response_type": "code", "client_id": OTHER_CLIENT_ID, "redirect_uri": redirect_uri,
                           "scope": "openid email", "state": "other", "nonce": nonce})
        back = self.authorize(f"{self.issuer}/auth?{query}")
        code = parse_qs(urlparse(back).query)["code"][0]
        response = requests.post(f"{self.issuer}/token", timeout=10, auth=(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET),
                                 data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
        response.raise_for_status()
        return response.json()["id_token"]


@contextmanager
def running_provider(*, redirect_uri: str, workdir: Path):
    node_or_skip()
    folder = _installed()
    accounts_file = workdir / "accounts.json"
    accounts_file.write_text(json.dumps({"login_as": "nobody", "accounts": {}}))
    env = {**os.environ, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "REDIRECT_URI": redirect_uri,
           "OTHER_CLIENT_ID": OTHER_CLIENT_ID, "OTHER_CLIENT_SECRET": OTHER_CLIENT_SECRET,
           "ACCOUNTS_FILE": str(accounts_file), "NODE_ENV": "test"}
    with open(workdir / "provider.log", "w") as log:
        process = subprocess.Popen(["node", "provider.mjs"], cwd=folder, env=env, stdout=subprocess.PIPE,
                                   stderr=log, text=True)
        try:
            ready, _, _ = select.select([process.stdout], [], [], 30)
            line = process.stdout.readline() if ready else ""
            if not line:
                raise RuntimeError(f"the OpenID provider did not start: {(workdir / 'provider.log').read_text()}")
            yield Provider(json.loads(line)["issuer"], accounts_file)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def configure_sso(settings, monkeypatch, *, issuer: str, **env: str) -> None:
    """Django settings as config/oidc.py makes them from this environment, for one test."""
    from config.oidc import sso_settings

    environment = {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
                   "OIDC_GROUPS_CLAIM": "groups",
                   "OIDC_TEAM_GROUPS": "sre:Platform:manager,dev:Platform:responder,dba:databases:viewer", **env}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    backends = [b for b in settings.AUTHENTICATION_BACKENDS if b != "oncall.sso.backend.OidcBackend"]
    for name, value in sso_settings(backends).items():
        setattr(settings, name, value)


def sso_login(client, provider: Provider, *, start: str = "/oidc/authenticate/"):
    """Clicks the login page's SSO button, passes the provider, and returns Vigil's answer to the
    callback. The Django test client keeps Vigil's session; requests keeps the provider's."""
    response = client.get(start)
    assert response.status_code == 302, response
    return client.get(provider.authorize(response["Location"]))
