from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident, Integration
from incidents.services import incident_acknowledge, incident_resolve
from oncall.models import hash_secret
from oncall.services import api_token_create, api_token_revoke
from tests.factories import (
    ApiClient,
    IncidentFactory,
    IntegrationFactory,
    MembershipFactory,
    ServiceFactory,
    SuperuserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def incident_url(incident, action=""):
    return f"/api/v1/incidents/{incident.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def api(responder):
    return ApiClient(responder)


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager").user


@pytest.fixture
def foreign(other_team):
    """Another team's service, incident and integration."""
    service = ServiceFactory(team=other_team)
    integration, _ = IntegrationFactory(service=service)
    return {"service": service, "incident": IncidentFactory(service=service), "integration": integration}


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- scoping and authentication --------------------------------------------------------------

def test_member_of_another_team_gets_404_for_its_incident_service_and_integration(api, foreign):
    assert api.get(incident_url(foreign["incident"])).status_code == 404
    assert api.post(incident_url(foreign["incident"], "acknowledge")).status_code == 404
    assert api.get(f"/api/v1/services/{foreign['service'].pk}/").status_code == 404
    assert api.delete(f"/api/v1/services/{foreign['service'].pk}/").status_code == 404
    assert api.get(f"/api/v1/integrations/{foreign['integration'].pk}/").status_code == 404
    assert api.post(f"/api/v1/integrations/{foreign['integration'].pk}/rotate_token/").status_code == 404


def test_lists_never_include_another_teams_objects(api, incident, foreign):
    own_integration, _ = IntegrationFactory(service=incident.service)
    assert ids(api.get("/api/v1/incidents/")) == {incident.pk}
    assert ids(api.get("/api/v1/services/")) == {incident.service_id}
    assert ids(api.get("/api/v1/integrations/")) == {own_integration.pk}
    assert ids(api.get("/api/v1/incidents/", {"team": foreign["incident"].team_id})) == set()


def test_superuser_sees_every_team(incident, foreign):
    api = ApiClient(SuperuserFactory())
    assert ids(api.get("/api/v1/incidents/")) == {incident.pk, foreign["incident"].pk}
    assert api.get(incident_url(foreign["incident"])).status_code == 200
    assert api.get(f"/api/v1/integrations/{foreign['integration'].pk}/").status_code == 200


def test_viewer_posting_an_action_gets_403_naming_their_role(team, incident):
    viewer = ApiClient(MembershipFactory(team=team, role="viewer").user)
    assert viewer.get(incident_url(incident)).status_code == 200
    for action, body in [("acknowledge", {}), ("notes", {"text": "hi"}), ("severity", {"severity": "SEV1"})]:
        response = viewer.post(incident_url(incident, action), body)
        assert response.status_code == 403
        assert "viewer" in response.json()["detail"]
    incident.refresh_from_db()
    assert incident.status == "triggered"


def test_request_without_credentials_gets_401_with_www_authenticate(incident):
    response = APIClient().get("/api/v1/incidents/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_revoked_token_gets_401(responder, incident):
    token, raw = api_token_create(user=responder, name="laptop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/incidents/").status_code == 200
    api_token_revoke(token=token)
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


# --- actions ---------------------------------------------------------------------------------

def test_acknowledge_through_the_api_is_on_the_timeline_with_via_api(api, responder, incident):
    response = api.post(incident_url(incident, "acknowledge"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_by"] == responder.username
    last = body["timeline"][-1]
    assert (last["kind"], last["via"], last["actor"]) == ("acknowledged", "api", responder.username)


def test_session_login_records_via_web(responder, incident):
    client = APIClient()
    client.force_login(responder)
    response = client.post(incident_url(incident, "acknowledge"), {}, format="json")
    assert response.status_code == 200
    assert response.json()["timeline"][-1]["via"] == "web"


def test_second_acknowledge_gets_409_naming_who_acknowledged(api, team, incident):
    colleague = MembershipFactory(team=team, user=UserFactory(username="carol")).user
    incident_acknowledge(incident=incident, by=colleague, via="web")
    response = api.post(incident_url(incident, "acknowledge"))
    assert response.status_code == 409
    assert "carol" in response.json()["detail"]


def test_acknowledging_a_resolved_incident_is_400_with_the_reason(api, incident):
    assert api.post(incident_url(incident, "resolve")).status_code == 200
    response = api.post(incident_url(incident, "acknowledge"))
    assert response.status_code == 400
    assert "resolved" in response.json()["detail"]


def test_mitigate_then_resolve_keep_their_notes(api, incident):
    mitigated = api.post(incident_url(incident, "mitigate"), {"note": "Failed over to db2"}).json()
    assert mitigated["status"] == "mitigated"
    assert mitigated["acknowledged_at"] is not None
    resolved = api.post(incident_url(incident, "resolve"), {"note": "Replaced the disk"}).json()
    assert resolved["status"] == "resolved"
    texts = [(e["kind"], e["text"], e["via"]) for e in resolved["timeline"][1:]]
    assert texts == [("mitigated", "Failed over to db2", "api"), ("resolved", "Replaced the disk", "api")]


def test_reopen_puts_a_resolved_incident_back_to_triggered(api, responder, incident):
    incident_resolve(incident=incident, by=responder, via="web")
    response = api.post(incident_url(incident, "reopen"), {"reason": "Disk filled up again"})
    assert response.status_code == 200
    assert response.json()["status"] == "triggered"
    assert response.json()["timeline"][-1] | {"at": None, "id": None} == {
        "at": None, "id": None, "kind": "reopened", "actor": responder.username, "via": "api",
        "text": "Disk filled up again", "data": {},
    }


def test_note_is_added_to_the_timeline_and_returned_with_201(api, responder, incident):
    response = api.post(incident_url(incident, "notes"), {"text": "Looking at iostat"})
    assert response.status_code == 201
    assert response.json()["kind"] == "note"
    assert response.json()["via"] == "api"
    assert incident.timeline.filter(kind="note", text="Looking at iostat", actor=responder).exists()


def test_note_without_text_is_400_naming_the_field(api, incident):
    response = api.post(incident_url(incident, "notes"), {})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("text:")
    assert "text" in response.json()["errors"]


def test_severity_change_is_recorded(api, incident):
    response = api.post(incident_url(incident, "severity"), {"severity": "SEV1"})
    assert response.status_code == 200
    assert response.json()["severity"] == "SEV1"
    assert response.json()["timeline"][-1]["data"] == {"from": "SEV3", "to": "SEV1"}


def test_unknown_severity_or_field_is_400_naming_the_field(api, incident):
    response = api.post(incident_url(incident, "severity"), {"severity": "SEV9"})
    assert response.status_code == 400
    assert "severity" in response.json()["detail"]
    response = api.post(incident_url(incident, "resolve"), {"notes": "typo"})
    assert response.status_code == 400
    assert response.json()["detail"] == "notes: Unknown field."


def test_body_that_is_not_json_is_415_and_malformed_json_is_400(api, incident):
    response = api.client.post(incident_url(incident, "notes"), "text=hi", content_type="text/plain")
    assert response.status_code == 415
    response = api.client.post(incident_url(incident, "notes"), '{"text": ', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    response = api.client.post(incident_url(incident, "notes"), "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    deep = "[" * 100_000 + "]" * 100_000
    response = api.client.post(incident_url(incident, "notes"), deep, content_type="application/json")
    assert response.status_code == 400


def test_huge_or_malformed_ids_are_404(api):
    for path in ("/api/v1/incidents/99999999999999999999999/", "/api/v1/incidents/abc/",
                 "/api/v1/incidents/1.5/acknowledge/", "/api/v1/nothing-here/"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"


# --- creating incidents ----------------------------------------------------------------------

def test_create_returns_201_then_200_with_the_open_incident_for_the_same_dedup_key(api, service):
    body = {"service": service.pk, "title": "Checkout is slow", "severity": "SEV2", "urgency": "low",
            "dedup_key": "checkout-latency", "details": {"p99_ms": 2300}}
    first = api.post("/api/v1/incidents/", body)
    assert first.status_code == 201
    created = first.json()
    assert (created["severity"], created["urgency"], created["details"]) == ("SEV2", "low", {"p99_ms": 2300})
    assert created["timeline"][0]["via"] == "api"
    again = api.post("/api/v1/incidents/", body)
    assert again.status_code == 200
    assert again.json()["id"] == created["id"]
    assert again.json()["alert_count"] == 2


def test_create_for_another_teams_service_is_400_naming_service(api, foreign):
    response = api.post("/api/v1/incidents/", {"service": foreign["service"].pk, "title": "x"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("service:")
    assert not Incident.objects.filter(title="x").exists()


# --- filters and pagination ------------------------------------------------------------------

@pytest.fixture
def assorted(team, responder):
    """Four incidents of one team, an hour apart, in different states and services."""
    now = timezone.now()
    web, db = ServiceFactory(team=team), ServiceFactory(team=team)
    made = {
        "old": IncidentFactory(service=web, at=now - timedelta(hours=3), severity="SEV1"),
        "acked": IncidentFactory(service=web, at=now - timedelta(hours=2), urgency="low"),
        "resolved": IncidentFactory(service=db, at=now - timedelta(hours=1)),
        "new": IncidentFactory(service=db, at=now),
    }
    incident_acknowledge(incident=made["acked"], by=responder, via="web")
    incident_resolve(incident=made["resolved"], by=responder, via="web")
    return made | {"web": web, "db": db, "now": now}


def test_filter_by_status_repeated_or_comma_separated(api, assorted):
    a = assorted
    assert ids(api.get("/api/v1/incidents/", {"status": "triggered"})) == {a["old"].pk, a["new"].pk}
    assert ids(api.get("/api/v1/incidents/?status=acknowledged&status=resolved")) == {a["acked"].pk, a["resolved"].pk}
    assert ids(api.get("/api/v1/incidents/", {"status": "acknowledged,resolved"})) == {a["acked"].pk, a["resolved"].pk}
    response = api.get("/api/v1/incidents/", {"status": "open"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("status")


def test_filter_by_service_team_severity_and_urgency(api, team, assorted):
    a = assorted
    assert ids(api.get("/api/v1/incidents/", {"service": a["db"].pk})) == {a["resolved"].pk, a["new"].pk}
    assert len(ids(api.get("/api/v1/incidents/", {"team": team.pk}))) == 4
    assert ids(api.get("/api/v1/incidents/", {"severity": "SEV1"})) == {a["old"].pk}
    assert ids(api.get("/api/v1/incidents/", {"urgency": "low"})) == {a["acked"].pk}


def test_filter_by_time_range_on_triggered_at(api, assorted):
    a, now = assorted, assorted["now"]
    window = {"since": (now - timedelta(hours=2, minutes=30)).isoformat(),
              "until": (now - timedelta(minutes=30)).isoformat()}
    assert ids(api.get("/api/v1/incidents/", window)) == {a["acked"].pk, a["resolved"].pk}
    assert ids(api.get("/api/v1/incidents/", {"since": "2000-01-01T00:00:00Z"})) == {
        a["old"].pk, a["acked"].pk, a["resolved"].pk, a["new"].pk}


def test_bad_since_is_400_naming_the_parameter(api, assorted):
    response = api.get("/api/v1/incidents/", {"since": "yesterday"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("since:")
    assert api.get("/api/v1/incidents/", {"service": "db"}).json()["detail"].startswith("service:")
    assert api.get("/api/v1/incidents/", {"team": 10**30}).json()["detail"].startswith("team:")


def test_cursor_pagination_walks_every_page_without_duplicates(api, service):
    now = timezone.now()
    # Two share a timestamp: the cursor must still neither skip nor repeat them.
    made = [IncidentFactory(service=service, at=now - timedelta(minutes=i // 2)) for i in range(7)]
    seen, url, pages = [], "/api/v1/incidents/?page_size=3", 0
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert seen == [i.pk for i in sorted(made, key=lambda i: (i.triggered_at, i.pk), reverse=True)]


def test_invalid_cursor_is_404_not_a_server_error(api, incident):
    response = api.get("/api/v1/incidents/", {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert "cursor" in response.json()["detail"].lower()


# --- detail ----------------------------------------------------------------------------------

def test_detail_has_the_ordered_timeline_and_alert_counters(api, responder, service):
    incident = IncidentFactory(service=service, dedup_key="disk")
    IncidentFactory(service=service, dedup_key="disk")
    api.post(incident_url(incident, "acknowledge"))
    api.post(incident_url(incident, "notes"), {"text": "on it"})
    body = api.get(incident_url(incident)).json()
    assert (body["alert_count"], body["number"], body["service_name"]) == (2, incident.number, service.name)
    assert body["last_alert_at"] is not None
    assert [e["kind"] for e in body["timeline"]] == ["triggered", "acknowledged", "note"]
    assert body["timeline"][0]["actor"] is None
    assert set(body["timeline"][1]) == {"id", "at", "kind", "actor", "via", "text", "data"}


# --- services and integrations ---------------------------------------------------------------

def test_manager_creates_renames_and_deletes_a_service(team, manager):
    api = ApiClient(manager)
    created = api.post(
        "/api/v1/services/", {"team": team.pk, "name": "payments", "runbook_url": "https://wiki.example.com/pay"}
    )
    assert created.status_code == 201
    url = f"/api/v1/services/{created.json()['id']}/"
    assert api.patch(url, {"name": "payments-api"}).json()["name"] == "payments-api"
    duplicate = api.post("/api/v1/services/", {"team": team.pk, "name": "payments-api"})
    assert duplicate.status_code == 400
    assert api.delete(url).status_code == 204
    assert api.get(url).status_code == 404


def test_responder_reads_services_but_cannot_change_them(api, team, service):
    assert api.get(f"/api/v1/services/{service.pk}/").status_code == 200
    response = api.post("/api/v1/services/", {"team": team.pk, "name": "new"})
    assert response.status_code == 403
    assert "responder" in response.json()["detail"]
    assert api.patch(f"/api/v1/services/{service.pk}/", {"name": "x"}).status_code == 403


def test_service_with_incidents_cannot_be_deleted_or_moved(manager, other_team, incident):
    api = ApiClient(manager)
    MembershipFactory(team=other_team, user=manager, role="manager")
    url = f"/api/v1/services/{incident.service_id}/"
    response = api.delete(url)
    assert response.status_code == 409
    assert "incidents" in response.json()["detail"]
    assert api.patch(url, {"team": other_team.pk}).status_code == 400


def test_integration_create_returns_url_and_token_once_and_stores_only_the_hash(manager, service, settings):
    settings.PUBLIC_URL = "https://vigil.example.com"
    api = ApiClient(manager)
    response = api.post("/api/v1/integrations/", {"service": service.pk, "kind": "alertmanager", "name": "Prom"})
    assert response.status_code == 201
    body = response.json()
    token = body["token"]
    assert body["url"] == f"https://vigil.example.com/integrations/{token}/"
    assert body["routing_key"] is None
    stored = Integration.objects.get(pk=body["id"])
    assert stored.token_hash == hash_secret(token)
    assert token not in str(Integration.objects.filter(pk=stored.pk).values().get())
    for shown in (api.get(f"/api/v1/integrations/{stored.pk}/").json(), api.get("/api/v1/integrations/").json()):
        assert token not in str(shown)
        assert "url" not in str(shown) and "routing_key" not in str(shown)


@pytest.mark.parametrize("kind, path", [("heartbeat", "/integrations/{t}/heartbeat/"), ("pagerduty", "/v2/enqueue")])
def test_integration_url_depends_on_its_kind(manager, service, settings, kind, path):
    settings.PUBLIC_URL = "https://vigil.example.com"
    body = ApiClient(manager).post("/api/v1/integrations/", {"service": service.pk, "kind": kind, "name": kind}).json()
    assert body["url"] == "https://vigil.example.com" + path.format(t=body["token"])
    assert body["routing_key"] == (body["token"] if kind == "pagerduty" else None)


def test_rotating_the_token_returns_a_new_url_and_retires_the_old_token(manager, service):
    integration, old = IntegrationFactory(service=service)
    response = ApiClient(manager).post(f"/api/v1/integrations/{integration.pk}/rotate_token/")
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old and new in response.json()["url"]
    integration.refresh_from_db()
    assert integration.token_hash == hash_secret(new)


def test_manager_updates_and_deletes_an_integration_but_a_responder_cannot(api, manager, service):
    integration, _ = IntegrationFactory(service=service)
    url = f"/api/v1/integrations/{integration.pk}/"
    assert api.patch(url, {"enabled": False}).status_code == 403
    changed = ApiClient(manager).patch(url, {"enabled": False, "config": {"dedup_field": "details.host"}})
    assert changed.status_code == 200
    assert (changed.json()["enabled"], changed.json()["config"]) == (False, {"dedup_field": "details.host"})
    assert ApiClient(manager).patch(url, {"kind": "grafana"}).json()["detail"] == "kind: Unknown field."
    assert ApiClient(manager).delete(url).status_code == 204
    assert not Integration.objects.filter(pk=integration.pk).exists()


def test_integration_config_must_be_a_storable_json_object(manager, service):
    api = ApiClient(manager)
    for config in (["a"], {"a": "nul\x00byte"}):
        response = api.post("/api/v1/integrations/", {"service": service.pk, "kind": "generic", "name": "x",
                                                      "config": config})
        assert response.status_code == 400
        assert response.json()["detail"].startswith("config:")
    response = api.post("/api/v1/services/", {"team": service.team_id, "name": "nul\x00"})
    assert response.status_code == 400


def test_another_team_member_cannot_create_an_integration_there(api, foreign):
    response = api.post("/api/v1/integrations/", {"service": foreign["service"].pk, "kind": "generic", "name": "x"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("service:")


def test_teams_do_not_leak_through_a_team_filter(api, team, foreign):
    assert ids(api.get("/api/v1/services/", {"team": foreign["service"].team_id})) == set()
    assert api.get("/api/v1/services/", {"team": "x"}).status_code == 400
    assert api.get("/api/v1/services/", {"team": 10**30}).status_code == 400


def test_nul_characters_are_refused_before_reaching_the_database(api, incident):
    # PostgreSQL refuses NUL in text and jsonb: it must be an input error, never a failed INSERT.
    assert api.get("/api/v1/incidents/", {"since": "\x00"}).status_code == 400
    assert api.get("/api/v1/incidents/", {"status": "\x00"}).status_code == 400
    assert api.get("/api/v1/incidents/%00/").status_code == 404
    assert api.post(incident_url(incident, "notes"), {"text": "a\x00b"}).status_code == 400
    response = api.post("/api/v1/incidents/", {"service": incident.service_id, "title": "t", "details": {"k\x00": 1}})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("details:")


def test_service_slack_channel_is_set_through_the_api_and_validated(db):
    from tests.factories import ApiClient, MembershipFactory, ServiceFactory

    service = ServiceFactory()
    manager = MembershipFactory(team=service.team, role="manager").user
    api = ApiClient(manager)
    ok = api.patch(f"/api/v1/services/{service.pk}/", {"slack_channel": "C0CHECKOUT1"})
    assert ok.status_code == 200 and ok.json()["slack_channel"] == "C0CHECKOUT1"
    bad = api.patch(f"/api/v1/services/{service.pk}/", {"slack_channel": "#checkout"})
    assert bad.status_code == 400 and "slack_channel" in bad.json()["errors"]
