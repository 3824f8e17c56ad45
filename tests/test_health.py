import json
import os
import socket
import time

import pytest
from django.db import OperationalError, connection

from tests.factories import ContactMethodFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "channels": "ok"},
        # No provider configured: the console channel stands in for every kind (the demo).
        "channels": {"sms": "console", "voice": "console", "email": "console", "slack": "console"},
    }
    assert "no-cache" in response["Cache-Control"]


def test_healthz_needs_no_login(client, django_user_model):
    assert not django_user_model.objects.exists()
    assert client.get("/healthz").status_code == 200


def test_healthz_fails_when_the_broker_is_unreachable_and_says_so_quickly(client, settings):
    settings.CELERY_BROKER_URL = "redis://:s3cret-password@127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("unreachable: ")
    assert "s3cret-password" not in response.content.decode()


def test_healthz_fails_when_the_broker_queue_folder_cannot_be_written(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the queue folder should be")
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(blocker / "queue")}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("unreachable: queue folder")
    assert str(tmp_path) not in response.content.decode()


def test_healthz_creates_a_missing_filesystem_queue_folder(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "celery" / "queue")}
    assert client.get("/healthz").status_code == 200
    assert (tmp_path / "celery" / "queue").is_dir()
    assert list((tmp_path / "celery" / "queue").iterdir()) == []  # the probe leaves nothing behind


def test_healthz_fails_when_the_database_does_not_answer(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection to server at db.internal failed: Connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "fail"
    assert body["checks"]["database"] == "unreachable: connection to server at db.internal failed: Connection refused"
    assert body["checks"]["broker"] == "ok"


# --- helpers: degraded, never 503 ---------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cache(location: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location,
                        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}


@pytest.fixture
def twilio_only(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC" + "0" * 32, "twilio-token"
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.EMAIL_ENABLED = False
    settings.SLACK_BOT_TOKEN = settings.SLACK_SIGNING_SECRET = ""


def test_healthz_leaves_out_a_per_process_cache(client):
    assert "cache" not in client.get("/healthz").json()["checks"]


def test_a_dead_cache_is_degraded_with_200_while_database_and_broker_are_up(client, settings):
    settings.CACHES = redis_cache(f"redis://:cache-s3cret@127.0.0.1:{closed_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"] == "ok"
    assert body["checks"]["cache"].startswith("unreachable: ")
    assert "cache-s3cret" not in response.content.decode()


@pytest.mark.redis
def test_a_live_shared_cache_is_ok(client, settings):
    db = os.environ.get("VIGIL_TEST_REDIS_DB", "5")
    host = os.environ["CELERY_BROKER_URL"].split("//", 1)[1].split("/", 1)[0]
    settings.CACHES = redis_cache(f"redis://{host}/{db}")
    body = client.get("/healthz").json()
    assert body["checks"]["cache"] == "ok"
    assert body["status"] == "ok"


def test_a_dead_cache_and_a_dead_broker_fail_with_503(client, settings):
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed_port()}/0")
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "fail"


def test_a_verified_contact_method_on_an_unconfigured_channel_is_degraded(client, twilio_only):
    ContactMethodFactory(user=UserFactory(), kind="email", value="bob@example.com", verified=True)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["channels"] == (
        "degraded: email is not configured but verified email contact methods exist (set EMAIL_URL)")
    assert body["channels"] == {"sms": "configured", "voice": "configured", "email": "not configured",
                                "slack": "not configured"}
    assert "bob@example.com" not in response.content.decode()


def test_unconfigured_channels_nobody_can_be_paged_on_are_ok(client, twilio_only):
    user = UserFactory()
    ContactMethodFactory(user=user, kind="sms", value="+14155550101", verified=True)
    ContactMethodFactory(user=user, kind="email", value="bob@example.com", verified=False)
    disabled = ContactMethodFactory(user=user, kind="slack", value="U0123456789", verified=True)
    disabled.disabled_at = disabled.verified_at
    disabled.save(update_fields=["disabled_at"])
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["channels"] == "ok"
    assert body["channels"]["email"] == "not configured"


def test_the_console_standing_in_for_every_channel_is_ok(client):
    ContactMethodFactory(user=UserFactory(), kind="email", value="bob@example.com", verified=True)
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["channels"]["email"] == "console"
