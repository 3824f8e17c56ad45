"""An integration's config is checked on every write, per kind, and its secrets never come back."""
import itertools
import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.alert_ingest import heartbeats_check
from incidents.models import Incident, Integration
from incidents.services import IncidentError, integration_create
from tests.factories import ApiClient, IntegrationFactory, MembershipFactory, SuperuserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/"


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager").user


_names = itertools.count(1)


def create(user, service, kind, config):
    # Integration names are unique within a service.
    name = f"{kind} {next(_names)}"
    return ApiClient(user).post(URL, {"service": service.pk, "kind": kind, "name": name, "config": config})


# --- Bounds and schemas on write --------------------------------------------------------------

def test_a_heartbeat_interval_too_large_to_compute_is_refused_naming_the_field(manager, service):
    response = create(manager, service, "heartbeat", {"interval_seconds": 99999999999999999999})
    assert response.status_code == 400
    assert "interval_seconds" in response.json()["detail"]
    assert not Integration.objects.exists()


@pytest.mark.parametrize("config, field", [
    ({"interval_seconds": 9}, "interval_seconds"),
    ({"interval_seconds": 7 * 86400 + 1}, "interval_seconds"),
    ({"interval_seconds": "60"}, "interval_seconds"),
    ({"interval_seconds": True}, "interval_seconds"),
    ({"interval_seconds": 60.5}, "interval_seconds"),
    ({"grace_seconds": -1}, "grace_seconds"),
    ({"grace_seconds": 86401}, "grace_seconds"),
    ({"rate_limit_per_minute": 0}, "rate_limit_per_minute"),
    ({"urgency": "urgent"}, "urgency"),
    ({"group_by": "fingerprint"}, "group_by"),  # an alertmanager option, not a heartbeat one
])
def test_heartbeat_config_out_of_bounds_or_of_the_wrong_type_is_refused(manager, service, config, field):
    response = create(manager, service, "heartbeat", config)
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"]
    assert response.json()["detail"].startswith("config:")


def test_heartbeat_config_at_its_bounds_is_accepted(manager, service):
    for config in ({"interval_seconds": 10, "grace_seconds": 0}, {"interval_seconds": 604800, "grace_seconds": 86400}):
        assert create(manager, service, "heartbeat", config).status_code == 201


@pytest.mark.parametrize("limit", [-1, 0, 1_000_001, "10", None, 2.5])
def test_a_rate_limit_outside_one_to_a_million_per_minute_is_refused(manager, service, limit):
    response = create(manager, service, "generic", {"rate_limit_per_minute": limit})
    assert response.status_code == 400
    assert "rate_limit_per_minute" in response.json()["detail"]


def test_unknown_config_keys_are_refused_by_name(manager, service):
    response = create(manager, service, "alertmanager", {"group_by": "fingerprint", "intervall": 5, "colour": "red"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("config: unknown options 'colour', 'intervall' (alertmanager "
                                                 "integrations take severity_map, ")


def test_an_invalid_option_of_the_kind_is_refused(manager, service):
    response = create(manager, service, "generic", {"group_by": ["alertname"]})
    assert response.status_code == 400
    assert "group_by" in response.json()["detail"]
    response = create(manager, service, "alertmanager", {"group_by": ["alertname"]})
    assert response.status_code == 400
    assert "group_by" in response.json()["detail"]


def test_every_kind_takes_its_documented_options(manager, service):
    configs = {
        "generic": {"dedup_field": "details.host", "severity_map": {"P1": "critical"}, "auto_resolve": False,
                    "urgency": {"warning": "high"}, "rate_limit_per_minute": 1},
        "alertmanager": {"group_by": "fingerprint", "resolve_per_alert": True, "urgency": "low"},
        "grafana": {"secret": "hmac-shared-secret", "group_by": "group", "rate_limit_per_minute": 1_000_000},
        "pagerduty": {"severity_map": {"sev0": "critical"}, "auto_resolve": True},
        "heartbeat": {"interval_seconds": 300, "grace_seconds": 60, "urgency": "low"},
    }
    for kind, config in configs.items():
        assert create(manager, service, kind, config).status_code == 201, kind


def test_an_update_is_checked_against_the_integration_kind(manager, service):
    integration, _ = IntegrationFactory(service=service, kind="heartbeat", config={"interval_seconds": 60})
    url = f"{URL}{integration.pk}/"
    response = ApiClient(manager).patch(url, {"config": {"interval_seconds": 10**20}})
    assert response.status_code == 400
    assert "interval_seconds" in response.json()["detail"]
    integration.refresh_from_db()
    assert integration.config == {"interval_seconds": 60}
    assert ApiClient(manager).patch(url, {"config": {"interval_seconds": 120}}).status_code == 200


def test_the_service_refuses_an_invalid_config_from_any_caller(service):
    with pytest.raises(IncidentError, match="interval_seconds"):
        integration_create(service=service, kind="heartbeat", name="hb", config={"interval_seconds": 10**20})
    assert not Integration.objects.exists()


def test_the_admin_form_refuses_an_invalid_config(client, service):
    client.force_login(SuperuserFactory())
    form = {"service": service.pk, "kind": "heartbeat", "name": "hb", "enabled": "on",
            "config": '{"interval_seconds": 99999999999999999999}'}
    response = client.post("/admin/incidents/integration/add/", form)
    assert response.status_code == 200  # the form again, with its errors
    assert "interval_seconds" in response.content.decode()
    assert not Integration.objects.exists()
    integration, _ = IntegrationFactory(service=service, kind="generic")
    change = {**form, "kind": "generic", "config": '{"rate_limit_per_minute": -1}'}
    response = client.post(f"/admin/incidents/integration/{integration.pk}/change/", change)
    assert "rate_limit_per_minute" in response.content.decode()
    integration.refresh_from_db()
    assert integration.config == {}


# --- The beat task: one bad row never stops the others ------------------------------------------

def test_a_heartbeat_with_a_corrupt_config_does_not_stop_the_check_of_the_others(service, caplog):
    corrupt, _ = IntegrationFactory(service=service, kind="heartbeat", name="A corrupt",
                                    config={"interval_seconds": 60})
    healthy, _ = IntegrationFactory(service=service, kind="heartbeat", name="B healthy",
                                    config={"interval_seconds": 60, "grace_seconds": 0})
    # Written the way a row from before validation, or a hand edit in the database, would be.
    Integration.objects.filter(pk=corrupt.pk).update(config={"interval_seconds": 99999999999999999999})
    with caplog.at_level(logging.ERROR, logger="incidents.alert_ingest"):
        opened = heartbeats_check(now=timezone.now() + timedelta(minutes=5))
    assert [i.dedup_key for i in opened] == [f"heartbeat:{healthy.pk}"]
    assert Incident.objects.get().dedup_key == f"heartbeat:{healthy.pk}"
    assert any(str(corrupt.pk) in record.getMessage() for record in caplog.records)


def test_a_stored_rate_limit_below_one_falls_back_to_the_default_instead_of_refusing_everything(client, service):
    from django.core.cache import cache

    cache.clear()
    integration, token = IntegrationFactory(service=service, kind="generic")
    Integration.objects.filter(pk=integration.pk).update(config={"rate_limit_per_minute": -1})
    response = client.post(f"/integrations/{token}/", {"title": "Disk full"}, content_type="application/json")
    assert response.status_code == 202, response.content


# --- Secrets are write-only --------------------------------------------------------------------

SECRET = "grafana-hmac-secret-7f3a"


@pytest.fixture
def grafana(service):
    integration, _ = IntegrationFactory(service=service, kind="grafana", config={"secret": SECRET, "group_by": "group"})
    return integration


def test_a_viewer_never_reads_the_grafana_signing_secret(grafana, team):
    viewer = ApiClient(MembershipFactory(team=team, role="viewer").user)
    for body in (viewer.get(URL).json()["results"][0], viewer.get(f"{URL}{grafana.pk}/").json()):
        assert SECRET not in str(body)
        assert body["config"] == {"secret": "****7f3a", "group_by": "group"}


def test_the_creation_response_does_not_echo_the_secret(manager, service):
    response = create(manager, service, "grafana", {"secret": SECRET})
    assert response.status_code == 201
    assert SECRET not in str(response.json())
    assert Integration.objects.get().config == {"secret": SECRET}


def test_an_update_that_omits_the_secret_keeps_it(manager, grafana):
    url = f"{URL}{grafana.pk}/"
    response = ApiClient(manager).patch(url, {"config": {"group_by": "fingerprint"}})
    assert response.status_code == 200
    grafana.refresh_from_db()
    assert grafana.config == {"secret": SECRET, "group_by": "fingerprint"}
    # What a client read, sent back unchanged, keeps the secret too.
    shown = ApiClient(manager).get(url).json()["config"]
    assert ApiClient(manager).put(url, {"name": "g", "enabled": True, "config": shown}).status_code == 200
    grafana.refresh_from_db()
    assert grafana.config["secret"] == SECRET


def test_an_update_replaces_or_removes_the_secret_when_asked(manager, grafana):
    url = f"{URL}{grafana.pk}/"
    ApiClient(manager).patch(url, {"config": {"secret": "a-brand-new-secret"}})
    grafana.refresh_from_db()
    assert grafana.config["secret"] == "a-brand-new-secret"
    ApiClient(manager).patch(url, {"config": {"secret": None}})
    grafana.refresh_from_db()
    assert "secret" not in grafana.config


def test_a_short_secret_is_masked_without_showing_any_of_it(manager, service):
    integration, _ = IntegrationFactory(service=service, kind="grafana", config={"secret": "shh"})
    assert ApiClient(manager).get(f"{URL}{integration.pk}/").json()["config"] == {"secret": "****"}
