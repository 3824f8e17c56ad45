"""The service pages (issue 11 §8): services, integrations and maintenance in the web UI."""
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Alert, ChangeEvent, Incident, Integration, MaintenanceWindow, Service
from incidents.services import incident_resolve, maintenance_window_create
from oncall.models import hash_secret
from tests.factories import (
    EscalationPolicyFactory, IncidentFactory, IntegrationFactory, MembershipFactory, ServiceFactory, TeamFactory,
)

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"incidents:{name}", args=args)


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager").user


@pytest.fixture
def viewer(team):
    return MembershipFactory(team=team, role="viewer").user


def as_(client, user):
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


def integration_of(service, **kwargs):
    return IntegrationFactory(service=service, **kwargs)[0]


# --- the list -------------------------------------------------------------------------------------

def test_the_list_shows_my_teams_services_with_open_incidents_and_policy_but_no_other_team(
        client, responder, service, other_team):
    policy = EscalationPolicyFactory(team=service.team, name="Checkout escalation")
    Service.objects.filter(pk=service.pk).update(escalation_policy=policy, name="Checkout")
    IncidentFactory(service=service, dedup_key="a")
    incident_resolve(incident=IncidentFactory(service=service, dedup_key="b"), by=None, via="api")
    ServiceFactory(team=other_team, name="Secret payroll")
    page = html(as_(client, responder).get(url("services")))
    row = re.search(r'<tr class="service-row">.*?</tr>', page, re.S).group(0)
    assert "Checkout" in row and "Checkout escalation" in row
    assert re.search(r'data-label="Open incidents" class="num"><span class="badge status-triggered">1<', row)
    assert "Secret payroll" not in page
    assert "New service" not in page  # responders don't create services


def test_the_top_navigation_links_to_services(client, responder):
    assert f'href="{url("services")}"' in html(as_(client, responder).get(url("list")))


def test_the_list_says_whom_the_first_step_pages_now_as_the_engine_would(client, responder, team):
    from datetime import date

    from oncall.policies import step_users_at
    from tests.factories import LayerFactory, ScheduleFactory, UserFactory
    carol = MembershipFactory(team=team, user=UserFactory(username="carol", first_name="Carol")).user
    dave = MembershipFactory(team=team, user=UserFactory(username="dave", first_name="Dave"), role="viewer").user
    schedule = ScheduleFactory(team=team)
    LayerFactory(schedule=schedule, participants=[carol], turn_unit="days", start_date=date(2026, 1, 5))
    other = TeamFactory()
    MembershipFactory(team=other, user=UserFactory(username="erin", first_name="Erin"))
    MembershipFactory(team=other, user=UserFactory(username="vic", first_name="Vic"), role="viewer")
    MembershipFactory(team=other, user=responder)
    policy = EscalationPolicyFactory(team=team, steps=[
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": dave.pk}, {"kind": "schedule", "id": schedule.pk},
                                         {"kind": "team", "id": other.pk}]},
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": responder.pk}]}])
    ServiceFactory(team=team, name="Paged", escalation_policy=policy)
    ServiceFactory(team=team, name="Unpaged")
    from incidents.service_selectors import policies_paged_first
    now = timezone.now()
    assert set(policies_paged_first(policy_ids=[policy.pk], at=now)[policy.pk]) == set(
        step_users_at(step=policy.steps.get(position=0), at=now))
    page = html(as_(client, responder).get(url("services")))
    row = re.search(r'<tr class="service-row">\s*<td class="card-title"><a[^>]*>Paged<.*?</tr>', page, re.S).group(0)
    cell = re.search(r'data-label="Paged first now">(.*?)</td>', row, re.S).group(1)
    assert "Dave" in cell and "Carol" in cell and "Erin" in cell and "Vic" not in cell


def test_a_manager_creates_a_service_with_a_policy_of_the_team(client, manager, team):
    policy = EscalationPolicyFactory(team=team, name="Primary")
    response = as_(client, manager).post(url("service-new"), {
        "team": team.pk, "name": "Payments", "description": "Card payments", "runbook_url": "https://rb.example/pay",
        "escalation_policy": policy.pk, "slack_channel": "C0123ABCD"})
    service = Service.objects.get(name="Payments")
    assert response.status_code == 302 and response["Location"] == url("service", service.pk)
    assert (service.team, service.escalation_policy, service.slack_channel) == (team, policy, "C0123ABCD")


def test_a_new_service_with_bad_fields_names_each_problem_and_creates_nothing(client, manager, team, other_team):
    ServiceFactory(team=team, name="Taken")
    foreign_policy = EscalationPolicyFactory(team=other_team, name="Theirs")
    response = as_(client, manager).post(url("service-new"), {
        "team": team.pk, "name": "Taken", "runbook_url": "not a url", "slack_channel": "#general",
        "escalation_policy": foreign_policy.pk})
    assert response.status_code == 400
    page = html(response)
    assert "Enter a valid URL." in page
    assert "A Slack channel id looks like C0123ABCD" in page
    assert "Select a valid choice" in page  # another team's policy is not even offered
    assert "already exists" in page or "already has a service" in page
    assert Service.objects.filter(name="Taken").count() == 1


def test_a_policy_of_another_of_my_teams_is_refused_by_name(client, manager, team):
    second = TeamFactory(name="Second")
    MembershipFactory(team=second, user=manager, role="manager")
    theirs = EscalationPolicyFactory(team=second, name="Second's policy")
    response = as_(client, manager).post(url("service-new"), {"team": team.pk, "name": "X",
                                                               "escalation_policy": theirs.pk})
    assert response.status_code == 400
    assert "Policy &#x27;Second&#x27;s policy&#x27; belongs to another team." in html(response)
    assert not Service.objects.filter(name="X").exists()


def test_responders_and_viewers_cannot_create_services(client, responder, viewer, team):
    for person in (responder, viewer):
        assert as_(client, person).post(url("service-new"), {"team": team.pk, "name": "Nope"}).status_code == 403
    assert not Service.objects.filter(name="Nope").exists()


# --- one service ----------------------------------------------------------------------------------

def test_another_teams_service_is_not_found(client, responder, other_team):
    theirs = ServiceFactory(team=other_team)
    client = as_(client, responder)
    assert client.get(url("service", theirs.pk)).status_code == 404
    assert client.post(url("maintenance-now", theirs.pk), {"minutes": 30}).status_code == 404
    assert not MaintenanceWindow.objects.exists()


def test_the_service_page_shows_integrations_without_their_token_windows_changes_and_incidents(
        client, viewer, service):
    integration, token = IntegrationFactory(service=service, kind="alertmanager", name="Prometheus")
    ChangeEvent.objects.create(service=service, summary="Deployed checkout v42")
    IncidentFactory(service=service, title="Checkout 5xx")
    now = timezone.now()
    maintenance_window_create(service=service, starts_at=now, ends_at=now + timedelta(hours=1), reason="DB upgrade")
    page = html(as_(client, viewer).get(url("service", service.pk)))
    assert "Prometheus" in page and "Prometheus Alertmanager" in page and integration.token_prefix in page
    assert token not in page
    assert "Deployed checkout v42" in page and "Checkout 5xx" in page and "DB upgrade" in page
    # A viewer reads but is offered no write.
    assert "<form method=\"post\"" not in page.split('id="integrations-title"')[1]
    assert "Add an integration" not in page and "Edit service" not in page


def test_viewers_cannot_change_anything_on_a_service(client, viewer, service):
    integration = integration_of(service)
    client = as_(client, viewer)
    posts = [
        (url("service-edit", service.pk), {"name": "Renamed"}),
        (url("integration-add", service.pk), {"kind": "generic", "name": "New"}),
        (url("integration-rotate", service.pk, integration.pk), {}),
        (url("integration-disable", service.pk, integration.pk), {}),
        (url("integration-delete", service.pk, integration.pk), {}),
        (url("integration-test", service.pk, integration.pk), {}),
        (url("maintenance-now", service.pk), {"minutes": 30}),
    ]
    for target, data in posts:
        assert client.post(target, data).status_code == 403, target
    integration.refresh_from_db()
    assert integration.enabled and Integration.objects.count() == 1
    assert not Incident.objects.exists() and not MaintenanceWindow.objects.exists()
    assert Service.objects.get(pk=service.pk).name == service.name


def test_responders_cannot_change_the_service_or_its_integrations(client, responder, service):
    integration = integration_of(service)
    client = as_(client, responder)
    assert client.post(url("service-edit", service.pk), {"name": "Renamed"}).status_code == 403
    assert client.post(url("integration-add", service.pk), {"kind": "generic", "name": "N"}).status_code == 403
    assert client.post(url("integration-delete", service.pk, integration.pk)).status_code == 403
    assert Integration.objects.count() == 1


def test_forms_without_a_csrf_token_are_refused(manager, service, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post(url("service-new"), {"team": team.pk, "name": "Sneaky"}).status_code == 403
    assert client.post(url("integration-add", service.pk), {"kind": "generic", "name": "Sneaky"}).status_code == 403
    assert client.post(url("maintenance-now", service.pk), {"minutes": 30}).status_code == 403
    assert not Service.objects.filter(name="Sneaky").exists() and not Integration.objects.exists()
    assert not MaintenanceWindow.objects.exists()


def test_every_form_on_the_pages_carries_a_csrf_token(client, manager, service):
    integration_of(service)
    for page in (html(as_(client, manager).get(url("services"))), html(client.get(url("service", service.pk)))):
        forms = re.findall(r"<form method=\"post\".*?</form>", page, re.S)
        assert forms and all("csrfmiddlewaretoken" in form for form in forms)


def test_a_manager_changes_the_escalation_policy(client, manager, service):
    policy = EscalationPolicyFactory(team=service.team, name="Night")
    response = as_(client, manager).post(url("service-edit", service.pk), {
        "name": service.name, "escalation_policy": policy.pk, "runbook_url": "https://rb.example/x"})
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.escalation_policy == policy and service.runbook_url == "https://rb.example/x"


def test_renaming_to_a_name_the_team_has_is_refused_under_the_name_field(client, manager, service):
    ServiceFactory(team=service.team, name="Taken")
    response = as_(client, manager).post(url("service-edit", service.pk), {"name": "Taken"})
    assert response.status_code == 400
    assert "The team already has a service named &#x27;Taken&#x27;." in html(response)


# --- integrations ---------------------------------------------------------------------------------

def test_a_new_integrations_url_is_shown_once_in_the_body_and_in_no_cookie(client, manager, service):
    response = as_(client, manager).post(url("integration-add", service.pk), {
        "kind": "generic", "name": "Uptime checker", "rate_limit_per_minute": 120})
    assert response.status_code == 200
    integration = Integration.objects.get(name="Uptime checker")
    assert integration.config == {"rate_limit_per_minute": 120}
    shown = re.search(r'id="new-secret-url">http://[^<]*/integrations/([^/<]+)/<', html(response)).group(1)
    assert hash_secret(shown) == integration.token_hash
    assert 'data-copy="new-secret-url"' in html(response)
    assert "no-store" in response["Cache-Control"]
    assert all(shown not in morsel.value for morsel in response.cookies.values())
    assert all(shown not in str(m) for m in response.wsgi_request._messages)
    # ... and never again.
    assert shown not in html(client.get(url("service", service.pk)))


def test_a_pagerduty_integration_shows_its_routing_key_once(client, manager, service):
    response = as_(client, manager).post(url("integration-add", service.pk), {"kind": "pagerduty", "name": "PD"})
    key = re.search(r'id="new-secret-key">([^<]+)<', html(response)).group(1)
    assert hash_secret(key) == Integration.objects.get(name="PD").token_hash
    assert "/v2/enqueue" in html(response)


def test_a_heartbeat_takes_its_interval_and_grace(client, manager, service):
    response = as_(client, manager).post(url("integration-add", service.pk), {
        "kind": "heartbeat", "name": "Nightly backup (daily)", "interval_seconds": 86400, "grace_seconds": 3600})
    assert response.status_code == 200
    assert "/heartbeat/" in html(response)
    assert Integration.objects.get().config == {"interval_seconds": 86400, "grace_seconds": 3600}


def test_invalid_integration_options_are_each_named_under_their_box_and_nothing_is_created(client, manager, service):
    response = as_(client, manager).post(url("integration-add", service.pk), {
        "kind": "heartbeat", "name": "Beat", "interval_seconds": 10 ** 12, "grace_seconds": -1,
        "rate_limit_per_minute": 0})
    assert response.status_code == 400
    page = html(response)
    for message in ("&#x27;interval_seconds&#x27; must be a whole number from 10 to 604,800 seconds (7 days)",
                    "&#x27;grace_seconds&#x27; must be a whole number from 0 to 86,400 seconds (1 day)",
                    "&#x27;rate_limit_per_minute&#x27; must be a whole number from 1 to 1,000,000 per minute"):
        assert message in page
    assert page.count('class="field invalid"') == 3
    assert not Integration.objects.exists()
    assert "new-secret" not in page


def test_a_heartbeat_option_on_another_kind_is_refused_under_its_box(client, manager, service):
    response = as_(client, manager).post(url("integration-add", service.pk), {
        "kind": "generic", "name": "Web", "interval_seconds": 60})
    assert response.status_code == 400
    assert "Generic webhook integrations take no such option" in html(response)
    assert not Integration.objects.exists()


def test_a_grafana_signing_secret_is_stored_but_never_shown_back(client, manager, service):
    client = as_(client, manager)
    refused = client.post(url("integration-add", service.pk), {
        "kind": "grafana", "name": "Grafana", "secret": "s3cret-signing-key", "rate_limit_per_minute": 0})
    assert refused.status_code == 400 and "s3cret-signing-key" not in html(refused)
    client.post(url("integration-add", service.pk),
                {"kind": "grafana", "name": "Grafana", "secret": "s3cret-signing-key"})
    assert Integration.objects.get().config == {"secret": "s3cret-signing-key"}
    assert "s3cret-signing-key" not in html(client.get(url("service", service.pk)))
    other = client.post(url("integration-add", service.pk), {"kind": "generic", "name": "G", "secret": "x"})
    assert other.status_code == 400 and "Generic webhook integrations take no such option" in html(other)


def test_rotating_a_token_shows_the_new_url_once_and_the_old_one_stops_working(client, manager, service):
    integration, old = IntegrationFactory(service=service, name="Web")
    response = as_(client, manager).post(url("integration-rotate", service.pk, integration.pk))
    new = re.search(r'/integrations/([^/<]+)/<', html(response)).group(1)
    integration.refresh_from_db()
    assert hash_secret(new) == integration.token_hash and new != old
    assert client.post(f"/integrations/{old}/", {}, content_type="application/json").status_code == 404


def test_a_manager_disables_enables_and_deletes_an_integration(client, manager, service):
    integration = integration_of(service, name="Web")
    client = as_(client, manager)
    client.post(url("integration-disable", service.pk, integration.pk))
    integration.refresh_from_db()
    assert not integration.enabled
    client.post(url("integration-enable", service.pk, integration.pk))
    integration.refresh_from_db()
    assert integration.enabled
    assert client.post(url("integration-delete", service.pk, integration.pk)).status_code == 302
    assert not Integration.objects.exists()


def test_an_integration_of_another_service_cannot_be_reached_through_mine(client, manager, service, other_team):
    theirs = integration_of(ServiceFactory(team=other_team))
    assert as_(client, manager).post(url("integration-delete", service.pk, theirs.pk)).status_code == 404
    assert Integration.objects.filter(pk=theirs.pk).exists()


def test_a_test_alert_opens_a_real_incident_through_the_intake(client, responder, service):
    integration = integration_of(service, kind="alertmanager", name="Prometheus")
    response = as_(client, responder).post(url("integration-test", service.pk, integration.pk))
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == url("detail", incident.pk)
    assert incident.title == "Test alert from Prometheus" and incident.status == "triggered"
    alert = Alert.objects.get()
    assert alert.integration == integration and alert.payload["details"]["test"] is True
    integration.refresh_from_db()
    assert integration.last_seen_at is not None
    # A second press opens a second incident: each test is its own.
    client.post(url("integration-test", service.pk, integration.pk))
    assert Incident.objects.count() == 2


def test_a_test_alert_during_maintenance_opens_nothing_and_says_why(client, responder, service):
    integration = integration_of(service)
    now = timezone.now()
    maintenance_window_create(service=service, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))
    response = as_(client, responder).post(url("integration-test", service.pk, integration.pk), follow=True)
    assert "in maintenance: the test alert was stored but opened no incident" in html(response)
    assert not Incident.objects.exists() and Alert.objects.get().suppressed


def test_test_alerts_count_against_the_integrations_rate_limit(client, responder, service):
    integration = integration_of(service, name="Web", config={"rate_limit_per_minute": 1})
    client = as_(client, responder)
    client.post(url("integration-test", service.pk, integration.pk))
    response = client.post(url("integration-test", service.pk, integration.pk), follow=True)
    assert "Too many sends to Web this minute; try again in" in html(response)
    assert Incident.objects.count() == 1


def test_a_disabled_integration_sends_no_test(client, manager, service):
    integration = integration_of(service, name="Off")
    Integration.objects.filter(pk=integration.pk).update(enabled=False)
    response = as_(client, manager).post(url("integration-test", service.pk, integration.pk), follow=True)
    assert "Off is disabled: enable it to send a test." in html(response)
    assert not Incident.objects.exists()


def test_a_test_beat_records_a_beat_and_resolves_a_missed_heartbeat(client, responder, service):
    from incidents.alert_ingest import heartbeats_check
    integration = integration_of(service, kind="heartbeat", name="Backup", config={"interval_seconds": 60,
                                                                                   "grace_seconds": 0})
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        missed = heartbeats_check()[0]
        response = as_(client, responder).post(url("integration-test", service.pk, integration.pk), follow=True)
    assert f"Test beat received from Backup. It resolved incident #{missed.number}." in html(response)
    missed.refresh_from_db()
    assert missed.status == "resolved"


# --- maintenance ----------------------------------------------------------------------------------

def test_a_responder_starts_maintenance_for_n_minutes_then_ends_it_early(client, responder, service):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = as_(client, responder).post(url("maintenance-now", service.pk), {"minutes": 45, "reason": "Upgrade"})
        assert response.status_code == 302
        window = MaintenanceWindow.objects.get()
        assert (window.starts_at, window.ends_at) == (start, start + timedelta(minutes=45))
        assert window.created_by == responder
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        client.post(url("maintenance-end", service.pk, window.pk))
        window.refresh_from_db()
        assert window.ends_at == start + timedelta(minutes=10)  # kept, so its suppressed alerts stay explained


def test_a_scheduled_window_is_read_in_the_viewers_zone_and_can_be_cancelled(client, responder, service):
    from datetime import UTC, datetime

    from oncall.contacts import profile_time_zone_set
    profile_time_zone_set(user=responder, time_zone="Europe/Berlin")
    response = as_(client, responder).post(url("maintenance-schedule", service.pk), {
        "starts_at": "2030-01-10T22:00", "ends_at": "2030-01-11T02:00", "reason": "Migration"})
    assert response.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert (window.starts_at, window.ends_at) == (datetime(2030, 1, 10, 21, tzinfo=UTC),
                                                  datetime(2030, 1, 11, 1, tzinfo=UTC))  # Berlin is UTC+1 in January
    client.post(url("maintenance-end", service.pk, window.pk))
    assert not MaintenanceWindow.objects.exists()


def test_a_window_that_ends_before_it_starts_or_lasts_too_long_is_refused_by_field(client, responder, service):
    client = as_(client, responder)
    response = client.post(url("maintenance-schedule", service.pk), {
        "starts_at": "2030-01-10T22:00", "ends_at": "2030-01-10T21:00"})
    assert response.status_code == 400 and "The window must end after it starts." in html(response)
    response = client.post(url("maintenance-schedule", service.pk), {
        "starts_at": "2030-01-10T22:00", "ends_at": "2030-03-10T21:00"})
    assert response.status_code == 400 and "A window lasts at most 30 days." in html(response)
    response = client.post(url("maintenance-now", service.pk), {"minutes": 0})
    assert response.status_code == 400 and "greater than or equal to 1" in html(response)
    assert not MaintenanceWindow.objects.exists()


def test_no_two_boxes_of_the_service_page_share_an_id(client, manager, service):
    page = html(as_(client, manager).get(url("service", service.pk)))
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_the_pages_have_no_inline_script_or_style(client, manager, service):
    integration_of(service)
    client = as_(client, manager)
    pages = [client.get(url("services")), client.get(url("service", service.pk)),
             client.post(url("integration-add", service.pk), {"kind": "generic", "name": "Shown"})]
    for response in pages:
        page = html(response)
        assert "style=" not in page and "<style" not in page and not re.search(r"\son\w+=", page)
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
