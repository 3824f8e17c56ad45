"""What applying a file would change: the database's configuration compared with the file's,
entity by entity, as an ordered list of changes, each able to carry itself out (writes.py).

Named things are matched by name (services and schedules and policies within their team,
integrations within their service) and layers by position. A schedule's layers and a policy's steps
belong to it: the file's list replaces the stored one. Whatever else the file leaves out is kept,
unless `prune` is set, which deletes the members, schedules, policies, services and integrations of
the teams the file names that it does not list. Teams themselves are never deleted, and neither is
anything a file does not mention at all."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from django.db.models import Count, Q

from oncall.models import Team

from ..integration_config import config_merged
from ..models import Incident
from . import writes
from .document import Problems
from .export import (
    integration_doc,
    layer_doc,
    member_doc,
    policy_doc,
    schedule_fields,
    service_fields,
    team_fields,
    teams_with_configuration,
)

SIGNS = {"create": "+", "update": "~", "delete": "-"}
# Order of execution: a change may use only what changes before it made.
STAGES = ("team", "member", "schedule", "layer", "escalation policy", "service", "integration")


@dataclass
class Change:
    verb: str
    noun: str
    label: str
    line: int
    run: Callable[[], str | None]
    fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{SIGNS[self.verb]} {self.noun} {self.label}"
        return f"{text}: {', '.join(self.fields)}" if self.fields else text


@dataclass
class Plan:
    changes: list[Change]

    def ordered(self) -> list[Change]:
        """Creations and updates stage by stage, then deletions in the reverse order (integrations
        before their service, policies before the schedules they page)."""
        def key(change: Change) -> tuple:
            stage = STAGES.index(change.noun)
            if change.verb == "delete":
                return (1, -stage)
            return (0, stage, change.verb != "create")
        return sorted(self.changes, key=key)

    def lines(self) -> list[str]:
        return [str(c) for c in self.ordered()] or ["No changes: the database already matches the file."]


def _differing(old: dict, new: dict) -> list[str]:
    return [key for key, value in new.items() if old.get(key) != value]


class Planner:
    def __init__(self, *, prune: bool):
        self.prune = prune
        self.changes: list[Change] = []
        self.problems: list[tuple[int, str]] = []

    def add(self, verb: str, noun: str, label: str, line: int, run, fields=()) -> None:
        self.changes.append(Change(verb, noun, label, line, run, list(fields)))

    def plan(self, teams: list[dict]) -> Plan:
        stored = {team.name: team for team in teams_with_configuration([t["name"] for t in teams])}
        self.team_names = set(Team.objects.values_list("name", flat=True)) | {t["name"] for t in teams}
        slugs = dict(Team.objects.values_list("slug", "name"))
        for doc in teams:
            owner = slugs.get(doc["slug"])
            if owner is not None and owner != doc["name"]:
                self.problems.append((doc.at("slug"), f"team '{doc['name']}': slug '{doc['slug']}' belongs to "
                                                      f"team '{owner}'"))
            self.team(doc, stored.get(doc["name"]))
        if self.problems:
            raise Problems(self.problems)
        return Plan(self.changes)

    def _kept(self, stored_names) -> set:
        return set() if self.prune else set(stored_names)

    def team(self, doc: dict, team: Team | None) -> None:
        name = doc["name"]
        fields = {key: doc[key] for key in ("name", "slug", "description")}
        if team is None:
            self.add("create", "team", f"'{name}'", doc.line, partial(writes.team_create, doc=fields))
        elif diff := _differing(team_fields(team), fields):
            self.add("update", "team", f"'{name}'", doc.line, partial(writes.team_update, doc=fields), diff)
        self.members(doc, team)
        self.schedules(doc, team)
        self.policies(doc, team)
        self.services(doc, team)

    def members(self, doc: dict, team: Team | None) -> None:
        stored = {m.user.username: m for m in team.memberships.all()} if team else {}
        for member in doc["members"]:
            label = f"'{member['person']}' of team '{doc['name']}'"
            if member["person"] not in stored:
                self.add("create", "member", label, member.line,
                         partial(writes.member_create, team=doc["name"], doc=member))
            elif diff := _differing(member_doc(stored[member["person"]]), member):
                self.add("update", "member", label, member.line,
                         partial(writes.member_update, team=doc["name"], doc=member), diff)
        named = {m["person"] for m in doc["members"]}
        self.members_after = named | self._kept(stored)
        if self.prune:
            for person in sorted(set(stored) - named):
                self.add("delete", "member", f"'{person}' of team '{doc['name']}'", doc.at("members"),
                         partial(writes.member_delete, team=doc["name"], person=person))
        self.check_people(doc)

    def check_people(self, doc: dict) -> None:
        def check(person: str, line: int, what: str) -> None:
            if person not in self.members_after:
                self.problems.append((line, f"{what} names '{person}', who is not a member of team '{doc['name']}'"))
        for schedule in doc["schedules"]:
            for n, layer in enumerate(schedule["layers"], 1):
                for person in layer["participants"]:
                    check(person, layer.at("participants"), f"schedule '{schedule['name']}' layer {n}")
        for policy in doc["escalation_policies"]:
            for n, step in enumerate(policy["steps"], 1):
                for target in step["targets"]:
                    if "person" in target:
                        check(target["person"], target.line, f"escalation policy '{policy['name']}' step {n}")

    def schedules(self, doc: dict, team: Team | None) -> None:
        team_name = doc["name"]
        stored = {s.name: s for s in team.schedules.all()} if team else {}
        for schedule in doc["schedules"]:
            label = f"'{schedule['name']}' of team '{team_name}'"
            fields = {key: schedule[key] for key in ("name", "description", "time_zone")}
            old = stored.get(schedule["name"])
            if old is None:
                self.add("create", "schedule", label, schedule.line,
                         partial(writes.schedule_create, team=team_name, doc=schedule))
                continue
            if diff := _differing(schedule_fields(old), fields):
                self.add("update", "schedule", label, schedule.line,
                         partial(writes.schedule_update, team=team_name, doc=fields), diff)
            self.layers(team_name, schedule, list(old.layers.all()))
        self.schedules_after = {s["name"] for s in doc["schedules"]} | self._kept(stored)
        if self.prune:
            for name in sorted(set(stored) - {s["name"] for s in doc["schedules"]}):
                self.add("delete", "schedule", f"'{name}' of team '{team_name}'", doc.at("schedules"),
                         partial(writes.schedule_delete, team=team_name, name=name))

    def layers(self, team: str, schedule: dict, stored: list) -> None:
        where = dict(team=team, schedule=schedule["name"])
        for position, layer in enumerate(schedule["layers"]):
            label = f"{position + 1} of schedule '{schedule['name']}'"
            if position >= len(stored):
                self.add("create", "layer", label, layer.line,
                         partial(writes.layer_create, **where, position=position, doc=layer))
                continue
            diff = _differing(layer_doc(stored[position]), layer)
            if stored[position].position != position:
                diff.append("position")
            if diff:
                self.add("update", "layer", label, layer.line,
                         partial(writes.layer_update, **where, position=position, doc=layer), diff)
        # Last first: each deletion leaves the positions before it as they were.
        for position in reversed(range(len(schedule["layers"]), len(stored))):
            self.add("delete", "layer", f"{position + 1} of schedule '{schedule['name']}'", schedule.at("layers"),
                     partial(writes.layer_delete, **where, position=position))

    def policies(self, doc: dict, team: Team | None) -> None:
        team_name = doc["name"]
        stored = {p.name: p for p in team.escalation_policies.all()} if team else {}
        for policy in doc["escalation_policies"]:
            label = f"'{policy['name']}' of team '{team_name}'"
            self.check_targets(doc, policy)
            old = stored.get(policy["name"])
            if old is None:
                self.add("create", "escalation policy", label, policy.line,
                         partial(writes.policy_create, team=team_name, doc=policy))
            elif diff := _differing(policy_doc(old), policy):
                self.add("update", "escalation policy", label, policy.line,
                         partial(writes.policy_update, team=team_name, doc=policy), diff)
        self.policies_after = {p["name"] for p in doc["escalation_policies"]} | self._kept(stored)
        if self.prune:
            at = doc.at("escalation_policies")
            for name in sorted(set(stored) - {p["name"] for p in doc["escalation_policies"]}):
                label = f"'{name}' of team '{team_name}'"
                open_incidents = Incident.objects.filter(
                    escalation_policy=stored[name], status__in=Incident.OPEN_STATUSES).count()
                if open_incidents:
                    self.problems.append((at, f"--prune would delete escalation policy {label}, which pages "
                                              f"{open_incidents} open incident(s); keep it in the file until they "
                                              "are resolved"))
                self.add("delete", "escalation policy", label, at,
                         partial(writes.policy_delete, team=team_name, name=name))

    def check_targets(self, doc: dict, policy: dict) -> None:
        for n, step in enumerate(policy["steps"], 1):
            for target in step["targets"]:
                what = f"escalation policy '{policy['name']}' step {n}"
                if "schedule" in target and target["schedule"] not in self.schedules_after:
                    self.problems.append((target.line, f"{what} names unknown schedule '{target['schedule']}'"))
                if "team" in target and target["team"] not in self.team_names:
                    self.problems.append((target.line, f"{what} names unknown team '{target['team']}'"))

    def services(self, doc: dict, team: Team | None) -> None:
        team_name = doc["name"]
        stored = {s.name: s for s in team.services.all()} if team else {}
        for service in doc["services"]:
            label = f"'{service['name']}' of team '{team_name}'"
            for key in ("escalation_policy", "major_incident_policy"):
                if service[key] is not None and service[key] not in self.policies_after:
                    self.problems.append((service.at(key), f"service '{service['name']}' names unknown escalation "
                                                        f"policy '{service[key]}'"))
            fields = {key: value for key, value in service.items() if key != "integrations"}
            old = stored.get(service["name"])
            if old is None:
                self.add("create", "service", label, service.line,
                         partial(writes.service_create, team=team_name, doc=fields))
            elif diff := _differing(service_fields(old), fields):
                self.add("update", "service", label, service.line,
                         partial(writes.service_update, team=team_name, doc=fields), diff)
            self.integrations(team_name, service, old)
        if self.prune:
            gone = sorted(set(stored) - {s["name"] for s in doc["services"]})
            self.services_prune(team_name, [stored[name] for name in gone], doc.at("services"))

    def services_prune(self, team: str, gone: list, line: int) -> None:
        counts = Incident.objects.filter(service__in=gone).values("service_id").annotate(
            total=Count("id"), open=Count("id", filter=Q(status__in=Incident.OPEN_STATUSES)))
        history = {row["service_id"]: row for row in counts}
        for service in gone:
            row = history.get(service.pk)
            if row:
                why = (f"has {row['open']} open incident(s)" if row["open"] else
                       f"has {row['total']} resolved incident(s), which keep their service")
                self.problems.append((line, f"--prune would delete service '{service.name}' of team '{team}', which "
                                            f"{why}; keep it in the file"))
            self.add("delete", "service", f"'{service.name}' of team '{team}'", line,
                     partial(writes.service_delete, team=team, name=service.name))

    def integrations(self, team: str, service: dict, old) -> None:
        stored = {i.name: i for i in old.integrations.all()} if old else {}
        where = dict(team=team, service=service["name"])
        for integration in service["integrations"]:
            label = f"'{integration['name']}' of service '{service['name']}'"
            current = stored.get(integration["name"])
            if current is None:
                self.add("create", "integration", label, integration.line,
                         partial(writes.integration_create, **where, doc=integration))
                continue
            if current.kind != integration["kind"]:
                self.problems.append((integration.at("kind"), f"integration '{integration['name']}' is a "
                                      f"{current.kind} integration; its kind cannot become {integration['kind']} "
                                      "(give the new one another name)"))
                continue
            # Secrets are never in a file: a stored one the file leaves out is kept, and is no change.
            merged = config_merged(current.kind, stored=current.config, given=dict(integration["config"]))
            diff = _differing(integration_doc(current), {"enabled": integration["enabled"]})
            if merged != current.config:
                diff.append("config")
            if diff:
                self.add("update", "integration", label, integration.line,
                         partial(writes.integration_update, **where, doc=integration), diff)
        if self.prune:
            for name in sorted(set(stored) - {i["name"] for i in service["integrations"]}):
                self.add("delete", "integration", f"'{name}' of service '{service['name']}'",
                         service.at("integrations"), partial(writes.integration_delete, **where, name=name))


def configuration_plan(teams: list[dict], *, prune: bool) -> Plan:
    """The changes that make the database match `teams` (read_document's result). Raises Problems
    for references that do not resolve and deletions that --prune must not make."""
    return Planner(prune=prune).plan(teams)
