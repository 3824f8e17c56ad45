"""apply_changes: the one partial update every service uses."""
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.models_util import KEEP, apply_changes
from oncall import schedules
from oncall.models import Layer, Team

pytestmark = pytest.mark.django_db


def test_only_the_fields_given_are_saved_and_none_keeps_a_field(team):
    with CaptureQueriesContext(connection) as queries:
        saved = apply_changes(team, name="Payments", description=None)
    assert saved == ["name"]
    [update] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"description"' not in update
    assert Team.objects.get(pk=team.pk).name == "Payments"


def test_nothing_given_writes_nothing(team):
    with CaptureQueriesContext(connection) as queries:
        assert apply_changes(team, name=None, slug=KEEP) == []
    assert queries.captured_queries == []


def test_none_clears_a_nullable_field_and_keep_leaves_it(team):
    schedule = schedules.schedule_create(team=team, name="Primary")
    layer = schedules.layer_create(schedule=schedule, participants=[], start_date=date(2026, 1, 5),
                                   end_at=datetime(2026, 6, 1, tzinfo=UTC))
    apply_changes(layer, nullable=["end_at"], end_at=KEEP)
    assert Layer.objects.get(pk=layer.pk).end_at is not None
    apply_changes(layer, nullable=["end_at"], end_at=None)
    assert Layer.objects.get(pk=layer.pk).end_at is None
