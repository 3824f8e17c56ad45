"""Each alert of an incident as it now stands, from real captured Alertmanager and PagerDuty payloads
posted over HTTP, and what the incident page shows of it."""
import copy
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from incidents import alert_state
from incidents.models import Alert, Incident, IncidentAlertState
from incidents.sources.alertmanager import parse
from tests.factories import IntegrationFactory
from tests.incidents.test_webhooks import fixture, pd_event, post


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def am_url(service):
    _, token = IntegrationFactory(service=service, kind="alertmanager")
    return f"/integrations/{token}/"


@pytest.fixture
def web(responder):
    client = Client()
    client.force_login(responder)
    return client


def section(html: str, section_id: str) -> str:
    """The element with this id, up to the next live section: enough to tell sections apart."""
    start = html.index(f'id="{section_id}"')
    following = re.search(r'id="incident-[a-z-]+"', html[start + 10:])
    return html[start:start + 10 + following.start()] if following else html[start:]


def group_with_web1_resolved():
    body = fixture("alertmanager", "firing-group-of-3.json")
    body["alerts"][0].update(status="resolved", endsAt="2026-11-27T16:20:00Z")
    return body


def group_resolved():
    body = fixture("alertmanager", "firing-group-of-3.json")
    body["status"] = "resolved"
    for alert in body["alerts"]:
        alert.update(status="resolved", endsAt="2026-11-27T16:30:00Z")
    return body


def test_after_alertmanager_resolves_the_page_lists_the_alert_as_resolved(client, am_url, web):
    post(client, am_url, fixture("alertmanager", "firing.json"))
    post(client, am_url, fixture("alertmanager", "resolved.json"))
    incident = Incident.objects.get()
    html = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    alerts = section(html, "incident-alerts")
    assert ">resolved</span>" in alerts and ">firing</span>" not in alerts
    assert "disk full on db1" in alerts  # the bare resolve keeps what the firing notification said
    assert "firing_count" not in html


def test_a_group_title_follows_the_alerts_still_firing(client, am_url, sent_tasks, django_capture_on_commit_callbacks):
    post(client, am_url, fixture("alertmanager", "firing-group-of-3.json"))
    assert Incident.objects.get().title == "p99 latency above 2s on web1 (+2 more)"
    sent_tasks.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, am_url, group_with_web1_resolved())
    incident = Incident.objects.get()
    assert incident.title == "p99 latency above 2s on web2 (+1 more)"
    assert [t["args"] for t in sent_tasks.named("notifications.incident_changed")] == [[incident.pk]]
    states = dict(IncidentAlertState.objects.values_list("labels__instance", "status"))
    assert states == {"web1": "resolved", "web2": "firing", "web3": "firing"}


def test_three_posts_count_three_notifications(client, am_url, web):
    post(client, am_url, fixture("alertmanager", "firing-group-of-3.json"))
    post(client, am_url, group_with_web1_resolved())
    post(client, am_url, group_resolved())
    incident = Incident.objects.get()
    assert incident.alert_count == 3
    fields = section(web.get(reverse("incidents:detail", args=[incident.pk])).content.decode(), "incident-fields")
    assert re.search(r"Notifications</dt><dd>3\b", fields)
    assert re.search(r"Alerts</dt><dd>3: 0 firing, 3 resolved", fields)


def test_repeat_notifications_update_the_alert_rows_in_place(client, am_url):
    for _ in range(3):
        post(client, am_url, fixture("alertmanager", "firing-group-of-3.json"))
    assert IncidentAlertState.objects.count() == 3
    row = IncidentAlertState.objects.get(labels__instance="web2")
    assert row.summary == "p99 latency above 2s on web2" and row.severity == "warning"
    assert row.runbook_url == "https://runbooks.example.com/high-latency"


def test_pagerduty_resolve_row_names_the_incident_and_claims_no_severity(client, service):
    _, token = IntegrationFactory(service=service, kind="pagerduty")
    post(client, "/v2/enqueue", pd_event(token))
    key = "db2.example.com/mysql/replication-lag"
    post(client, "/v2/enqueue", {"routing_key": token, "event_action": "resolve", "dedup_key": key})
    incident = Incident.objects.get()
    row = Alert.objects.get(action="resolve")
    assert row.summary == f"Resolved: {incident.title}"
    assert row.severity == ""
    assert IncidentAlertState.objects.get().status == "resolved"


def test_alert_rows_stay_bounded_dropping_the_oldest_resolved_first(client, am_url, monkeypatch):
    monkeypatch.setattr(alert_state, "ALERT_STATES_KEPT", 4)
    post(client, am_url, fixture("alertmanager", "firing-group-of-3.json"))
    body = group_with_web1_resolved()
    body["alerts"][1].update(status="resolved", endsAt="2026-11-27T16:21:00Z")
    for name in ("web4", "web5"):
        extra = copy.deepcopy(body["alerts"][2])
        extra["labels"]["instance"] = name
        extra["fingerprint"] = f"fp-{name}"
        body["alerts"].append(extra)
    post(client, am_url, body)
    rows = dict(IncidentAlertState.objects.values_list("labels__instance", "status"))
    assert len(rows) == 4
    assert sorted(name for name, status in rows.items() if status == "firing") == ["web3", "web4", "web5"]
    assert list(rows.values()).count("resolved") == 1


def test_a_repeat_notification_costs_one_statement_for_its_alerts(client, am_url, django_assert_num_queries):
    post(client, am_url, fixture("alertmanager", "firing-group-of-3.json"))
    incident = Incident.objects.get()
    integration = incident.service.integrations.get()
    event = parse(fixture("alertmanager", "firing-group-of-3.json"), integration)[0]
    incident.alert_count = 4  # not a trimming turn
    with django_assert_num_queries(1):
        alert_state.alert_states_record(incident=incident, integration=integration, event=event,
                                        at=incident.triggered_at)
    assert IncidentAlertState.objects.count() == 3


def test_a_big_group_lists_the_first_rows_and_counts_the_rest(incident, web):
    IncidentAlertState.objects.bulk_create([
        IncidentAlertState(incident=incident, fingerprint=f"fp{n}", summary=f"alert {n}",
                           status="resolved" if n % 5 == 0 else "firing") for n in range(55)])
    html = web.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert re.search(r"Alerts</dt><dd>55: 44 firing, 11 resolved", section(html, "incident-fields"))
    alerts = section(html, "incident-alerts")
    assert alerts.count('class="alert-row ') == 50 and "5 more alerts not listed" in alerts
    assert alerts.count(">firing</span>") == 44  # the firing ones come first
