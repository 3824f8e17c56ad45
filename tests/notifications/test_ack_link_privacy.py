"""The ack link's token is a credential in a URL: browsers must not repeat it in a Referer (the
page's own stylesheet request would carry it into the access log)."""
import pytest
from django.test import Client

from incidents.services import incident_trigger
from notifications.escalation import escalate
from notifications.links import ack_token
from tests.browser import browser_page, needs_chromium  # noqa: F401 - the fixture
from tests.factories import MembershipFactory, ServiceFactory, UserFactory


@pytest.fixture
def paged(db):
    service = ServiceFactory()
    alice = MembershipFactory(team=service.team, user=UserFactory(username="alice")).user
    incident, _ = incident_trigger(service=service, title="Disk full", dedup_key="disk")
    escalate(incident_id=incident.pk)
    return incident, alice


def test_the_ack_page_asks_browsers_to_send_no_referer(paged, client):
    incident, alice = paged
    page = client.get(f"/a/{ack_token(incident_id=incident.pk, user_id=alice.pk)}")
    assert page.status_code == 200 and page["Referrer-Policy"] == "no-referrer"


def test_an_invalid_ack_link_page_sends_no_referer_either(db, client):
    page = client.get("/a/1.1:abc:forged")
    assert page.status_code == 404 and page["Referrer-Policy"] == "no-referrer"


def test_other_pages_send_the_referer_only_to_the_same_origin(db, client):
    assert client.get("/login/")["Referrer-Policy"] == "same-origin"


def test_the_ack_button_works_with_the_null_origin_a_no_referrer_page_posts_with(paged):
    # Browsers send `Origin: null` on a form POST from a no-referrer page (Fetch standard,
    # "serializing a request origin"), which Django's CSRF check would refuse.
    incident, alice = paged
    browser = Client(enforce_csrf_checks=True)
    path = f"/a/{ack_token(incident_id=incident.pk, user_id=alice.pk)}"
    browser.get(path)
    done = browser.post(path, {"action": "acknowledge"}, HTTP_ORIGIN="null")
    assert done.status_code == 200
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == alice


@pytest.mark.slow
@needs_chromium
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_ack_page_leaks_no_token_and_its_button_still_acknowledges(live_server, browser_page):
    service = ServiceFactory()
    alice = MembershipFactory(team=service.team, user=UserFactory(username="alice")).user
    incident, _ = incident_trigger(service=service, title="Disk full", dedup_key="disk")
    token = ack_token(incident_id=incident.pk, user_id=alice.pk)
    requests = []
    browser_page.on("request", lambda request: requests.append((request.url, request.all_headers())))

    browser_page.goto(f"{live_server.url}/a/{token}")
    browser_page.get_by_role("button", name="Acknowledge").click()
    browser_page.wait_for_load_state()

    assert "Acknowledged" in browser_page.content()
    incident.refresh_from_db()
    assert incident.status == "acknowledged" and incident.acknowledged_by == alice
    stylesheets = [headers for url, headers in requests if url.endswith(".css")]
    assert stylesheets and not [h for h in stylesheets if h.get("referer")]
    assert not [url for url, headers in requests if token in headers.get("referer", "")]
