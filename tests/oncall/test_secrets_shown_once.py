"""A new API token, calendar feed address or integration token is shown once, in the body of the
response to the POST that made it, and never travels in a cookie (issue 9 §8): the `messages`
cookie is signed, not encrypted, so anything in it can be read by whoever sees the cookie."""
import re
from urllib.parse import unquote

import pytest
from django.test import Client

from incidents.models import Integration
from oncall import schedules
from oncall.models import ApiToken, CalendarFeed
from tests.factories import MembershipFactory, ServiceFactory, UserFactory

SECRET = re.compile(r"\b(?:vgl|cal|int)_[A-Za-z0-9_-]{40,}")


def secrets_in(text: str) -> list[str]:
    return SECRET.findall(text)


def cookie_text(response) -> str:
    return unquote(" ".join(morsel.OutputString() for morsel in response.cookies.values()))


def assert_shown_once_in_the_body_only(response) -> str:
    assert response.status_code == 200
    body = response.content.decode()
    [secret] = secrets_in(body)
    assert body.count(secret) == 1
    assert "copy it now" in body.lower()
    assert secret not in cookie_text(response)
    assert "messages" not in response.cookies
    # Neither a shared cache nor the browser's history keeps the page with the secret.
    assert "no-store" in response["Cache-Control"]
    return secret


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager", user=UserFactory(username="maria")).user


@pytest.fixture
def schedule(team):
    return schedules.schedule_create(team=team, name="Primary", time_zone="UTC")


def test_a_new_api_token_is_shown_once_in_the_response_body_and_in_no_cookie(client, db):
    user = UserFactory(username="tokenuser")
    client.force_login(user)
    response = client.post("/oncall/profile/api-tokens/", {"name": "deploy script"})
    raw = assert_shown_once_in_the_body_only(response)
    assert "deploy script" in response.content.decode()
    assert ApiToken.objects.get(user=user).key_prefix == raw[:10]
    assert Client().get("/api/v1/me/", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert raw not in client.get("/oncall/profile/").content.decode()


def test_a_new_personal_calendar_feed_is_shown_once_in_the_response_body_and_in_no_cookie(client, team):
    alice = MembershipFactory(team=team, user=UserFactory(username="alice")).user
    client.force_login(alice)
    response = client.post("/oncall/profile/feeds/")
    token = assert_shown_once_in_the_body_only(response)
    assert f"/oncall/people/{alice.pk}/{token}.ics" in response.content.decode()
    assert CalendarFeed.objects.filter(user=alice).count() == 1
    assert token not in client.get("/oncall/profile/").content.decode()


def test_a_new_schedule_feed_is_shown_once_in_the_response_body_and_in_no_cookie(client, manager, schedule):
    client.force_login(manager)
    response = client.post(f"/oncall/schedules/{schedule.pk}/feeds/")
    token = assert_shown_once_in_the_body_only(response)
    assert f"/oncall/schedules/{schedule.pk}/{token}.ics" in response.content.decode()
    assert Client().get(f"/oncall/schedules/{schedule.pk}/{token}.ics").status_code == 200


def test_an_api_token_made_in_the_admin_is_shown_once_in_the_body_and_in_no_cookie(client, db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    owner = UserFactory(username="owner")
    client.force_login(root)
    response = client.post("/admin/oncall/apitoken/add/", {"name": "ci", "user": owner.pk})
    raw = assert_shown_once_in_the_body_only(response)
    assert ApiToken.objects.get(user=owner).key_prefix == raw[:10]


def test_an_integration_token_made_in_the_admin_is_shown_once_in_the_body_and_in_no_cookie(client, db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    service = ServiceFactory()
    client.force_login(root)
    response = client.post("/admin/incidents/integration/add/", {
        "service": service.pk, "kind": "generic", "name": "Prometheus", "config": "{}", "enabled": "on"})
    raw = assert_shown_once_in_the_body_only(response)
    assert Integration.objects.get(service=service).token_prefix == raw[:10]
