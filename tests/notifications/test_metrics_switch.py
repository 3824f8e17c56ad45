"""METRICS_ENABLED=0: paging works as before, nothing is counted, and /metrics says why it is not
there (404) instead of serving numbers that stopped moving."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from prometheus_client.multiprocess import MultiProcessCollector

from incidents.models import Incident
from tests.factories import ApiClient, IntegrationFactory
from tests.notifications.engine_helpers import run_due_work
from tests.notifications.test_metrics import scrape, world  # noqa: F401  (world is a fixture)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# Read from the database at scrape time, not counted: they follow the incidents whatever the switch.
STATES = {"vigil_oldest_due_age_seconds", "vigil_incidents_open"}


@pytest.mark.django_db(transaction=True)  # counts are taken after commit
def test_with_metrics_off_paging_an_alert_moves_no_counter(client, world, twilio_fake, settings):  # noqa: F811
    integration, token = IntegrationFactory(service=world["service"], kind="generic")
    before = scrape(client)

    settings.METRICS_ENABLED = False
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(2):  # created, then deduplicated
            posted = client.post(f"/integrations/{token}/", {"title": "Checkout 5xx above 2%"},
                                 content_type="application/json")
            assert posted.status_code == 202
        assert client.post("/integrations/nope/", {}, content_type="application/json").status_code == 404
        clock.shift(timedelta(seconds=3))
        run_due_work()
    assert len(twilio_fake.messages) == 1
    incident = Incident.objects.get()
    assert ApiClient(world["alice"]).post(f"/api/v1/incidents/{incident.pk}/acknowledge/").status_code == 200

    settings.METRICS_ENABLED = True
    after = scrape(client)
    moved = {key: after[key] - before.get(key, 0.0) for key in after
             if key[0].startswith("vigil_") and key[0] not in STATES and after[key] != before.get(key, 0.0)}
    assert moved == {}


def test_with_metrics_off_the_metrics_page_is_not_found_and_says_why(client, settings):
    settings.METRICS_ENABLED = False
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 404
    assert response.content == b"metrics are turned off (METRICS_ENABLED=0)\n"


COUNT_ONE = """
import django; django.setup()
from config.metrics import FIRST_PAGE_SECONDS, PAGES
PAGES.labels(channel="sms", outcome="sent").inc()
FIRST_PAGE_SECONDS.labels(channel="sms").observe(3)
"""


@pytest.mark.slow
@pytest.mark.parametrize(("switch", "counted"), [("0", 0.0), ("1", 1.0)])
def test_metrics_enabled_from_the_environment_decides_whether_a_process_counts(tmp_path, switch, counted):
    """`serve` hands its environment to gunicorn and Celery: the variable alone must decide
    whether each of those processes counts (their values meet in the multiprocess folder)."""
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "DJANGO_SETTINGS_MODULE": "config.settings",
           "VIGIL_VAR_DIR": str(tmp_path / "var"), "METRICS_ENABLED": switch}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", COUNT_ONE], cwd=ROOT, env=env, check=True, timeout=60)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in MultiProcessCollector(None, path=str(metrics_dir)).collect() for s in family.samples}
    assert samples.get(("vigil_pages_total", (("channel", "sms"), ("outcome", "sent"))), 0.0) == counted
    assert samples.get(("vigil_first_page_seconds_count", (("channel", "sms"),)), 0.0) == counted
