"""The configuration as it stands in the database, as the plain document a file holds.

The same functions give the plan the database's side of each comparison, so a file written by
export and applied back compares equal field for field. What stays out: tokens and secrets (they
are never shown again after creation), schedule overrides (operational: who covers which night,
changed by the hour), and people's own contact methods and notification rules (personal)."""
from __future__ import annotations

from datetime import UTC, datetime, time

from django.db.models import Prefetch

from oncall.models import EscalationPolicy, Layer, Membership, Restriction, Schedule, StepTarget, Team

from ..integration_config import SECRET_KEYS
from ..models import Integration, Service
from . import yaml_lines

VERSION = 1
HEADER = """\
# Vigil configuration, written by `manage.py vigil export`; apply with `manage.py vigil apply FILE`.
# Not in this file: integration tokens and secrets, schedule overrides, and each person's own
# contact methods and notification rules.
"""


def clock(value: time) -> str:
    return value.strftime("%H:%M")


def instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def team_fields(team: Team) -> dict:
    return {"name": team.name, "slug": team.slug, "description": team.description}


def member_doc(membership: Membership) -> dict:
    return {"person": membership.user.username, "role": membership.role}


def layer_doc(layer: Layer) -> dict:
    return {
        "name": layer.name,
        "turn_length": layer.turn_length,
        "turn_unit": layer.turn_unit,
        "handoff_time": clock(layer.handoff_time),
        "start_date": layer.start_date,
        "end_at": instant(layer.end_at),
        "participants": [p.user.username for p in layer.participants.all()],
        "restrictions": [restriction_doc(kind=r.kind, start_weekday=r.start_weekday, start_time=r.start_time,
                                         end_weekday=r.end_weekday, end_time=r.end_time)
                         for r in layer.restrictions.all()],
    }


def restriction_doc(*, kind: str, start_time: time, end_time: time, start_weekday: int | None = None,
                    end_weekday: int | None = None) -> dict:
    if kind == Restriction.Kind.WEEKLY:
        return {"kind": kind, "start_weekday": start_weekday, "start_time": clock(start_time),
                "end_weekday": end_weekday, "end_time": clock(end_time)}
    return {"kind": kind, "start_time": clock(start_time), "end_time": clock(end_time)}


def schedule_fields(schedule: Schedule) -> dict:
    return {"name": schedule.name, "description": schedule.description, "time_zone": schedule.time_zone}


def schedule_doc(schedule: Schedule) -> dict:
    return {**schedule_fields(schedule), "layers": [layer_doc(layer) for layer in schedule.layers.all()]}


def target_doc(target: StepTarget) -> dict:
    if target.kind == StepTarget.Kind.USER:
        return {"person": target.user.username}
    if target.kind == StepTarget.Kind.SCHEDULE:
        return {"schedule": target.schedule.name}
    return {"team": target.team.name}


def policy_doc(policy: EscalationPolicy) -> dict:
    return {
        "name": policy.name,
        "description": policy.description,
        "repeat_count": policy.repeat_count,
        "steps": [{"delay_minutes": step.delay_minutes, "targets": [target_doc(t) for t in step.targets.all()]}
                  for step in policy.steps.all()],
    }


def service_fields(service: Service) -> dict:
    return {
        "name": service.name,
        "description": service.description,
        "runbook_url": service.runbook_url,
        "escalation_policy": service.escalation_policy.name if service.escalation_policy else None,
        "major_incident_policy": service.major_incident_policy.name if service.major_incident_policy else None,
        "slack_channel": service.slack_channel,
        "ack_timeout_minutes": service.ack_timeout_minutes,
    }


def config_without_secrets(kind: str, config: dict) -> dict:
    secrets = SECRET_KEYS.get(kind, ())
    return {key: value for key, value in (config or {}).items() if key not in secrets}


def integration_doc(integration: Integration) -> dict:
    return {
        "name": integration.name,
        "kind": integration.kind,
        "enabled": integration.enabled,
        "config": config_without_secrets(integration.kind, integration.config),
    }


def teams_with_configuration(names: list[str] | None = None):
    """Teams (all, or those named) with everything export reads, in a fixed number of queries."""
    teams = Team.objects.order_by("name").prefetch_related(
        Prefetch("memberships", Membership.objects.select_related("user").order_by("user__username")),
        Prefetch("schedules", Schedule.objects.order_by("name")),
        Prefetch("schedules__layers", Layer.objects.order_by("position", "id")),
        "schedules__layers__participants__user",
        "schedules__layers__restrictions",
        Prefetch("escalation_policies", EscalationPolicy.objects.order_by("name")),
        "escalation_policies__steps__targets__user",
        "escalation_policies__steps__targets__schedule",
        "escalation_policies__steps__targets__team",
        Prefetch("services", Service.objects.select_related("escalation_policy", "major_incident_policy")
                 .order_by("name")),
        Prefetch("services__integrations", Integration.objects.order_by("name")),
    )
    return teams if names is None else teams.filter(name__in=names)


def team_doc(team: Team) -> dict:
    return {
        **team_fields(team),
        "members": [member_doc(m) for m in team.memberships.all()],
        "schedules": [schedule_doc(s) for s in team.schedules.all()],
        "escalation_policies": [policy_doc(p) for p in team.escalation_policies.all()],
        "services": [{**service_fields(s), "integrations": [integration_doc(i) for i in s.integrations.all()]}
                     for s in team.services.all()],
    }


def configuration_export() -> str:
    """Every team's configuration as one YAML document."""
    document = {"version": VERSION, "teams": [team_doc(team) for team in teams_with_configuration()]}
    return yaml_lines.dump(document, header=HEADER)
