"""manage.py vigil export / apply: round trips, plans, idempotence, pruning and secrets."""
import io
from datetime import timedelta

import pytest
import yaml
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from incidents.models import Integration, Service
from incidents.services import incident_reassign
from oncall.models import ContactMethod, EscalationPolicy, Layer, Membership, Schedule, Team, hash_secret
from tests.factories import ContactMethodFactory, IncidentFactory, OverrideFactory, ServiceFactory

from .config_code_kit import apply, edited, export, named, rich_configuration, wipe_configuration

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    call_command("seed_demo", "--json", stdout=io.StringIO())


@pytest.fixture
def rich(db):
    return rich_configuration()


def test_the_demo_exported_and_applied_to_an_empty_database_exports_identically(demo, tmp_path):
    before, integrations = export(), Integration.objects.count()
    wipe_configuration()
    assert Team.objects.count() == 0 and User.objects.filter(username="alice").exists()
    apply(tmp_path, before)
    assert export() == before
    assert Integration.objects.count() == integrations >= 6  # one of each kind, email included


def test_a_rich_configuration_exported_and_applied_to_an_empty_database_exports_identically(rich, tmp_path):
    before = export()
    wipe_configuration()
    printed = apply(tmp_path, before)
    assert export() == before
    assert "+ team 'Ops'" in printed and "+ layer 2 of schedule 'Ops primary'" not in printed  # part of its schedule
    assert Layer.objects.filter(schedule__name="Ops primary").count() == 2
    assert not Integration.objects.get(name="Events").enabled


def test_export_leaves_out_tokens_secrets_overrides_and_personal_contacts(rich):
    ana = rich["people"]["ana"]
    ContactMethodFactory(user=ana, kind="sms", value="+14155550199", verified=True)
    schedule = Schedule.objects.get(name="Ops primary")
    OverrideFactory(schedule=schedule, user=ana, starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=4))
    text = export()
    assert "grafana-signing-secret" not in text
    assert "secret" not in text.split("# contact methods and notification rules.")[1]
    assert not any(i.token_prefix in text for i in Integration.objects.all())
    assert "+14155550199" not in text
    assert "overrides" not in yaml.safe_load(text)["teams"][1]["schedules"][0]


def test_a_second_apply_changes_nothing_and_says_so(rich, tmp_path):
    text = export().replace("repeat_count: 2", "repeat_count: 3")
    first = apply(tmp_path, text)
    assert "~ escalation policy 'Ops paging' of team 'Ops': repeat_count" in first
    assert apply(tmp_path, text).strip() == "No changes: the database already matches the file."


def test_the_plan_lists_what_it_creates_changes_and_with_prune_deletes(rich, tmp_path):
    text = export()
    text = text.replace("description: The public API", "description: The public API, v2")
    text = text.replace("    - name: Cron\n      kind: heartbeat\n      enabled: true\n      config:\n"
                        "        interval_seconds: 600\n", "")
    text = text.replace("  services:\n  - name: api\n", "  services:\n  - name: web\n    integrations:\n"
                        "    - {name: Hook, kind: generic}\n  - name: api\n", 1)
    printed = apply(tmp_path, text, "--prune", "--dry-run")
    assert printed.splitlines() == [
        "+ service 'web' of team 'Ops'",
        "~ service 'api' of team 'Ops': description",
        "+ integration 'Hook' of service 'web'",
        "- integration 'Cron' of service 'api'",
        "Dry run: nothing was changed.",
    ]
    assert not Service.objects.filter(name="web").exists()
    assert Integration.objects.filter(name="Cron").exists()


def _drop(items: list[dict], name: str, key: str = "name") -> None:
    items.remove(next(item for item in items if item[key] == name))


def _ops_trimmed(document: dict) -> None:
    ops = named(document["teams"], "Ops")
    _drop(ops["schedules"], "Ops secondary")
    _drop(named(ops["services"], "api")["integrations"], "Scripts")
    _drop(ops["members"], "di", key="person")


def test_without_prune_what_the_file_leaves_out_is_kept(rich, tmp_path):
    text = edited(export(), _ops_trimmed)
    assert apply(tmp_path, text).strip() == "No changes: the database already matches the file."
    assert Schedule.objects.filter(name="Ops secondary").exists()


def test_prune_deletes_only_what_the_file_leaves_out_of_the_teams_it_names(rich, tmp_path):
    before = yaml.safe_load(export())

    def ops_only(document):
        _ops_trimmed(document)
        _drop(document["teams"], "Data")

    printed = apply(tmp_path, edited(export(), ops_only), "--prune")
    assert [line for line in printed.splitlines() if line.startswith("-")] == [
        "- integration 'Scripts' of service 'api'",
        "- schedule 'Ops secondary' of team 'Ops'",
        "- member 'di' of team 'Ops'",
    ]
    assert not Schedule.objects.filter(name="Ops secondary").exists()
    assert not Membership.objects.filter(team__name="Ops", user__username="di").exists()
    # The team the file leaves out is not touched at all.
    assert named(yaml.safe_load(export())["teams"], "Data") == named(before["teams"], "Data")


def test_prune_refuses_to_delete_a_service_with_open_incidents_and_changes_nothing(rich, tmp_path):
    IncidentFactory(service=rich["api"])

    def no_services(document):
        ops = named(document["teams"], "Ops")
        ops["services"] = []
        named(ops["escalation_policies"], "Ops paging")["repeat_count"] = 3

    with pytest.raises(CommandError) as refused:
        apply(tmp_path, edited(export(), no_services), "--prune")
    assert ("--prune would delete service 'api' of team 'Ops', which has 1 open incident(s); keep it in the file"
            in str(refused.value))
    assert str(refused.value).endswith("Nothing was changed.")
    assert EscalationPolicy.objects.get(name="Ops paging").repeat_count == 2
    assert Service.objects.filter(name="api").exists()


def test_prune_refuses_to_delete_a_policy_paging_an_open_incident(rich, tmp_path):
    incident = IncidentFactory(service=ServiceFactory(team=rich["ops"], name="batch"))
    incident_reassign(incident=incident, by=None, via="web", to_policy=EscalationPolicy.objects.get(name="Major"))

    def no_major(document):
        ops = named(document["teams"], "Ops")
        _drop(ops["escalation_policies"], "Major")
        named(ops["services"], "api")["major_incident_policy"] = None

    with pytest.raises(CommandError, match="--prune would delete escalation policy 'Major' of team 'Ops', which "
                                           r"pages 1 open incident\(s\)"):
        apply(tmp_path, edited(export(), no_major), "--prune")
    assert Service.objects.get(name="api").major_incident_policy.name == "Major"


def test_reapplying_keeps_every_integration_token_and_secret(rich, tmp_path):
    before = {i.name: (i.token_hash, i.config.get("secret")) for i in Integration.objects.all()}
    text = export().replace("urgency: low", "urgency: high")
    assert "~ integration 'Grafana' of service 'api': config" in apply(tmp_path, text)
    after = {i.name: (i.token_hash, i.config.get("secret")) for i in Integration.objects.all()}
    assert after == before
    assert Integration.objects.get(name="Grafana").config == {
        "secret": "grafana-signing-secret-1234", "urgency": "high", "rate_limit_per_minute": 100}


def test_a_new_integration_prints_its_url_once_and_stores_only_the_tokens_hash(rich, tmp_path, settings):
    settings.PUBLIC_URL = "https://vigil.example.com"
    text = export().replace("    integrations:\n    - name: Events\n",
                            "    integrations:\n    - name: Webhook\n      kind: generic\n    - name: Events\n")
    printed = apply(tmp_path, text)
    line = next(line for line in printed.splitlines() if line.startswith("New integration 'Webhook'"))
    token = line.split("https://vigil.example.com/integrations/")[1].rstrip("/")
    assert Integration.objects.get(name="Webhook").token_hash == hash_secret(token)
    assert token not in export()
    assert "Webhook" not in apply(tmp_path, text)


def test_people_can_be_named_by_email(rich, tmp_path):
    text = export().replace("  - person: ben\n    role: responder\n",
                            "  - person: BEN@example.com\n    role: manager\n")
    assert "~ member 'ben' of team 'Ops': role" in apply(tmp_path, text)
    assert Membership.objects.get(team__name="Ops", user__username="ben").role == "manager"


def test_contact_methods_and_notification_rules_are_never_touched(rich, tmp_path):
    method = ContactMethodFactory(user=rich["people"]["ben"], verified=True)
    wipe_configuration()
    apply(tmp_path, "version: 1\nteams:\n- name: New\n  members:\n  - {person: ben, role: manager}\n")
    assert ContactMethod.objects.filter(pk=method.pk).exists()
    assert Team.objects.get(name="New").slug == "new"


def test_layers_are_matched_by_position_and_the_files_list_replaces_the_stored_one(rich, tmp_path):
    def one_layer_changed(document):
        primary = named(named(document["teams"], "Ops")["schedules"], "Ops primary")
        primary["layers"] = [dict(primary["layers"][0], participants=["ben", "ana"])]

    printed = apply(tmp_path, edited(export(), one_layer_changed))
    assert printed.splitlines()[:2] == [
        "~ layer 1 of schedule 'Ops primary': participants",
        "- layer 2 of schedule 'Ops primary'",
    ]
    layers = Layer.objects.filter(schedule__name="Ops primary")
    assert [layer.name for layer in layers] == ["Weekdays"]
    assert [p.user.username for p in layers[0].participants.all()] == ["ben", "ana"]


def test_export_to_a_file_writes_what_it_prints(rich, tmp_path):
    path = tmp_path / "out.yaml"
    call_command("vigil", "export", "-o", str(path), stderr=io.StringIO())
    assert path.read_text() == export()
    assert export().startswith("# Vigil configuration")


def test_a_secret_written_into_the_file_is_set_and_never_exported(rich, tmp_path):
    text = export().replace("        urgency: low\n", "        urgency: low\n        secret: a-new-signing-secret-5678\n")
    assert "~ integration 'Grafana' of service 'api': config" in apply(tmp_path, text)
    assert Integration.objects.get(name="Grafana").config["secret"] == "a-new-signing-secret-5678"
    assert "a-new-signing-secret" not in export()
