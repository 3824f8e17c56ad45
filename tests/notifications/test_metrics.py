"""`GET /metrics`: the counters and histograms move as an alert is paged and acknowledged, the
states come from the database, and only loopback or a bearer token may scrape."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from incidents.models import Incident
from incidents.services import incident_trigger
from tests.factories import ApiClient, IntegrationFactory
from tests.notifications.engine_helpers import alice_on_call, paging_setup, run_due_work

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def scrape(client, **extra) -> dict[tuple, float]:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def world(db, twilio_fake):
    w = paging_setup()
    alice_on_call(w)
    return w


@pytest.mark.django_db(transaction=True)  # counts are taken after commit
def test_metrics_move_when_an_alert_is_paged_and_acknowledged(client, world, twilio_fake):
    integration, token = IntegrationFactory(service=world["service"], kind="generic")
    before = scrape(client)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        posted = client.post(f"/integrations/{token}/", {"title": "Checkout 5xx above 2%", "severity": "critical"},
                             content_type="application/json")
        assert posted.status_code == 202
        again = client.post(f"/integrations/{token}/", {"title": "Checkout 5xx above 2%", "severity": "critical"},
                            content_type="application/json")
        assert again.json()["events"][0]["result"] == "deduplicated"
        assert client.post("/integrations/nope/", {}, content_type="application/json").status_code == 404
        clock.shift(timedelta(seconds=3))
        run_due_work()
    assert len(twilio_fake.messages) == 1
    incident = Incident.objects.get()
    assert ApiClient(world["alice"]).post(f"/api/v1/incidents/{incident.pk}/acknowledge/").status_code == 200

    after = scrape(client)
    severity = incident.severity

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("vigil_alerts_total", kind="generic", outcome="created") == 1
    assert moved("vigil_alerts_total", kind="generic", outcome="deduplicated") == 1
    assert moved("vigil_alert_requests_rejected_total", endpoint="integrations", reason="unknown_integration") == 1
    assert moved("vigil_intake_request_seconds_count", endpoint="integrations") == 2
    assert moved("vigil_incidents_opened_total", service="checkout", severity=severity) == 1
    assert moved("vigil_pages_total", channel="sms", outcome="sent") == 1
    # The provider accepted the first page 3 s after the trigger (the frozen clock's shift).
    assert moved("vigil_first_page_seconds_count", channel="sms") == 1
    assert moved("vigil_first_page_seconds_bucket", channel="sms", le="2.0") == 0
    assert moved("vigil_first_page_seconds_bucket", channel="sms", le="5.0") == 1
    assert value(after, "vigil_incidents_open", status="acknowledged") == 1
    assert value(after, "vigil_incidents_open", status="triggered") == 0


def test_oldest_due_age_says_how_long_paging_work_has_waited(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        incident_trigger(service=world["service"], title="Nobody runs the engine")
        clock.shift(timedelta(seconds=90))
        samples = scrape(client)
        assert value(samples, "vigil_oldest_due_age_seconds", work="escalation") == 90
        assert value(samples, "vigil_oldest_due_age_seconds", work="delivery") == 0
        run_due_work()
        samples = scrape(client)
        assert value(samples, "vigil_oldest_due_age_seconds", work="escalation") == 0


def test_metrics_are_refused_to_other_hosts_without_a_token(client):
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403
    assert b"METRICS_TOKEN" in response.content


def test_metrics_from_loopback_through_a_proxy_are_refused_without_a_token(client):
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 403


def test_metrics_token_is_required_once_set_even_on_loopback(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics"
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 401
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-metrics")
    assert ok.status_code == 200
    assert b"vigil_oldest_due_age_seconds" in ok.content


COUNT_ONE = """
import django; django.setup()
from config.metrics import PAGES
PAGES.labels(channel="sms", outcome="sent").inc()
"""

@pytest.mark.slow
def test_counters_of_separate_processes_add_up_in_multiprocess_mode(tmp_path):
    """gunicorn's workers and the Celery worker are separate processes: a scrape answered by
    any one of them must report what all of them counted."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings",
           "VIGIL_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    for _ in range(2):
        subprocess.run([sys.executable, "-c", COUNT_ONE], cwd=ROOT, env=env, check=True, timeout=60)
    code = ("import django; django.setup()\n"
            "from prometheus_client.multiprocess import MultiProcessCollector\n"
            "from prometheus_client import CollectorRegistry, generate_latest\n"
            "r = CollectorRegistry(); MultiProcessCollector(r)\n"
            "print(generate_latest(r).decode())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=60,
                         capture_output=True, text=True).stdout
    assert 'vigil_pages_total{channel="sms",outcome="sent"} 2.0' in out


def test_serve_empties_the_metrics_folder_and_hands_it_to_its_children(tmp_path, monkeypatch):
    from config.management.commands.serve import prepare_metrics_dir

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    stale = tmp_path / "prometheus" / "counter_4242.db"
    stale.parent.mkdir()
    stale.write_bytes(b"from a run before")
    monkeypatch.setattr(os, "environ", {**os.environ})
    path = prepare_metrics_dir(tmp_path)
    assert path == tmp_path / "prometheus" and path.is_dir() and not stale.exists()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(path)
