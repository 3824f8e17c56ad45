"""The audit log: every change to the audited objects, with who, when, through what and the
fields before and after (secrets masked), readable by the right people, never editable."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from incidents.models import MaintenanceWindow
from incidents.outgoing.services import webhook_endpoint_create
from incidents.services import integration_create, integration_rotate_token, service_create
from oncall import contacts, policies, schedules
from oncall.audit.context import audit_context
from oncall.models import AuditEntry, Layer, Membership, Override, Schedule, Team
from oncall.services import api_token_create, api_token_revoke
from tests.factories import ApiClient, MembershipFactory, ServiceFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def manager(team):
    return MembershipFactory(team=team, role="manager", user=UserFactory(username="mia")).user


def entries(object_type):
    return AuditEntry.objects.filter(object_type=object_type).order_by("id")


def test_a_change_through_the_api_names_the_person_the_way_in_and_the_fields(team, manager):
    service = ServiceFactory(team=team, name="checkout")
    response = ApiClient(manager).patch(f"/api/v1/services/{service.pk}/", {"name": "checkout-v2"})
    assert response.status_code == 200, response.content
    entry = entries("incidents.service").filter(action="changed").get()
    assert (entry.actor, entry.actor_name, entry.via) == (manager, "mia", "api")
    assert entry.changes == {"name": ["checkout", "checkout-v2"]}
    assert entry.team_id == team.pk


def test_a_change_through_the_web_ui_is_logged_as_web(client, responder):
    client.force_login(responder)
    client.post("/oncall/profile/contacts/", {"kind": "email", "value": "r@example.com", "label": "Work"})
    entry = entries("oncall.contactmethod").get()
    assert (entry.action, entry.via, entry.actor, entry.owner_id) == ("created", "web", responder, responder.pk)
    assert entry.changes["value"] == [None, "r@example.com"]


def test_a_change_in_the_admin_is_logged_as_admin(client, team):
    admin = SuperuserFactory(username="root")
    client.force_login(admin)
    response = client.post(f"/admin/oncall/team/{team.pk}/change/", {
        "name": "Payments", "slug": team.slug, "description": "Card payments",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    assert response.status_code in (200, 302)
    entry = entries("oncall.team").filter(action="changed").get()
    assert (entry.via, entry.actor_name) == ("admin", "root")
    assert entry.changes["name"][1] == "Payments"


def test_manage_py_commands_record_their_changes_as_command():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from oncall.audit.context import current_via; print(current_via())"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip().splitlines()[-1] == "command"


def test_work_outside_any_request_or_command_is_logged_as_system(team):
    service_create(team=team, name="batch")
    assert entries("incidents.service").get().via == "system"


def test_every_audited_kind_is_recorded_with_its_team_or_owner(team, manager, settings):
    settings.OUTGOING_WEBHOOKS_ALLOW_PRIVATE = True
    now = timezone.now()
    with audit_context(via="sso", user=manager):
        MembershipFactory(team=team, role="responder")
        service = service_create(team=team, name="search")
        integration_create(service=service, kind="generic", name="Prometheus")
        MaintenanceWindow.objects.create(service=service, starts_at=now, ends_at=now + timedelta(hours=1))
        schedule = Schedule.objects.create(team=team, name="Primary")
        layer = Layer.objects.create(schedule=schedule, start_date=now.date())
        Override.objects.create(schedule=schedule, user=manager, starts_at=now, ends_at=now + timedelta(hours=1))
        policies.policy_create(team=team, name="Search", steps=[
            {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": schedule.pk}]}])
        method = contacts.contact_method_create(user=manager, kind="email", value="mia@example.com")
        contacts.notification_rule_create(user=manager, urgency="high", contact_method=method, delay_minutes=0)
        api_token_create(user=manager, name="ci")
        schedules.calendar_feed_create(schedule=schedule)
        webhook_endpoint_create(team=team, url="http://127.0.0.1:9/")
    assert layer.pk
    recorded = set(AuditEntry.objects.filter(via="sso", actor=manager).values_list("object_type", flat=True))
    assert recorded >= {
        "oncall.membership", "incidents.service", "incidents.integration", "incidents.maintenancewindow",
        "oncall.schedule", "oncall.layer", "oncall.override", "oncall.escalationpolicy", "oncall.escalationstep",
        "oncall.contactmethod", "oncall.notificationrule", "oncall.apitoken", "oncall.calendarfeed",
        "incidents.webhookendpoint"}
    team_scoped = AuditEntry.objects.filter(via="sso", object_type__in=[
        "incidents.integration", "incidents.maintenancewindow", "oncall.layer", "oncall.escalationstep"])
    assert set(team_scoped.values_list("team_id", flat=True)) == {team.pk}
    own = AuditEntry.objects.filter(via="sso", object_type__in=["oncall.contactmethod", "oncall.apitoken"])
    assert set(own.values_list("owner_id", flat=True)) == {manager.pk}


def test_secrets_are_masked(team, manager):
    service = ServiceFactory(team=team)
    integration, raw = integration_create(service=service, kind="grafana", name="Grafana",
                                          config={"secret": "grafana-signing-secret"})
    token, raw_token = api_token_create(user=manager, name="ci")
    integration_rotate_token(integration=integration)
    logged = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    for secret in (raw, raw_token, "grafana-signing-secret", integration.token_hash, token.key_hash):
        assert secret not in logged
    created = entries("incidents.integration").filter(action="created").get()
    assert created.changes["token_hash"] == [None, "****"]
    assert created.changes["config"][1]["secret"] == "****"
    rotated = entries("incidents.integration").filter(action="changed").get()
    assert rotated.changes == {"token_hash": [None, "****"]}


def test_revoking_a_token_is_recorded_though_it_is_a_bulk_update(manager):
    token, _ = api_token_create(user=manager, name="ci")
    api_token_revoke(token=token)
    entry = entries("oncall.apitoken").filter(action="changed").get()
    assert list(entry.changes) == ["revoked_at"] and entry.owner_id == manager.pk


def test_deleting_records_the_last_values(team, manager):
    schedule = Schedule.objects.create(team=team, name="Secondary")
    schedule.delete()
    entry = entries("oncall.schedule").filter(action="deleted").get()
    assert entry.changes["name"] == ["Secondary", None] and entry.team_id == team.pk


def test_managers_read_their_teams_log_and_people_their_own(team, other_team, manager, responder):
    service_create(team=team, name="ours")
    service_create(team=other_team, name="theirs")
    contacts.contact_method_create(user=responder, kind="email", value="r@example.com")
    as_manager = ApiClient(manager).get("/api/v1/audit/", {"object_type": "incidents.service"}).json()["results"]
    assert [e["object_repr"] for e in as_manager] == ["ours"]
    mine = ApiClient(responder).get("/api/v1/audit/", {"mine": "true"}).json()["results"]
    assert {e["object_type"] for e in mine} >= {"oncall.contactmethod"}
    assert all(e["owner_id"] == responder.pk for e in mine)
    # A responder does not read the team's log, nor a manager someone's contact methods.
    as_responder = ApiClient(responder).get("/api/v1/audit/", {"object_type": "incidents.service"}).json()
    assert as_responder["results"] == []
    theirs = ApiClient(manager).get("/api/v1/audit/", {"object_type": "oncall.contactmethod"}).json()["results"]
    assert all(e["owner_id"] == manager.pk for e in theirs)


def test_bad_filters_are_refused_with_their_name(manager):
    response = ApiClient(manager).get("/api/v1/audit/", {"via": "carrier-pigeon"})
    assert response.status_code == 400 and "via" in response.json()["detail"]


def test_entries_cannot_be_changed_or_deleted_through_any_interface(client, team, manager):
    service_create(team=team, name="ours")
    entry = entries("incidents.service").get()
    api = ApiClient(manager)
    for method in ("put", "patch", "delete"):
        response = getattr(api.client, method)(f"/api/v1/audit/{entry.pk}/", {}, format="json")
        assert response.status_code == 405
    assert api.client.post("/api/v1/audit/", {}, format="json").status_code == 405
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_name="someone else")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    client.force_login(SuperuserFactory())
    assert client.post(f"/admin/oncall/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(f"/admin/oncall/auditentry/{entry.pk}/change/", {"actor_name": "x"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == entry.actor_name


def test_the_web_log_shows_a_managers_team_with_filters(client, team, manager):
    service_create(team=team, name="checkout")
    Schedule.objects.create(team=team, name="Primary")
    client.force_login(manager)
    page = client.get("/oncall/audit/", {"team": team.pk, "object_type": "oncall.schedule"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Primary" in html and "checkout" not in html
    assert 'name="object_type"' in html and f'value="{team.pk}" selected' in html


def test_the_profile_links_to_the_persons_own_log(client, responder):
    client.force_login(responder)
    contacts.contact_method_create(user=responder, kind="email", value="r@example.com")
    assert "/oncall/audit/?mine=1" in client.get("/oncall/profile/").content.decode()
    page = client.get("/oncall/audit/", {"mine": "1"}).content.decode()
    assert "r@example.com" in page


def test_membership_changes_are_logged_for_the_team(team, manager, responder):
    membership = Membership.objects.get(team=team, user=responder)
    with audit_context(via="web", user=manager):
        membership.role = Membership.Role.MANAGER
        membership.save()
    entry = entries("oncall.membership").filter(action="changed").get()
    assert entry.changes == {"role": ["responder", "manager"]} and entry.team_id == team.pk
    assert Team.objects.count() >= 1


@pytest.mark.parametrize("path,body,object_type", [
    ("/api/v1/services/", lambda team, user: {"team": team.pk, "name": "search"}, "incidents.service"),
    ("/api/v1/integrations/", lambda team, user: {"service": ServiceFactory(team=team).pk, "kind": "generic",
                                                  "name": "Prometheus"}, "incidents.integration"),
    ("/api/v1/maintenance-windows/", lambda team, user: {
        "service": ServiceFactory(team=team).pk, "starts_at": timezone.now().isoformat(),
        "ends_at": (timezone.now() + timedelta(hours=1)).isoformat()}, "incidents.maintenancewindow"),
    ("/api/v1/schedules/", lambda team, user: {"team": team.pk, "name": "Primary"}, "oncall.schedule"),
    ("/api/v1/escalation-policies/", lambda team, user: {"team": team.pk, "name": "Default", "steps": [
        {"delay_minutes": 5, "targets": [{"kind": "user", "id": user.pk}]}]}, "oncall.escalationpolicy"),
    ("/api/v1/contact-methods/", lambda team, user: {"kind": "email", "value": "mia@example.com"},
     "oncall.contactmethod"),
    ("/api/v1/tokens/", lambda team, user: {"name": "deploys"}, "oncall.apitoken"),
    ("/api/v1/memberships/", lambda team, user: {"team": team.pk, "user": UserFactory().pk, "role": "responder"},
     "oncall.membership"),
])
def test_creating_each_kind_through_the_api_is_logged_as_api(team, manager, path, body, object_type):
    api = ApiClient(manager)
    before = AuditEntry.objects.filter(object_type=object_type, via="api").count()
    response = api.post(path, body(team, manager))
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.filter(object_type=object_type, via="api").order_by("id")[before]
    assert (entry.action, entry.actor) == ("created", manager)
