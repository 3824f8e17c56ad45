import os

import pytest
from django.db import connection

from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, TeamFactory, UserFactory

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
ON_REDIS = os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # One test database per run, so that two runs on one PostgreSQL server (a developer's and
    # CI's) never drop each other's database.
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        db.setdefault("TEST", {})["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… (row locks, concurrent writers)")
    skip_redis = pytest.mark.skip(reason="needs Redis: set CELERY_BROKER_URL=redis://… (several workers)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not ON_REDIS:
            item.add_marker(skip_redis)


@pytest.fixture
def team(db):
    return TeamFactory()


@pytest.fixture
def other_team(db):
    return TeamFactory()


@pytest.fixture
def responder(team):
    return MembershipFactory(team=team, role="responder").user


@pytest.fixture
def service(team):
    return ServiceFactory(team=team)


@pytest.fixture
def incident(service):
    return IncidentFactory(service=service)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness (~0.7 s per user) would dominate the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class SentTasks(list):
    """Celery messages the code under test sent, by task name (nothing reaches a broker)."""

    def named(self, name: str) -> list:
        return [t for t in self if t["name"] == name]

    def opened(self, *, major: bool | None = None) -> list:
        """The one message each new incident sends: escalate, which also announces it (and pages
        the major-incident policy when `major`)."""
        return [t for t in self.named("notifications.escalate") if t["kwargs"].get("opened")
                and (major is None or t["kwargs"].get("major") == major)]


@pytest.fixture(autouse=True)
def sent_tasks(monkeypatch):
    from config.celery import app

    sent = SentTasks()

    def record(name, args=None, kwargs=None, countdown=None, **options):
        sent.append({"name": name, "args": list(args or []), "kwargs": kwargs or {}, "countdown": countdown})

    monkeypatch.setattr(app, "send_task", record)
    return sent


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rate limits count in the cache; one test's requests must not spend another's budget.
    from django.core.cache import cache

    from incidents.intake_cache import intake_cache_clear

    cache.clear()
    # Integrations and windows a request remembered belong to a database that was rolled back.
    intake_cache_clear()


@pytest.fixture
def dead_cache(settings):
    """The shared cache behind rate limits is a Redis where nothing listens: every call is refused."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch):
    """Outgoing webhook URLs are resolved to check where they point; tests (and the API fuzzer's
    random host names) must not send queries to a DNS server. IP literals and localhost resolve."""
    import socket

    from incidents.outgoing import destinations

    def resolve(host, port, *args, **kwargs):
        if host == "localhost":
            return socket.getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return socket.getaddrinfo(host, port, *args, **{**kwargs, "flags": socket.AI_NUMERICHOST})

    monkeypatch.setattr(destinations, "resolve", resolve)
