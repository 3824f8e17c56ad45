"""Password guessing at /login/ and /admin/login/ is throttled by username and by client address,
with a lockout that grows while the guessing goes on (issue 9 §5)."""
import logging
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
WRONG = "hunter2-wrong"


def attempt(client, username, password, *, path="/login/", ip="203.0.113.7"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, alice):
    for _ in range(30):
        attempt(client, "alice", WRONG)
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    assert "Too many failed logins" in response.content.decode()


def test_a_few_typos_do_not_lock_anyone_out(client, alice):
    for _ in range(3):
        assert attempt(client, "alice", WRONG).status_code == 200
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_a_locked_out_address_cannot_try_another_username(client, alice):
    UserFactory(username="bob")
    for _ in range(30):
        attempt(client, "alice", WRONG)
    response = attempt(client, "bob", PASSWORD)
    assert response.status_code == 429 and not logged_in(client)


def test_a_locked_out_username_is_refused_from_another_address(client, alice):
    for n in range(30):
        attempt(client, "alice", WRONG, ip=f"198.51.100.{n}")
    response = attempt(client, "alice", PASSWORD, ip="192.0.2.1")
    assert response.status_code == 429 and not logged_in(client)


def test_someone_else_on_another_address_still_logs_in_during_a_lockout(client, alice):
    UserFactory(username="bob")
    for _ in range(30):
        attempt(client, "alice", WRONG)
    response = attempt(client, "bob", PASSWORD, ip="192.0.2.1")
    assert response.status_code == 302 and logged_in(client)


def test_the_admin_login_is_throttled_too(client, admin_user):
    for _ in range(30):
        attempt(client, "root", WRONG, path="/admin/login/")
    response = attempt(client, "root", PASSWORD, path="/admin/login/")
    assert response.status_code == 429
    assert not logged_in(client)
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_failures_at_the_admin_count_for_the_web_login(client, alice):
    for _ in range(30):
        attempt(client, "alice", WRONG, path="/admin/login/")
    assert attempt(client, "alice", PASSWORD).status_code == 429


def test_a_lockout_expires(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(10):
            attempt(client, "alice", WRONG)
        assert attempt(client, "alice", PASSWORD).status_code == 429
        traveller.shift(timedelta(minutes=30))
        response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_the_lockout_grows_while_the_guessing_goes_on(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(40):
            attempt(client, "alice", WRONG)
        traveller.shift(timedelta(minutes=30))
        assert attempt(client, "alice", PASSWORD).status_code == 429
        traveller.shift(timedelta(hours=3))
        response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_lockouts_are_logged_without_the_password(client, alice, caplog):
    caplog.set_level(logging.INFO)
    for _ in range(12):
        attempt(client, "alice", WRONG)
    text = caplog.text
    assert "Locking out" in text
    assert WRONG not in text
    assert not AccessAttempt.objects.filter(post_data__contains=WRONG).exists()


def test_the_client_address_comes_from_the_tls_proxy_when_behind_one(client, alice, settings):
    settings.BEHIND_TLS_PROXY = True
    for _ in range(30):
        # The proxy appends the address it saw; whatever the client put before it is ignored.
        client.post("/login/", {"username": "alice", "password": WRONG}, REMOTE_ADDR="10.0.0.2",
                    HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", HTTP_X_FORWARDED_PROTO="https")
    UserFactory(username="bob")
    from_other_client = client.post("/login/", {"username": "bob", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2",
                                    HTTP_X_FORWARDED_FOR="203.0.113.99", HTTP_X_FORWARDED_PROTO="https")
    assert from_other_client.status_code == 302
