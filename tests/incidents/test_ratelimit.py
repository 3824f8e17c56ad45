"""The per-integration rate limit, and what intake does when the cache that counts it is down."""
import json
import logging

from incidents import ratelimit
from incidents.models import Alert, Incident
from tests.factories import IntegrationFactory


def post_alert(client, url, title="Checkout 5xx"):
    return client.post(url, data=json.dumps({"title": title}), content_type="application/json")


def test_intake_accepts_alerts_when_the_rate_limit_cache_is_down(client, service, dead_cache, caplog, monkeypatch):
    monkeypatch.setattr(ratelimit, "_last_warning", float("-inf"))  # no warning logged yet this minute
    _, token = IntegrationFactory(service=service, kind="generic", config={"rate_limit_per_minute": 1})
    before = ratelimit.rate_limits_failed_open()
    with caplog.at_level(logging.WARNING, logger="incidents.ratelimit"):
        codes = [post_alert(client, f"/integrations/{token}/").status_code for _ in range(3)]
    assert codes == [202, 202, 202]  # the limit of 1 a minute is not enforced: it fails open
    assert Alert.objects.count() == 3 and Incident.objects.get().alert_count == 3
    assert ratelimit.rate_limits_failed_open() == before + 3
    assert "rate-limit cache unreachable (ConnectionError): limits fail open" in caplog.text
    assert dead_cache not in caplog.text


def test_the_limit_still_holds_while_the_cache_is_up(client, service):
    _, token = IntegrationFactory(service=service, kind="generic", config={"rate_limit_per_minute": 2})
    codes = [post_alert(client, f"/integrations/{token}/").status_code for _ in range(3)]
    assert codes == [202, 202, 429]
