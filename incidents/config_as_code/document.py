"""Reading a configuration file: its shape and its values, every problem with the line it is on.

Each value is checked by the field the API checks it with (oncall/api, incidents/api) and each
integration's options by incidents/integration_config.py, so a file cannot hold what the API would
refuse. The result is the document in export's own terms (people by username, times "HH:MM",
instants in UTC), so that the plan compares like with like."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from rest_framework import serializers

from oncall.api.layers import LayerWriteSerializer, RestrictionSerializer
from oncall.api.policies import EscalationPolicyWriteSerializer, EscalationStepWriteSerializer
from oncall.api.schedules import ScheduleSerializer
from oncall.models import Membership, Team

from ..api.integrations import IntegrationCreateSerializer, IntegrationUpdateSerializer
from ..api.services import ServiceSerializer
from ..integration_config import config_problems
from ..models import Integration
from .export import VERSION, clock, instant, restriction_doc
from .yaml_lines import LineDict

REQUIRED = object()
TIME_KEYS = {"handoff_time", "start_time", "end_time"}
NOUNS = {"schedules": "schedule", "escalation_policies": "escalation policy", "services": "service"}


class Problems(Exception):
    """Everything wrong with a file, as (line, message) pairs in line order."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=lambda p: p[0])


def _detail(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_detail(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_detail(item) for item in detail)
    return str(detail)


class Reader:
    def __init__(self):
        self.problems: list[tuple[int, str]] = []
        self._people: dict[str, str | None] = {}

    def note(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def mapping(self, node: Any, line: int, what: str, spec: dict[str, Any]) -> LineDict | None:
        """The keys of spec taken from node (defaults for those left out); unknown keys are problems."""
        if not isinstance(node, dict):
            self.note(line, f"{what} must be a mapping of {', '.join(spec)}")
            return None
        out = LineDict()
        out.line = getattr(node, "line", line)
        out.key_lines = getattr(node, "key_lines", None)
        unknown = [str(key) for key in node if key not in spec]
        if unknown:
            keys = "keys" if len(unknown) > 1 else "key"
            self.note(out.at(unknown[0]), f"{what}: unknown {keys} {', '.join(map(repr, unknown))} "
                                f"(use {', '.join(spec)})")
        for key, default in spec.items():
            if key in node:
                out[key] = node[key]
            elif default is REQUIRED:
                self.note(out.line, f"{what}: '{key}' is missing")
            else:
                out[key] = list(default) if isinstance(default, list) else default
        return out

    def items(self, value: Any, line: int, what: str) -> list:
        if isinstance(value, list):
            return value
        self.note(line, f"{what} must be a list")
        return []

    def unquoted_time(self, key: str, value: Any, line: int, what: str) -> bool:
        # YAML 1.1 reads 17:00 unquoted as 1020 (base 60), and 09:00 as a string.
        if key in TIME_KEYS and isinstance(value, int):
            self.note(line, f"{what}: '{key}' must be a time in quotes, like '17:00' (YAML reads 17:00 as a number)")
            return True
        return False

    def field(self, fields, key: str, value: Any, line: int, what: str) -> Any:
        """The value as the API field `fields[key]` takes it, or None after noting the problem."""
        if self.unquoted_time(key, value, line, what):
            return None
        try:
            return fields[key].run_validation(value)
        except serializers.ValidationError as e:
            self.note(line, f"{what}: '{key}': {_detail(e.detail)}")
            return None

    def person(self, value: Any, line: int, what: str) -> str | None:
        """The username of someone named by username or email."""
        if not isinstance(value, str) or not value:
            self.note(line, f"{what}: a person is named by username or email, not {value!r}")
            return None
        if value not in self._people:
            user = User.objects.filter(username=value).first()
            if user is None and "@" in value:
                matches = list(User.objects.filter(email__iexact=value)[:2])
                user = matches[0] if len(matches) == 1 else None
            self._people[value] = user.username if user else None
        username = self._people[value]
        if username is None:
            self.note(line, f"{what} names unknown person '{value}'")
        return username

    def unique(self, docs: list[dict], key: str, what: str) -> None:
        seen: set = set()
        for doc in docs:
            if doc[key] in seen:
                self.note(doc.line, f"{what} '{doc[key]}' appears twice")
            seen.add(doc[key])


_SCHEDULE = ScheduleSerializer().fields
_LAYER = LayerWriteSerializer().fields
_POLICY = EscalationPolicyWriteSerializer().fields
_STEP = EscalationStepWriteSerializer().fields
_SERVICE = ServiceSerializer().fields
_INTEGRATION = {**IntegrationCreateSerializer().fields, "enabled": IntegrationUpdateSerializer().fields["enabled"]}


def _clean_values(reader: Reader, doc: LineDict, fields, keys: list[str], what: str) -> None:
    for key in keys:
        doc[key] = reader.field(fields, key, doc[key], doc.at(key), what)


def read_team(reader: Reader, node: Any, line: int) -> LineDict | None:
    doc = reader.mapping(node, line, "team", {
        "name": REQUIRED, "slug": None, "description": "", "members": [], "schedules": [],
        "escalation_policies": [], "services": []})
    if doc is None or "name" not in doc:
        return None
    what = f"team '{doc['name']}'"
    if not isinstance(doc["name"], str):
        reader.note(doc.at("name"), f"{what}: 'name' must be text")
        return None
    if doc["slug"] is None:
        doc["slug"] = slugify(str(doc["name"]))
    if doc["description"] is None:
        doc["description"] = ""
    try:
        Team(name=doc["name"], slug=doc["slug"], description=doc["description"]).clean_fields(
            exclude=["last_incident_number", "created_at"])
    except ValidationError as e:
        for key, messages in e.message_dict.items():
            reader.note(doc.at(key), f"{what}: '{key}': {' '.join(messages)}")
    doc["members"] = sorted(filter(None, (read_member(reader, m, doc.line, what)
                                          for m in reader.items(doc["members"], doc.line, f"{what}: members"))),
                            key=lambda m: m["person"])
    reader.unique(doc["members"], "person", f"{what}: member")
    for key, read in (("schedules", read_schedule), ("escalation_policies", read_policy), ("services", read_service)):
        docs = [read(reader, item, doc.line, what) for item in reader.items(doc[key], doc.line, f"{what}: {key}")]
        doc[key] = [d for d in docs if d is not None]
        reader.unique(doc[key], "name", f"{what}: {NOUNS[key]}")
    return doc


def read_member(reader: Reader, node: Any, line: int, team: str) -> LineDict | None:
    doc = reader.mapping(node, line, f"{team}: member", {"person": REQUIRED, "role": Membership.Role.RESPONDER})
    if doc is None or "person" not in doc:
        return None
    doc["person"] = reader.person(doc["person"], doc.at("person"), f"{team}: member")
    if doc["role"] not in Membership.Role.values:
        reader.note(doc.at("role"), f"{team}: member '{doc['person']}': role must be one of "
                                    f"{', '.join(Membership.Role.values)}")
    return doc if doc["person"] else None


def read_schedule(reader: Reader, node: Any, line: int, team: str) -> LineDict | None:
    doc = reader.mapping(node, line, f"{team}: schedule",
                         {"name": REQUIRED, "description": "", "time_zone": "UTC", "layers": []})
    if doc is None or "name" not in doc:
        return None
    what = f"schedule '{doc['name']}'"
    _clean_values(reader, doc, _SCHEDULE, ["name", "description", "time_zone"], what)
    layers = reader.items(doc["layers"], doc.line, f"{what}: layers")
    doc["layers"] = [read_layer(reader, item, doc.line, f"{what} layer {n}") for n, item in enumerate(layers, 1)]
    return doc


def read_layer(reader: Reader, node: Any, line: int, what: str) -> LineDict | None:
    doc = reader.mapping(node, line, what, {
        "name": "", "turn_length": 1, "turn_unit": "weeks", "handoff_time": "09:00", "start_date": REQUIRED,
        "end_at": None, "participants": [], "restrictions": []})
    if doc is None or "start_date" not in doc:
        return None
    _clean_values(reader, doc, _LAYER, ["name", "turn_length", "turn_unit", "start_date"], what)
    handoff = reader.field(_LAYER, "handoff_time", doc["handoff_time"], doc.at("handoff_time"), what)
    doc["handoff_time"] = clock(handoff) if handoff else None
    end_at = None if doc["end_at"] is None else reader.field(_LAYER, "end_at", doc["end_at"], doc.at("end_at"), what)
    doc["end_at"] = instant(end_at)
    at = doc.at("participants")
    participants = reader.items(doc["participants"], at, f"{what}: participants")
    doc["participants"] = [reader.person(person, at, what) for person in participants]
    doc["restrictions"] = [read_restriction(reader, item, doc.line, what)
                           for item in reader.items(doc["restrictions"], doc.line, f"{what}: restrictions")]
    return doc


def read_restriction(reader: Reader, node: Any, line: int, what: str) -> dict | None:
    at = getattr(node, "line", line)
    if isinstance(node, LineDict) and any(reader.unquoted_time(key, value, node.at(key), f"{what} restriction")
                                          for key, value in node.items()):
        return None
    body = RestrictionSerializer(data=node)
    if not body.is_valid():
        reader.note(at, f"{what} restriction: {_detail(body.errors)}")
        return None
    return restriction_doc(**body.validated_data)


def read_policy(reader: Reader, node: Any, line: int, team: str) -> LineDict | None:
    doc = reader.mapping(node, line, f"{team}: escalation policy",
                         {"name": REQUIRED, "description": "", "repeat_count": 0, "steps": []})
    if doc is None or "name" not in doc:
        return None
    what = f"escalation policy '{doc['name']}'"
    _clean_values(reader, doc, _POLICY, ["name", "description", "repeat_count"], what)
    steps = reader.items(doc["steps"], doc.line, f"{what}: steps")
    doc["steps"] = [read_step(reader, item, doc.line, f"{what} step {n}") for n, item in enumerate(steps, 1)]
    return doc


def read_step(reader: Reader, node: Any, line: int, what: str) -> LineDict | None:
    doc = reader.mapping(node, line, what, {"delay_minutes": 15, "targets": REQUIRED})
    if doc is None or "targets" not in doc:
        return None
    doc["delay_minutes"] = reader.field(_STEP, "delay_minutes", doc["delay_minutes"], doc.at("delay_minutes"), what)
    targets = reader.items(doc["targets"], doc.line, f"{what}: targets")
    if not targets:
        reader.note(doc.line, f"{what} has no one to page")
    doc["targets"] = [read_target(reader, item, doc.line, what) for item in targets]
    return doc


def read_target(reader: Reader, node: Any, line: int, what: str) -> LineDict | None:
    at = getattr(node, "line", line)
    if not isinstance(node, dict) or len(node) != 1 or next(iter(node)) not in ("person", "schedule", "team"):
        reader.note(at, f"{what}: a target is one of {{person: NAME}}, {{schedule: NAME}} or {{team: NAME}}")
        return None
    (kind, name), = node.items()
    doc = LineDict()
    doc.line = at
    if kind == "person":
        doc[kind] = reader.person(name, at, what)
        return doc if doc[kind] else None
    if not isinstance(name, str):
        reader.note(at, f"{what}: {kind} must be named")
        return None
    doc[kind] = name
    return doc


def read_service(reader: Reader, node: Any, line: int, team: str) -> LineDict | None:
    doc = reader.mapping(node, line, f"{team}: service", {
        "name": REQUIRED, "description": "", "runbook_url": "", "escalation_policy": None,
        "major_incident_policy": None, "slack_channel": "", "ack_timeout_minutes": None, "integrations": []})
    if doc is None or "name" not in doc:
        return None
    what = f"service '{doc['name']}'"
    _clean_values(reader, doc, _SERVICE, ["name", "description", "runbook_url", "slack_channel"], what)
    if doc["ack_timeout_minutes"] is not None:
        _clean_values(reader, doc, _SERVICE, ["ack_timeout_minutes"], what)
    for key in ("escalation_policy", "major_incident_policy"):
        if doc[key] is not None and not isinstance(doc[key], str):
            reader.note(doc.at(key), f"{what}: '{key}' names a policy of the team, or is null")
    integrations = reader.items(doc["integrations"], doc.line, f"{what}: integrations")
    doc["integrations"] = [d for d in (read_integration(reader, item, doc.line, what) for item in integrations) if d]
    reader.unique(doc["integrations"], "name", f"{what}: integration")
    return doc


def read_integration(reader: Reader, node: Any, line: int, service: str) -> LineDict | None:
    doc = reader.mapping(node, line, f"{service}: integration",
                         {"name": REQUIRED, "kind": REQUIRED, "enabled": True, "config": {}})
    if doc is None or "name" not in doc or "kind" not in doc:
        return None
    what = f"integration '{doc['name']}'"
    _clean_values(reader, doc, _INTEGRATION, ["name", "kind", "enabled"], what)
    if doc["config"] is None:
        doc["config"] = {}
    if not isinstance(doc["config"], dict):
        reader.note(doc.at("config"), f"{what}: config must be a mapping")
    elif doc["kind"] in Integration.Kind.values:
        # Secrets may be left out of the file: the stored ones are kept (the plan merges them).
        for problem in config_problems(doc["kind"], _without_line(doc["config"])):
            reader.note(doc.at("config"), f"{what}: {problem}")
    return doc


def _without_line(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_line(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_line(item) for item in value]
    return value


def read_document(data: Any) -> list[LineDict]:
    """The teams of a loaded file in export's terms. Raises Problems naming every line at fault."""
    reader = Reader()
    top = reader.mapping(data if data is not None else {}, 1, "the file", {"version": VERSION, "teams": REQUIRED})
    teams: list[LineDict] = []
    if top is not None:
        if top["version"] != VERSION:
            reader.note(top.at("version"), f"version must be {VERSION}")
        items = reader.items(top.get("teams", []), top.line, "teams")
        teams = [t for t in (read_team(reader, item, top.line) for item in items) if t is not None]
        reader.unique(teams, "name", "team")
    if reader.problems:
        raise Problems(reader.problems)
    return teams
