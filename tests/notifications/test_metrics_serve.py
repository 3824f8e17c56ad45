"""/metrics under `manage.py serve`: an alert is counted in a gunicorn worker, its page in the
Celery worker, and every scrape, whichever web worker answers it, reports both (multiprocess
mode, see config/metrics.py)."""
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.process import (
    DjangoProbe,
    FakeTwilio,
    Serve,
    free_port,
    post_alert,
    seed_paging,
    suite_broker,
    vigil_env,
)

pytestmark = pytest.mark.slow
ALICE = "+14155550101"


def scrape(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_every_scrape_adds_up_the_web_workers_and_the_celery_worker(tmp_path, databases, closer):
    broker = closer(suite_broker())
    twilio = closer(FakeTwilio(tmp_path))
    port = free_port()
    env = vigil_env(tmp_path / "var", database_url=databases.new(), broker_url=broker.url, twilio=twilio, port=port,
                    WEB_CONCURRENCY="2")
    probe = closer(DjangoProbe(env))
    world = probe(seed_paging, team="Checkout", on_call=["alice"],
                  people={"alice": {"sms": [ALICE, [["high", 0]]]}}, steps=[[5, ["schedule"]]])
    stack = closer(Serve(env, tmp_path / "serve.log")).wait_until_ready()

    status, body = post_alert(stack.url + world["integration_path"], {"title": "Checkout returns 502"})
    assert status == 202, body
    twilio.wait_for(lambda: twilio.sms(ALICE), timeout=20, what="alice's SMS")
    created = ("vigil_alerts_total", (("kind", "generic"), ("outcome", "created")))
    sent = ("vigil_pages_total", (("channel", "sms"), ("outcome", "sent")))
    deadline = time.monotonic() + 10
    while scrape(stack.url).get(sent) != 1.0 and time.monotonic() < deadline:
        time.sleep(0.2)  # the worker counts just after the provider answered
    for _ in range(6):  # several connections: both gunicorn workers answer some
        samples = scrape(stack.url)
        assert samples.get(created) == 1.0
        assert samples.get(sent) == 1.0
        assert samples.get(("vigil_first_page_seconds_count", (("channel", "sms"),))) == 1.0


def test_with_metrics_off_serve_pages_and_its_metrics_page_is_not_found(tmp_path, databases, closer):
    """METRICS_ENABLED=0 given to `serve` reaches gunicorn's workers and the Celery worker."""
    broker = closer(suite_broker())
    twilio = closer(FakeTwilio(tmp_path))
    port = free_port()
    env = vigil_env(tmp_path / "var", database_url=databases.new(), broker_url=broker.url, twilio=twilio, port=port,
                    WEB_CONCURRENCY="2", METRICS_ENABLED="0")
    probe = closer(DjangoProbe(env))
    world = probe(seed_paging, team="Checkout", on_call=["alice"],
                  people={"alice": {"sms": [ALICE, [["high", 0]]]}}, steps=[[5, ["schedule"]]])
    stack = closer(Serve(env, tmp_path / "serve.log")).wait_until_ready()

    status, body = post_alert(stack.url + world["integration_path"], {"title": "Checkout returns 502"})
    assert status == 202, body
    twilio.wait_for(lambda: twilio.sms(ALICE), timeout=20, what="alice's SMS")
    for _ in range(4):  # several connections: both gunicorn workers answer some
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{stack.url}/metrics", timeout=10)
        assert refused.value.code == 404
        assert refused.value.read() == b"metrics are turned off (METRICS_ENABLED=0)\n"
