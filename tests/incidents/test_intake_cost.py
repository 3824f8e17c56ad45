"""What made alert intake cheaper keeps every rule: a change to an integration or a maintenance
window reaches intake at once in this process (and within the cache time elsewhere), a new
incident publishes one message, numbers stay gap-free, a storm alert costs few statements."""
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import intake_cache
from incidents.models import Alert, Incident, Integration
from incidents.services import (
    integration_delete, integration_rotate_token, integration_update, maintenance_window_create,
    maintenance_window_delete,
)
from tests.factories import IntegrationFactory


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.fixture
def generic(service):
    integration, token = IntegrationFactory(service=service, kind="generic")
    return integration, f"/integrations/{token}/"


def test_disabling_an_integration_refuses_its_next_alert(client, generic):
    integration, url = generic
    assert post(client, url, {"title": "Disk full"}).status_code == 202  # now remembered
    integration_update(integration=integration, enabled=False)
    assert post(client, url, {"title": "Disk full"}).status_code == 404


def test_rotating_a_token_refuses_the_old_one_at_once(client, generic):
    integration, url = generic
    assert post(client, url, {"title": "Disk full"}).status_code == 202
    new_token = integration_rotate_token(integration=integration)
    assert post(client, url, {"title": "Disk full"}).status_code == 404
    assert post(client, f"/integrations/{new_token}/", {"title": "Disk full"}).status_code == 202


def test_deleting_an_integration_refuses_its_next_alert(client, generic):
    integration, url = generic
    assert post(client, url, {"title": "Disk full"}).status_code == 202
    integration_delete(integration=integration)
    assert post(client, url, {"title": "Disk full"}).status_code == 404


def test_a_change_made_by_another_process_reaches_intake_within_the_cache_time(client, generic, monkeypatch):
    integration, url = generic
    now = [1000.0]
    monkeypatch.setattr(intake_cache, "clock", lambda: now[0])
    assert post(client, url, {"title": "Disk full"}).status_code == 202
    # Another process disabled it: no signal reaches this one.
    Integration.objects.filter(pk=integration.pk).update(enabled=False)
    now[0] += intake_cache.CACHE_SECONDS
    assert post(client, url, {"title": "Disk full"}).status_code == 404


def test_maintenance_started_now_suppresses_the_next_alert_and_ending_it_pages_again(client, generic, service):
    _, url = generic
    assert post(client, url, {"title": "Disk full", "dedup_key": "a"}).status_code == 202
    window = maintenance_window_create(service=service, starts_at=timezone.now() - timedelta(seconds=1),
                                       ends_at=timezone.now() + timedelta(hours=1))
    assert post(client, url, {"title": "Disk full", "dedup_key": "b"}).json()["events"][0]["result"] == "suppressed"
    maintenance_window_delete(window=window)
    assert post(client, url, {"title": "Disk full", "dedup_key": "c"}).json()["events"][0]["result"] == "created"
    assert sorted(Incident.objects.values_list("dedup_key", flat=True)) == ["a", "c"]


def test_a_new_incident_publishes_one_message_after_commit(client, generic, sent_tasks,
                                                          django_capture_on_commit_callbacks):
    _, url = generic
    with django_capture_on_commit_callbacks(execute=True):
        post(client, url, {"title": "Disk full", "dedup_key": "d", "severity": "critical"})
    incident = Incident.objects.get()
    assert sent_tasks == [{"name": "notifications.escalate", "args": [incident.pk],
                           "kwargs": {"opened": True, "major": incident.severity in ("SEV1", "SEV2")},
                           "countdown": None}]


def test_a_request_opening_several_incidents_numbers_them_in_order_and_answers_with_the_numbers(
        client, service):
    _, token = IntegrationFactory(service=service, kind="pagerduty")
    Incident.objects.create(team=service.team, service=service, number=1, title="old", dedup_key="old")
    service.team.last_incident_number = 1
    service.team.save(update_fields=["last_incident_number"])
    for key in ("x", "y"):
        response = post(client, "/v2/enqueue", {"routing_key": token, "event_action": "trigger", "dedup_key": key,
                                                "payload": {"summary": key, "source": "web1", "severity": "error"}})
        assert response.status_code == 202
    assert dict(Incident.objects.values_list("dedup_key", "number")) == {"old": 1, "x": 2, "y": 3}


def test_an_alertmanager_group_opening_incidents_gets_consecutive_numbers(client, service):
    _, token = IntegrationFactory(service=service, kind="alertmanager", config={"group_by": "fingerprint"})
    body = {"version": "4", "status": "firing", "receiver": "vigil", "groupKey": "g", "alerts": [
        {"status": "firing", "labels": {"alertname": f"A{i}"}, "annotations": {}, "fingerprint": f"f{i}",
         "startsAt": "2024-01-01T00:00:00Z"} for i in range(3)]}
    response = post(client, f"/integrations/{token}/", body)
    assert response.status_code == 202, response.content
    numbers = sorted(e["incident"] for e in response.json()["events"])
    assert numbers == sorted(Incident.objects.values_list("number", flat=True)) == [1, 2, 3]
    service.team.refresh_from_db()
    assert service.team.last_incident_number == 3


def test_a_storm_alert_is_counted_in_three_statements(client, generic):
    _, url = generic
    post(client, url, {"title": "Disk full", "dedup_key": "storm"})
    post(client, url, {"title": "Disk full", "dedup_key": "storm"})  # the integration is remembered now
    with CaptureQueriesContext(connection) as queries:
        response = post(client, url, {"title": "Disk full", "dedup_key": "storm"})
    assert response.json()["events"][0] == {"dedup_key": "storm", "action": "trigger", "result": "deduplicated",
                                            "incident": 1}
    # Besides the transaction's own (BEGIN/COMMIT; a savepoint inside the test's transaction):
    # the incident's count returning its row, the alert ring's slot, the alert's state.
    writes = [q["sql"] for q in queries.captured_queries
              if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(writes) == 3, writes
    assert Incident.objects.get().alert_count == 3 and Alert.objects.count() == 3
