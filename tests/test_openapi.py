import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.wsgi import application
from incidents.models import MaintenanceWindow, Postmortem
from incidents.services import incident_resolve
from incidents.services.action_items import action_item_add
from oncall.models import NotificationRule
from oncall.schedules import calendar_feed_create
from oncall.services import api_token_create
from tests.factories import (
    ContactMethodFactory,
    EscalationPolicyFactory,
    IncidentFactory,
    IntegrationFactory,
    LayerFactory,
    MembershipFactory,
    OverrideFactory,
    ScheduleFactory,
    ServiceFactory,
    SuperuserFactory,
    TeamFactory,
    UserFactory,
    api_token_for,
)


def test_schema_validates_with_no_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    # --fail-on-warn raises on any warning or error of the generator; --validate checks the spec.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    operations = [op for item in schema["paths"].values() for op in item.values() if "operationId" in op]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) > 30
    for method, op in ((m, op) for item in schema["paths"].values() for m, op in item.items()):
        codes = set(op["responses"])
        assert "401" in codes, op["operationId"]
        if method != "get":
            # Roles, or the CSRF check of session authentication.
            assert "403" in codes, op["operationId"]
        if "requestBody" in op:
            assert {"400", "415"} <= codes, op["operationId"]
        for code, response in op["responses"].items():
            assert code == "204" or "content" in response, (op["operationId"], code)


def test_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", html, re.I)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui.css", "swagger-ui-bundle.js"}
    # The init script is served by the docs view itself (?script), not inlined: see the CSP.
    assert "/api/docs/?script=" in assets
    for asset in assets:
        assert asset.startswith(("/static/", "/api/docs/?script=")), asset
        assert client.get(asset).status_code == 200, asset
    script = client.get("/api/docs/?script=").content.decode()
    assert '"validatorUrl": null' in script
    assert "/api/schema/" in script
    assert not re.search(r"https?://", script)


@pytest.fixture
def wsgi_in_test_transaction():
    """Schemathesis calls the real WSGI handler, whose request signals close "old" database
    connections, and on PostgreSQL that would close the test's transaction. Django's own test
    client unhooks them the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


# The ids of the seeded rows, by path collection or body field. Generated requests use them as
# well as random ids; they are fixed while a test runs, as Hypothesis needs its strategies to be.
SEEDED: dict[str, list[int]] = {}


@pytest.fixture
def seeded(db, wsgi_in_test_transaction):
    """A superuser with a token, and one object of every kind, so detail routes find something."""
    admin = SuperuserFactory(username="root")
    team = TeamFactory()
    memberships = [MembershipFactory(team=team, user=admin, role="manager"), MembershipFactory(team=team)]
    service = ServiceFactory(team=team)
    incident = IncidentFactory(service=service)
    integration, _ = IntegrationFactory(service=service)
    # A token to revoke: revoking the one the requests carry would turn the rest into 401s.
    spare, _ = api_token_create(user=admin, name="spare")
    outsider = UserFactory()
    oncall = _seed_oncall(admin, team, [m.user for m in memberships])
    learned = _seed_postmortem(admin, service)
    SEEDED.update({
        "incidents": [incident.pk], "services": [service.pk], "integrations": [integration.pk],
        "teams": [team.pk], "memberships": [m.pk for m in memberships], "tokens": [spare.pk],
        "team": [team.pk], "service": [service.pk], "user": [outsider.pk, *(m.user_id for m in memberships)],
        **oncall, **learned,
    })
    yield SimpleNamespace(admin=admin, token=api_token_for(admin))
    SEEDED.clear()


def _seed_oncall(admin, team, members) -> dict[str, list[int]]:
    """A schedule with a layer and an override, a policy paging it, the admin's contact method
    with a rule, and a feed: by path collection, and by the body fields that refer to them."""
    schedule = ScheduleFactory(team=team)
    layer = LayerFactory(schedule=schedule, participants=members)
    now = timezone.now()
    override = OverrideFactory(schedule=schedule, user=members[1], starts_at=now, ends_at=now + timedelta(hours=4))
    policy = EscalationPolicyFactory(team=team, steps=[{"targets": [{"kind": "schedule", "id": schedule.pk}]}])
    method = ContactMethodFactory(user=admin, kind="email", value="root@example.com", verified=True)
    rule = NotificationRule.objects.create(user=admin, urgency="high", contact_method=method)
    feed, _ = calendar_feed_create(schedule=schedule)
    window = MaintenanceWindow.objects.create(service=team.services.first(), starts_at=now, ends_at=now + timedelta(hours=1))
    return {
        "maintenance-windows": [window.pk],
        "schedules": [schedule.pk], "layers": [layer.pk], "overrides": [override.pk],
        "escalation-policies": [policy.pk], "contact-methods": [method.pk], "notification-rules": [rule.pk],
        "feeds": [feed.pk], "schedule": [schedule.pk], "contact_method": [method.pk], "escalation_policy": [policy.pk],
    }


def _seed_postmortem(admin, service) -> dict[str, list[int]]:
    """A resolved SEV2 (which makes its postmortem) with an action item."""
    incident = incident_resolve(incident=IncidentFactory(service=service, severity="SEV2", dedup_key="learned"),
                                by=admin, via="web")
    postmortem = Postmortem.objects.get(incident=incident)
    item = action_item_add(postmortem=postmortem, by=admin, title="Alert on expiring certificates", owner=admin)
    return {"postmortems": [postmortem.pk], "postmortem": [postmortem.pk], "action-items": [item.pk]}


# Loaded from the running app at import: pytest-django has configured Django by then, and the
# schema view reads no rows. (schemathesis.pytest.from_fixture would be the lazy alternative,
# but schemathesis 4.32 relies on a pytest Node attribute that pytest 9 removed.)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@schema.hook("flatmap_path_parameters")
def use_seeded_ids(context, path_parameters):
    """Random ids exercise the 404s; the seeded rows' ids everything else."""
    if not path_parameters or "id" not in path_parameters:
        return st.just(path_parameters)
    collection = context.operation.path.split("/")[3]
    choices = [path_parameters["id"], *SEEDED.get(collection, [])]
    return st.sampled_from(choices).map(lambda pk: {**path_parameters, "id": pk})


@schema.hook("flatmap_body")
def refer_to_seeded_rows(context, body):
    """Bodies that name a service, team, user, schedule, contact method or policy often name one
    that exists, so creates succeed."""
    names = ("service", "team", "user", "schedule", "contact_method", "escalation_policy", "postmortem")
    fields = [name for name in names if isinstance(body, dict) and name in body]
    if not fields:
        return st.just(body)
    picks = {name: st.sampled_from([body[name], *SEEDED.get(name, [])]) for name in fields}
    return st.fixed_dictionaries(picks).map(lambda picked: {**body, **picked})


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, seeded):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {seeded.token}"},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
