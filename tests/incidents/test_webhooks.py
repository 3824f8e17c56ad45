"""The inbound alert endpoints, driven over HTTP with real and realistic payloads."""
import copy
import hashlib
import hmac
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.utils import timezone

from incidents.alert_ingest import RAW_ALERTS_KEPT, STATE_EVENTS_KEPT, SUPPRESSED_ALERTS_KEPT, heartbeats_check
from incidents.models import Alert, ChangeEvent, Incident, MaintenanceWindow
from incidents.services import incident_reopen
from tests.factories import IntegrationFactory, ServiceFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture(kind: str, name: str):
    return json.loads((FIXTURES / kind / name).read_text())


def post(client, url, body, content_type="application/json", **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(url, data=data, content_type=content_type, headers=headers)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def hook(service):
    """An integration factory returning (integration, url)."""
    def make(kind="generic", **config):
        integration, token = IntegrationFactory(service=service, kind=kind, config=config)
        suffix = "heartbeat/" if kind == "heartbeat" else ""
        return integration, f"/integrations/{token}/{suffix}"
    return make


# --- Alertmanager -----------------------------------------------------------------------------

def test_alertmanager_firing_capture_opens_one_incident(client, hook):
    integration, url = hook("alertmanager")
    response = post(client, url, fixture("alertmanager", "firing.json"))
    assert response.status_code == 202, response.content
    incident = Incident.objects.get()
    assert incident.title == "disk full on db1"
    assert (incident.status, incident.urgency, incident.severity) == ("triggered", "high", "SEV2")
    assert incident.details["alerts"][0]["labels"]["instance"] == "db1"
    assert response.json()["events"][0] == {
        "dedup_key": incident.dedup_key, "action": "trigger", "result": "created", "incident": incident.number}


def test_alertmanager_resolved_capture_resolves_the_incident_with_a_timeline_line(client, hook):
    integration, url = hook("alertmanager")
    post(client, url, fixture("alertmanager", "firing.json"))
    response = post(client, url, fixture("alertmanager", "resolved.json"))
    assert response.status_code == 202
    incident = Incident.objects.get()
    assert incident.status == "resolved"
    line = incident.timeline.get(kind="resolved")
    assert line.via == "integration" and integration.name in line.text


def test_alertmanager_repeat_notifications_dedupe_into_one_incident(client, hook):
    _, url = hook("alertmanager")
    for _ in range(3):
        post(client, url, fixture("alertmanager", "firing-group-of-3.json"))
    incident = Incident.objects.get()
    assert incident.alert_count == 3
    alerts = incident.details["alerts"]
    assert len(alerts) == 3 and all(a["generatorURL"] for a in alerts)
    assert any(link.get("text") == "Runbook" for link in incident.links)


def test_alertmanager_fingerprint_mode_opens_one_incident_per_alert(client, hook):
    _, url = hook("alertmanager", group_by="fingerprint")
    post(client, url, fixture("alertmanager", "firing-group-of-3.json"))
    assert Incident.objects.count() == 3


def test_auto_resolve_off_keeps_the_incident_open(client, hook):
    _, url = hook("alertmanager", auto_resolve=False)
    post(client, url, fixture("alertmanager", "firing.json"))
    post(client, url, fixture("alertmanager", "resolved.json"))
    assert Incident.objects.get().status == "triggered"


def test_prometheus_rule_capture_is_accepted(client, hook):
    _, url = hook("alertmanager")
    assert post(client, url, fixture("alertmanager", "prometheus-rule-firing.json")).status_code == 202
    assert Incident.objects.count() == 1


# --- Grafana ----------------------------------------------------------------------------------

def test_grafana_firing_and_resolved_round_trip(client, hook):
    _, url = hook("grafana")
    assert post(client, url, fixture("grafana", "firing.json")).status_code == 202
    assert post(client, url, fixture("grafana", "resolved.json")).status_code == 202
    assert Incident.objects.get().status == "resolved"


def test_grafana_with_a_secret_needs_a_matching_signature(client, hook):
    _, url = hook("grafana", secret="shh")
    body = json.dumps(fixture("grafana", "firing.json")).encode()
    good = hmac.new(b"shh", body, hashlib.sha256).hexdigest()
    assert post(client, url, body).status_code == 401
    assert post(client, url, body, X_Grafana_Alerting_Signature="0" * 64).status_code == 401
    assert Incident.objects.count() == 0
    assert post(client, url, body, X_Grafana_Alerting_Signature=good).status_code == 202
    assert Incident.objects.count() == 1


# --- Generic ----------------------------------------------------------------------------------

def test_generic_identical_titles_dedupe(client, hook):
    _, url = hook("generic")
    post(client, url, {"title": "Backup failed"})
    post(client, url, {"title": "Backup failed"})
    post(client, url, {"title": "Something else"})
    assert sorted(Incident.objects.values_list("alert_count", flat=True)) == [1, 2]


def test_generic_dedup_key_from_a_configured_field(client, hook):
    _, url = hook("generic", dedup_field="check.id")
    post(client, url, {"title": "one", "check": {"id": "c1"}})
    post(client, url, {"title": "two", "check": {"id": "c1"}})
    assert Incident.objects.get().dedup_key == "c1"


def test_generic_resolved_status_resolves(client, hook):
    _, url = hook("generic")
    post(client, url, {"title": "Backup failed", "dedup_key": "b1", "severity": "warning"})
    incident = Incident.objects.get()
    assert incident.urgency == "low"
    post(client, url, {"title": "Backup failed", "dedup_key": "b1", "status": "resolved"})
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_urgency_override_per_integration(client, hook):
    _, url = hook("generic", urgency={"warning": "high"})
    post(client, url, {"title": "Queue growing", "severity": "warning"})
    assert Incident.objects.get().urgency == "high"


# --- PagerDuty Events API v2 ------------------------------------------------------------------

@pytest.fixture
def pd(service):
    integration, token = IntegrationFactory(service=service, kind="pagerduty")
    return integration, token


def pd_event(token, name="trigger.json", **changes):
    body = fixture("pagerduty", name)
    body["routing_key"] = token
    body.update(changes)
    return body


def test_pagerduty_trigger_answers_like_pagerduty(client, pd):
    _, token = pd
    response = post(client, "/v2/enqueue", pd_event(token))
    assert response.status_code == 202
    assert response.json() == {"status": "success", "message": "Event processed",
                               "dedup_key": "db2.example.com/mysql/replication-lag"}
    incident = Incident.objects.get()
    assert incident.source == "db2.example.com"
    assert incident.details["custom_details"]["lag_seconds"] == 312
    assert any("image" in link for link in incident.links)


def test_pagerduty_trigger_without_dedup_key_gets_one_generated(client, pd):
    _, token = pd
    body = pd_event(token)
    del body["dedup_key"]
    key = post(client, "/v2/enqueue", body).json()["dedup_key"]
    assert Incident.objects.get().dedup_key == key and len(key) >= 16


def test_pagerduty_acknowledge_and_resolve_then_same_key_opens_a_new_incident(client, pd):
    _, token = pd
    post(client, "/v2/enqueue", pd_event(token))
    key = "db2.example.com/mysql/replication-lag"
    ack = post(client, "/v2/enqueue", {"routing_key": token, "event_action": "acknowledge", "dedup_key": key})
    assert ack.status_code == 202 and ack.json()["dedup_key"] == key
    assert Incident.objects.get().status == "acknowledged"
    post(client, "/v2/enqueue", {"routing_key": token, "event_action": "resolve", "dedup_key": key})
    assert Incident.objects.get().status == "resolved"
    post(client, "/v2/enqueue", pd_event(token))
    assert Incident.objects.filter(dedup_key=key).count() == 2


def test_pagerduty_resolve_of_unknown_key_is_accepted_and_changes_nothing(client, pd):
    _, token = pd
    response = post(client, "/v2/enqueue", {"routing_key": token, "event_action": "resolve", "dedup_key": "nope"})
    assert response.status_code == 202 and response.json()["status"] == "success"
    assert Incident.objects.count() == 0 and Alert.objects.count() == 0


def test_pagerduty_invalid_event_names_each_bad_field(client, pd):
    _, token = pd
    body = {"routing_key": token, "event_action": "trigger", "dedup_key": "x" * 256,
            "payload": {"summary": "", "severity": "bad", "source": "db"}}
    response = post(client, "/v2/enqueue", body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event"
    joined = " ".join(answer["errors"])
    assert "payload.summary" in joined and "payload.severity" in joined and "dedup_key" in joined
    assert Incident.objects.count() == 0


def test_pagerduty_unknown_routing_key_is_404(client, pd):
    response = post(client, "/v2/enqueue", pd_event("not-a-key"))
    assert response.status_code == 404 and response.json()["status"] == "invalid event"


def test_pagerduty_change_event_is_stored_on_the_service(client, pd, service):
    _, token = pd
    body = fixture("pagerduty", "change.json")
    body["routing_key"] = token
    response = post(client, "/v2/change/enqueue", body)
    assert response.status_code == 202
    change = ChangeEvent.objects.get()
    assert change.service == service and change.summary


# --- Heartbeats -------------------------------------------------------------------------------

def test_missed_heartbeat_opens_an_incident_and_the_next_beat_resolves_it(client, hook):
    integration, url = hook("heartbeat", interval_seconds=60, grace_seconds=30)
    assert client.get(url).status_code == 202
    assert heartbeats_check() == []
    later = timezone.now() + timedelta(seconds=91)
    [incident] = heartbeats_check(now=later)
    assert "missed" in incident.title
    assert heartbeats_check(now=later + timedelta(seconds=60)) == []  # still one incident
    assert client.post(url).status_code == 202
    incident.refresh_from_db()
    assert incident.status == "resolved"


# --- Maintenance ------------------------------------------------------------------------------

def test_alerts_during_maintenance_are_stored_but_open_nothing(client, hook, service):
    now = timezone.now()
    MaintenanceWindow.objects.create(service=service, starts_at=now - timedelta(minutes=5),
                                     ends_at=now + timedelta(minutes=5), reason="db upgrade")
    _, url = hook("generic")
    assert post(client, url, {"title": "Disk full"}).json()["events"][0]["result"] == "suppressed"
    assert Incident.objects.count() == 0
    assert Alert.objects.get().suppressed


# --- Storms -----------------------------------------------------------------------------------

def test_alert_storm_costs_one_incident_and_bounded_storage(client, hook):
    _, url = hook("generic")
    total = RAW_ALERTS_KEPT + 150
    for i in range(total):
        post(client, url, {"title": "Disk full", "dedup_key": "disk", "details": {"n": i}})
    incident = Incident.objects.get()
    assert incident.alert_count == total
    assert incident.alerts.count() == RAW_ALERTS_KEPT + 1
    kept = set(incident.alerts.values_list("payload__details__n", flat=True))
    assert 0 in kept  # the first alert stays
    assert set(range(total - RAW_ALERTS_KEPT, total)) <= kept  # and the latest ones
    assert incident.timeline.count() == 1


def test_an_alert_storm_during_maintenance_keeps_only_the_latest_suppressed_alerts(client, hook, service):
    now = timezone.now()
    MaintenanceWindow.objects.create(service=service, starts_at=now - timedelta(minutes=5),
                                     ends_at=now + timedelta(hours=1), reason="db upgrade")
    _, url = hook("generic")
    total = 500
    for i in range(total):
        response = post(client, url, {"title": "Disk full", "dedup_key": f"disk-{i % 7}", "details": {"n": i}})
        assert response.json()["events"][0]["result"] == "suppressed"
    kept = Alert.objects.filter(service=service, suppressed=True)
    assert kept.count() == SUPPRESSED_ALERTS_KEPT < total
    assert set(kept.values_list("payload__details__n", flat=True)) == set(range(total - SUPPRESSED_ALERTS_KEPT, total))
    assert Incident.objects.count() == 0


def test_resolve_events_of_an_incident_reopened_again_and_again_keep_bounded_storage(client, hook):
    _, url = hook("generic")
    post(client, url, {"title": "Disk full", "dedup_key": "disk"})
    incident = Incident.objects.get()
    total = 500
    for i in range(total):
        body = post(client, url, {"dedup_key": "disk", "status": "resolved", "details": {"n": i}}).json()
        assert body["events"][0]["result"] == "resolved"
        incident_reopen(incident=incident, by=None, via="web")
    events = incident.alerts.exclude(action="trigger")
    assert events.count() == STATE_EVENTS_KEPT < total
    assert set(events.values_list("payload__details__n", flat=True)) == set(range(total - STATE_EVENTS_KEPT, total))
    assert incident.alerts.filter(action="trigger").count() == 1  # the first alert stays


def test_acknowledge_and_resolve_events_are_stored_with_their_incident(client, hook):
    _, url = hook("generic")
    post(client, url, {"title": "Disk full", "dedup_key": "disk"})
    post(client, url, {"dedup_key": "disk", "status": "acknowledged"})
    post(client, url, {"dedup_key": "disk", "status": "resolved"})
    incident = Incident.objects.get()
    assert list(incident.alerts.order_by("id").values_list("action", flat=True)) == [
        "trigger", "acknowledge", "resolve"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_open_one_incident():
    cache.clear()
    integration, token = IntegrationFactory(service=ServiceFactory(), kind="generic")
    count = 16
    barrier = threading.Barrier(count)
    statuses = []

    def fire():
        try:
            barrier.wait()
            statuses.append(post(Client(), f"/integrations/{token}/", {"title": "Disk full", "dedup_key": "d"}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire) for _ in range(count)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert statuses == [202] * count
    incident = Incident.objects.get()
    assert incident.alert_count == count
    assert incident.alerts.count() == count


# --- Rejections -------------------------------------------------------------------------------

def test_unknown_and_disabled_tokens_are_404(client, hook):
    integration, url = hook("generic")
    assert post(client, "/integrations/int_nope/", {"title": "x"}).status_code == 404
    integration.enabled = False
    integration.save(update_fields=["enabled"])
    assert post(client, url, {"title": "x"}).status_code == 404
    assert Alert.objects.count() == 0


def test_rate_limit_answers_429_with_retry_after(client, hook):
    _, url = hook("generic", rate_limit_per_minute=3)
    codes = [post(client, url, {"title": "x"}).status_code for _ in range(4)]
    assert codes == [202, 202, 202, 429]
    response = post(client, url, {"title": "x"})
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Incident.objects.get().alert_count == 3


def test_body_over_512_kb_is_413_and_stores_nothing(client, hook):
    _, url = hook("generic")
    response = post(client, url, {"title": "x", "details": {"blob": "a" * (600 * 1024)}})
    assert response.status_code == 413 and "512 KB" in response.json()["message"]
    assert Alert.objects.count() == 0


@pytest.mark.parametrize("body,content_type,status", [
    ('{"title": "x"}', "text/plain", 415),
    ('{"title": "x"}', "", 415),
    ("{not json", "application/json", 400),
    (b"\xff\xfe{}", "application/json", 400),
    ("[" * 100_000 + "]" * 100_000, "application/json", 400),
    ('"just a string"', "application/json", 400),
    ('{"title": 42}', "application/json", 400),
    ('{"title": "x", "severity": ["a"]}', "application/json", 400),
    ('{"title": "' + "x" * 300_000 + '"}', "application/json", 400),
    ('{"title": "x", "details": {"huge": "' + "y" * 300_000 + '"}}', "application/json", 202),
    ('{"title": "nul\\u0000byte", "details": {"k\\u0000": "v\\u0000"}}', "application/json", 202),
    ('{"title": "big", "details": {"n": 1e400}}', "application/json", 202),
])
def test_malformed_bodies_get_clear_errors_never_500(client, hook, body, content_type, status):
    _, url = hook("generic")
    response = post(client, url, body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response.json().get("message") or status == 202
    if status != 202:
        assert Alert.objects.count() == 0


@pytest.mark.parametrize("kind", ["alertmanager", "grafana"])
def test_wrong_shapes_for_alertmanager_and_grafana_are_400(client, hook, kind):
    _, url = hook(kind)
    broken = copy.deepcopy(fixture("alertmanager", "firing.json"))
    broken["alerts"][0]["labels"] = "oops"
    response = post(client, url, broken)
    assert response.status_code == 400
    assert any("labels" in e for e in response.json()["errors"])


def test_get_on_the_alert_url_is_405(client, hook):
    _, url = hook("generic")
    assert client.get(url).status_code == 405


def test_the_beat_task_opens_the_missed_heartbeat_incident(client, hook, settings):
    import time_machine

    from incidents.tasks import heartbeats_check as task

    assert settings.CELERY_BEAT_SCHEDULE["heartbeats"]["task"] == task.name
    integration, url = hook("heartbeat", interval_seconds=60, grace_seconds=0)
    client.post(url)
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        task.apply().get()
    assert Incident.objects.get().dedup_key == f"heartbeat:{integration.pk}"


def test_incident_page_shows_what_the_alerts_said(client, hook, service):
    from tests.factories import MembershipFactory

    viewer = MembershipFactory(team=service.team, role="viewer").user
    _, url = hook("alertmanager")
    post(client, url, fixture("alertmanager", "firing-group-of-3.json"))
    integration, token = IntegrationFactory(service=service, kind="pagerduty")
    change = fixture("pagerduty", "change.json")
    change["payload"]["timestamp"] = timezone.now().isoformat()  # "recent" is relative to the incident
    post(client, "/v2/change/enqueue", {**change, "routing_key": token})
    post(client, "/v2/enqueue", pd_event(token))
    client.force_login(viewer)
    group = Incident.objects.get(dedup_key=fixture("alertmanager", "firing-group-of-3.json")["groupKey"])
    page = client.get(f"/incidents/{group.pk}/").content.decode()
    assert "3 firing, 0 resolved" in page and "Runbook" in page
    for alert in fixture("alertmanager", "firing-group-of-3.json")["alerts"]:
        assert f"instance={alert['labels']['instance']}" in page
    pd_incident = Incident.objects.get(dedup_key="db2.example.com/mysql/replication-lag")
    page = client.get(f"/incidents/{pd_incident.pk}/").content.decode()
    assert "lag_seconds" in page and "Replication lag, last hour" in page and "db2.example.com" in page
    assert "Recent changes to" in page
    assert "<img" not in page  # sender-supplied images are links, never loaded into the page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_suppressed_alerts_are_all_accepted_while_the_oldest_are_trimmed(monkeypatch):
    from incidents import alert_ingest as intake

    monkeypatch.setattr(intake, "SUPPRESSED_ALERTS_KEPT", 3)
    cache.clear()
    service = ServiceFactory()
    now = timezone.now()
    MaintenanceWindow.objects.create(service=service, starts_at=now - timedelta(minutes=5),
                                     ends_at=now + timedelta(hours=1), reason="db upgrade")
    integration, token = IntegrationFactory(service=service, kind="generic")
    count, rounds = 8, 4
    barrier = threading.Barrier(count)
    statuses = []

    def fire(n):
        try:
            for i in range(rounds):
                barrier.wait()
                statuses.append(post(Client(), f"/integrations/{token}/", {"title": f"Disk {n}.{i}"}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(count)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert statuses == [202] * count * rounds
    # Each request trims what it can see committed: the bound holds up to the requests in flight.
    assert 3 <= Alert.objects.filter(service=service, suppressed=True).count() <= 3 + count
