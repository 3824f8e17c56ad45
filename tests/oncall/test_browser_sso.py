"""Single sign-on in a real browser at 375 px (issue 14 §1): the login page's button, under the
Content-Security-Policy and without sideways scroll, through a real OpenID provider and back."""
import pytest

from oncall.models import Membership
from tests.browser import needs_chromium, phone, shared_browser, sideways_overflow  # noqa: F401 - fixtures
from tests.factories import TeamFactory
from tests.oidc.provider import configure_sso, running_provider

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def provider_for_live_server(live_server, tmp_path_factory):
    with running_provider(redirect_uri=f"{live_server.url}/oidc/callback/",
                          workdir=tmp_path_factory.mktemp("oidc-provider-browser")) as provider:
        yield provider


def test_the_single_sign_on_button_logs_a_phone_in_through_the_provider(
        live_server, provider_for_live_server, phone, settings, monkeypatch, tmp_path):
    provider = provider_for_live_server
    configure_sso(settings, monkeypatch, issuer=provider.issuer, OIDC_LOGIN_LABEL="Log in with Example Corporation ID")
    platform = TeamFactory(name="Platform", slug="platform")
    provider.login_as("sub-ada", email="ada@example.com", given_name="Ada", family_name="Lovelace", groups=["sre"])

    phone.goto(f"{live_server.url}/oncall/")
    button = phone.get_by_role("link", name="Log in with Example Corporation ID")
    assert button.is_visible() and phone.locator("input[name=password]").is_visible()
    assert sideways_overflow(phone) == 0
    assert button.bounding_box()["height"] >= 44
    phone.screenshot(path=str(tmp_path / "1-login.png"), full_page=True)
    button.click()
    phone.wait_for_url(f"{live_server.url}/oncall/")

    assert "Ada Lovelace" in phone.content()
    assert Membership.objects.get(team=platform).role == "manager"
    assert phone.csp_complaints == []
