import os

import pytest
from django.db import connection

from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, TeamFactory, UserFactory

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
ON_REDIS = os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")


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
