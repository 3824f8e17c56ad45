"""manage.py vigil apply refuses bad files whole: every problem named with its line, nothing stored."""
import pytest
from django.core.management.base import CommandError

from incidents.models import Integration, Service
from oncall.models import Membership, Schedule, Team
from tests.factories import TeamFactory, UserFactory

from .config_code_kit import apply, edited, export, named, rich_configuration

pytestmark = pytest.mark.django_db

FILE = """\
version: 1
teams:
- name: Ops
  members:
  - {person: ana, role: manager}
  schedules:
  - name: Primary
    time_zone: Mars/Olympus
    layers:
    - start_date: 2026-01-05
      handoff_time: 17:00
      participants: [ana, nobody]
  escalation_policies:
  - name: Paging
    steps:
    - targets: [{schedule: Secondary}]
  services:
  - name: api
    escalation_policy: Primary
    integrations:
    - name: Hook
      kind: carrier-pigeon
    - name: Grafana
      kind: grafana
      config: {urgency: soon, colour: red}
"""


def refusal(tmp_path, text: str, *options: str) -> list[str]:
    with pytest.raises(CommandError) as refused:
        apply(tmp_path, text, *options)
    lines = str(refused.value).splitlines()
    assert lines[-1] == "Nothing was changed."
    path = str(tmp_path / "vigil.yaml")
    assert all(line.startswith(f"{path}:") for line in lines[:-1])
    return [line.removeprefix(path) for line in lines[:-1]]


@pytest.fixture
def ana(db):
    return UserFactory(username="ana")


def test_every_problem_in_the_values_is_named_with_its_line(ana, tmp_path):
    problems = refusal(tmp_path, FILE)
    assert problems[0].startswith(":8: schedule 'Primary': 'time_zone': Unknown time zone 'Mars/Olympus'")
    assert problems[1:3] == [
        ":11: schedule 'Primary' layer 1: 'handoff_time' must be a time in quotes, like '17:00' "
        "(YAML reads 17:00 as a number)",
        ":12: schedule 'Primary' layer 1 names unknown person 'nobody'",
    ]
    assert problems[3].startswith(":22: integration 'Hook': 'kind': ")
    assert ":25: integration 'Grafana': unknown option 'colour' (grafana integrations take" in problems[4]
    assert problems[5].startswith(":25: integration 'Grafana': 'urgency' must be \"high\", \"low\"")
    assert len(problems) == 6
    assert not Team.objects.exists()


def test_references_that_do_not_resolve_are_named_with_their_line(ana, tmp_path):
    text = (FILE.replace("Mars/Olympus", "UTC").replace("17:00", "'17:00'").replace(", nobody", "")
            .replace("carrier-pigeon", "generic").replace("{urgency: soon, colour: red}", "{}"))
    assert refusal(tmp_path, text) == [
        ":16: escalation policy 'Paging' step 1 names unknown schedule 'Secondary'",
        ":19: service 'api' names unknown escalation policy 'Primary'",
    ]
    assert not Team.objects.exists()


def test_a_participant_must_be_a_member_of_the_team(ana, tmp_path):
    UserFactory(username="ben")
    text = (FILE.replace("Mars/Olympus", "UTC").replace("17:00", "'17:00'").replace("nobody", "ben")
            .replace("carrier-pigeon", "generic").replace("{urgency: soon, colour: red}", "{}")
            .replace("Secondary", "Primary").replace("escalation_policy: Primary", "escalation_policy: Paging"))
    assert refusal(tmp_path, text) == [":12: schedule 'Primary' layer 1 names 'ben', who is not a member of team 'Ops'"]
    assert "+ team 'Ops'" in apply(tmp_path, text.replace("[ana, ben]", "[ana]"))


def test_text_that_is_not_yaml_is_refused_with_its_line(tmp_path):
    assert refusal(tmp_path, "version: 1\nteams:\n- name: [Ops\n  slug: ops\n") == [
        ":4: not valid YAML: expected ',' or ']', but got ':'"]


def test_unknown_keys_and_a_wrong_version_are_refused(tmp_path):
    assert refusal(tmp_path, "version: 2\nteams:\n- name: Ops\n  colour: red\n") == [
        ":1: version must be 1",
        ":4: team: unknown key 'colour' (use name, slug, description, members, schedules, escalation_policies, "
        "services)",
    ]


def test_an_error_late_in_the_file_leaves_the_database_unchanged(db, tmp_path):
    """The last manager's removal is refused by the membership service itself, after every other
    change of the file was written: the transaction takes them all back."""
    rich_configuration()
    before = export()

    def late_failure(document):
        ops = named(document["teams"], "Ops")
        ops["description"] = "Changed"
        named(document["teams"], "Data")["members"] = []
        ops["schedules"].append({"name": "Brand new", "layers": []})
        named(ops["services"], "api")["integrations"].append({"name": "Brand new hook", "kind": "generic"})

    problems = refusal(tmp_path, edited(before, late_failure), "--prune")
    assert len(problems) == 1 and "- member 'di' of team 'Data': di is the last manager of Data" in problems[0]
    assert export() == before
    assert not Schedule.objects.filter(name="Brand new").exists()
    assert not Integration.objects.filter(name="Brand new hook").exists()
    assert Membership.objects.get(user__username="di", team__name="Data").role == "manager"


def test_a_dry_run_finds_what_only_the_services_refuse(db, tmp_path):
    rich_configuration()

    def no_manager(document):
        named(document["teams"], "Data")["members"] = []

    problems = refusal(tmp_path, edited(export(), no_manager), "--prune", "--dry-run")
    assert "is the last manager of Data" in problems[0]


def test_an_integration_cannot_change_kind(db, tmp_path):
    rich_configuration()

    def pigeon(document):
        named(named(named(document["teams"], "Data")["services"], "pipeline")["integrations"], "Events")["kind"] = \
            "generic"

    problems = refusal(tmp_path, edited(export(), pigeon))
    assert problems[0].endswith("integration 'Events' is a pagerduty integration; its kind cannot become generic "
                                "(give the new one another name)")


def test_a_slug_of_another_team_is_refused(db, tmp_path):
    TeamFactory(name="Other", slug="ops")
    assert refusal(tmp_path, "version: 1\nteams:\n- name: Ops\n") == [
        ":3: team 'Ops': slug 'ops' belongs to team 'Other'"]
    assert not Service.objects.exists()
