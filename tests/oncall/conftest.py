import pytest

from tests.oidc.provider import running_provider


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """A real OpenID provider on loopback, whose client Vigil is (tests/oidc/provider.mjs)."""
    with running_provider(redirect_uri="http://testserver/oidc/callback/",
                          workdir=tmp_path_factory.mktemp("oidc-provider")) as provider:
        yield provider


@pytest.fixture
def sso(oidc_provider, settings, monkeypatch):
    from tests.oidc.provider import configure_sso

    configure_sso(settings, monkeypatch, issuer=oidc_provider.issuer)
    return oidc_provider
