"""Each change a plan can hold, carried out by the service that owns it. Everything is found by
name when the change runs, so a change can use what an earlier change of the same apply made."""
from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth.models import User

from oncall import policies, schedules
from oncall import services as oncall_services
from oncall.models import EscalationPolicy, Layer, Membership, Schedule, Team

from .. import services
from ..models import Integration, Service
from ..selectors import integration_urls


def _team(name: str) -> Team:
    return Team.objects.get(name=name)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _time(value: str) -> time:
    return datetime.strptime(value, "%H:%M").time()


def team_create(*, doc: dict) -> None:
    oncall_services.team_create(name=doc["name"], slug=doc["slug"], description=doc["description"])


def team_update(*, doc: dict) -> None:
    oncall_services.team_update(team=_team(doc["name"]), slug=doc["slug"], description=doc["description"])


def member_create(*, team: str, doc: dict) -> None:
    oncall_services.membership_add(team=_team(team), user=_user(doc["person"]), role=doc["role"])


def member_update(*, team: str, doc: dict) -> None:
    membership = Membership.objects.get(team__name=team, user__username=doc["person"])
    oncall_services.membership_change_role(membership=membership, role=doc["role"])


def member_delete(*, team: str, person: str) -> None:
    membership = Membership.objects.select_related("team", "user").get(team__name=team, user__username=person)
    policies.member_remove_check(team=membership.team, user=membership.user)
    oncall_services.membership_remove(membership=membership)


def schedule_create(*, team: str, doc: dict) -> None:
    schedule = schedules.schedule_create(team=_team(team), name=doc["name"], description=doc["description"],
                                         time_zone=doc["time_zone"])
    for position, layer in enumerate(doc["layers"]):
        layer_create(team=team, schedule=schedule.name, position=position, doc=layer)


def schedule_update(*, team: str, doc: dict) -> None:
    schedules.schedule_update(schedule=Schedule.objects.get(team__name=team, name=doc["name"]),
                              description=doc["description"], time_zone=doc["time_zone"])


def schedule_delete(*, team: str, name: str) -> None:
    policies.schedule_delete(schedule=Schedule.objects.get(team__name=team, name=name))


def _layer_values(doc: dict) -> dict:
    return {
        "name": doc["name"], "turn_length": doc["turn_length"], "turn_unit": doc["turn_unit"],
        "handoff_time": _time(doc["handoff_time"]), "start_date": doc["start_date"],
        "end_at": datetime.fromisoformat(doc["end_at"]) if doc["end_at"] else None,
        "participants": [_user(username) for username in doc["participants"]],
        "restrictions": [{**window, "start_time": _time(window["start_time"]), "end_time": _time(window["end_time"])}
                         for window in doc["restrictions"]],
    }


def _layers(team: str, schedule: str):
    return Layer.objects.filter(schedule__team__name=team, schedule__name=schedule).order_by("position", "id")


def layer_create(*, team: str, schedule: str, position: int, doc: dict) -> None:
    values = _layer_values(doc)
    schedules.layer_create(schedule=Schedule.objects.get(team__name=team, name=schedule), position=position,
                           **values)


def layer_update(*, team: str, schedule: str, position: int, doc: dict) -> None:
    layer = _layers(team, schedule)[position]
    schedules.layer_update(layer=layer, position=position, **_layer_values(doc))


def layer_delete(*, team: str, schedule: str, position: int) -> None:
    schedules.layer_delete(layer=_layers(team, schedule)[position])


def _steps(team: str, doc: dict) -> list[dict]:
    def target(spec: dict) -> dict:
        if "person" in spec:
            return {"kind": "user", "id": _user(spec["person"]).pk}
        if "schedule" in spec:
            return {"kind": "schedule", "id": Schedule.objects.get(team__name=team, name=spec["schedule"]).pk}
        return {"kind": "team", "id": _team(spec["team"]).pk}
    return [{"delay_minutes": step["delay_minutes"], "targets": [target(t) for t in step["targets"]]}
            for step in doc["steps"]]


def policy_create(*, team: str, doc: dict) -> None:
    policies.policy_create(team=_team(team), name=doc["name"], description=doc["description"],
                           repeat_count=doc["repeat_count"], steps=_steps(team, doc))


def policy_update(*, team: str, doc: dict) -> None:
    policies.policy_update(policy=EscalationPolicy.objects.get(team__name=team, name=doc["name"]),
                           description=doc["description"], repeat_count=doc["repeat_count"],
                           steps=_steps(team, doc))


def policy_delete(*, team: str, name: str) -> None:
    policies.policy_delete(policy=EscalationPolicy.objects.get(team__name=team, name=name))


def _service_values(team: str, doc: dict) -> dict:
    def policy(name: str | None) -> EscalationPolicy | None:
        return None if name is None else EscalationPolicy.objects.get(team__name=team, name=name)
    return {
        "description": doc["description"], "runbook_url": doc["runbook_url"], "slack_channel": doc["slack_channel"],
        "ack_timeout_minutes": doc["ack_timeout_minutes"], "escalation_policy": policy(doc["escalation_policy"]),
        "major_incident_policy": policy(doc["major_incident_policy"]),
    }


def service_create(*, team: str, doc: dict) -> None:
    services.service_create(team=_team(team), name=doc["name"], **_service_values(team, doc))


def service_update(*, team: str, doc: dict) -> None:
    service = Service.objects.get(team__name=team, name=doc["name"])
    services.service_update(service=service, **_service_values(team, doc))


def service_delete(*, team: str, name: str) -> None:
    services.service_delete(service=Service.objects.get(team__name=team, name=name))


def _integration(team: str, service: str, name: str) -> Integration:
    return Integration.objects.select_related("service").get(
        service__team__name=team, service__name=service, name=name)


def integration_create(*, team: str, service: str, doc: dict) -> str:
    """Returns where monitors send: the token is made here and shown only this once."""
    integration, token = services.integration_create(
        service=Service.objects.get(team__name=team, name=service), kind=doc["kind"], name=doc["name"],
        config=dict(doc["config"]))
    if not doc["enabled"]:
        services.integration_update(integration=integration, enabled=False)
    urls = integration_urls(integration=integration, token=token)
    return "  ".join(f"{key}: {value}" for key, value in urls.items())


def integration_update(*, team: str, service: str, doc: dict) -> None:
    services.integration_update(integration=_integration(team, service, doc["name"]), enabled=doc["enabled"],
                                config=dict(doc["config"]))


def integration_delete(*, team: str, service: str, name: str) -> None:
    services.integration_delete(integration=_integration(team, service, name))

