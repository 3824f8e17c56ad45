"""Integrations are named uniquely within their service: configuration files refer to them by name."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from incidents.services import IncidentError, integration_create, integration_update
from tests.factories import IntegrationFactory, ServiceFactory

BEFORE = ("incidents", "0013_incident_open_index")
AFTER = ("incidents", "0014_integration_unique_service_name")


def test_a_second_integration_with_the_same_name_in_a_service_is_refused(db):
    service = ServiceFactory(name="api")
    IntegrationFactory(service=service, name="Grafana")
    with pytest.raises(IncidentError, match="Service 'api' already has an integration named 'Grafana'"):
        integration_create(service=service, kind="generic", name="Grafana")
    other, _ = IntegrationFactory(service=service, name="Scripts")
    with pytest.raises(IncidentError, match="already has an integration named 'Grafana'"):
        integration_update(integration=other, name="Grafana")
    IntegrationFactory(service=ServiceFactory(), name="Grafana")  # another service's may
    assert integration_update(integration=other, name="Scripts").name == "Scripts"


@pytest.mark.django_db(transaction=True)
def test_the_migration_renames_existing_duplicates_deterministically():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    apps = executor.loader.project_state([BEFORE]).apps
    Team, Service, Integration = (apps.get_model(*m) for m in (("oncall", "Team"), ("incidents", "Service"),
                                                                 ("incidents", "Integration")))
    team = Team.objects.create(name="Ops", slug="ops")
    api = Service.objects.create(team=team, name="api")
    web = Service.objects.create(team=team, name="web")
    names = ["Hook", "Hook", "Hook (2)", "Hook", "Other"]
    ids = [Integration.objects.create(service=api, kind="generic", name=name, token_hash=f"h{n}").pk
           for n, name in enumerate(names)]
    Integration.objects.create(service=web, kind="generic", name="Hook", token_hash="web")

    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    apps = executor.loader.project_state([AFTER]).apps
    Integration = apps.get_model("incidents", "Integration")
    renamed = dict(Integration.objects.filter(pk__in=ids).values_list("pk", "name"))
    assert [renamed[pk] for pk in ids] == ["Hook", "Hook (3)", "Hook (2)", "Hook (4)", "Other"]
    assert Integration.objects.get(token_hash="web").name == "Hook"
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
