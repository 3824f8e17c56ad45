"""What the configuration-as-code tests share: running the command, a rich configuration, and
emptying the database of configuration while keeping its people."""
import io
from datetime import UTC, datetime, time

import yaml
from django.core.management import call_command

from incidents.models import Incident, Service
from oncall.models import EscalationPolicy, Schedule, Team
from oncall.policies import policy_create
from oncall.services import membership_set
from tests.factories import IntegrationFactory, LayerFactory, ScheduleFactory, ServiceFactory, TeamFactory, UserFactory


def export() -> str:
    out = io.StringIO()
    call_command("vigil", "export", stdout=out)
    return out.getvalue()


def apply(tmp_path, text: str, *options: str) -> str:
    """Runs `vigil apply` on `text` saved as vigil.yaml; returns what it printed."""
    path = tmp_path / "vigil.yaml"
    path.write_text(text)
    out = io.StringIO()
    call_command("vigil", "apply", str(path), *options, stdout=out)
    return out.getvalue()


def wipe_configuration() -> None:
    """Every team and what it owns goes; people stay (files name them, never create them)."""
    Incident.objects.all().delete()
    Service.objects.all().delete()
    EscalationPolicy.objects.all().delete()
    Schedule.objects.all().delete()
    Team.objects.all().delete()


def rich_configuration() -> dict:
    """Two teams using every field the file holds: layers with both kinds of restriction and an end,
    a policy paging a person, a schedule and another team, every integration kind with options."""
    ops = TeamFactory(name="Ops", slug="ops", description="Keeps the lights on.")
    data = TeamFactory(name="Data", slug="data-team")
    people = {name: UserFactory(username=name, email=f"{name}@example.com") for name in ("ana", "ben", "cy", "di")}
    for name, role in (("ana", "manager"), ("ben", "responder"), ("cy", "responder"), ("di", "viewer")):
        membership_set(team=ops, user=people[name], role=role)
    membership_set(team=data, user=people["di"], role="manager")
    primary = ScheduleFactory(team=ops, name="Ops primary", time_zone="Europe/Berlin", description="Days and nights")
    LayerFactory(schedule=primary, name="Weekdays", participants=[people["ana"], people["ben"]], turn_unit="days",
                 turn_length=2, handoff_time=time(8, 30), restrictions=[
                     {"kind": "weekly", "start_weekday": 0, "start_time": time(8), "end_weekday": 4,
                      "end_time": time(18)}])
    LayerFactory(schedule=primary, name="", participants=[people["cy"], people["ana"], people["cy"]],
                 end_at=datetime(2027, 3, 1, 12, tzinfo=UTC),
                 restrictions=[{"kind": "daily", "start_time": time(18), "end_time": time(8)}])
    ScheduleFactory(team=ops, name="Ops secondary", time_zone="UTC")
    policy = policy_create(team=ops, name="Ops paging", repeat_count=2, description="Everyone, eventually", steps=[
        {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": primary.pk},
                                         {"kind": "user", "id": people["ben"].pk}]},
        {"delay_minutes": 30, "targets": [{"kind": "team", "id": data.pk}]},
    ])
    major = policy_create(team=ops, name="Major", steps=[{"delay_minutes": 1, "targets": [
        {"kind": "user", "id": people["ana"].pk}]}])
    api = ServiceFactory(team=ops, name="api", description="The public API",
                         runbook_url="https://runbooks.example.com/api", escalation_policy=policy,
                         major_incident_policy=major, slack_channel="C0123ABCD", ack_timeout_minutes=45)
    IntegrationFactory(service=api, kind="grafana", name="Grafana", config={
        "secret": "grafana-signing-secret-1234", "urgency": "low", "rate_limit_per_minute": 100})
    IntegrationFactory(service=api, kind="alertmanager", name="Prometheus", config={"auto_resolve": False})
    IntegrationFactory(service=api, kind="heartbeat", name="Cron", config={"interval_seconds": 600})
    IntegrationFactory(service=api, kind="generic", name="Scripts", config={"severity_map": {"P1": "critical"}})
    pipeline = ServiceFactory(team=data, name="pipeline")
    disabled, _ = IntegrationFactory(service=pipeline, kind="pagerduty", name="Events")
    disabled.enabled = False
    disabled.save(update_fields=["enabled"])
    return {"ops": ops, "data": data, "people": people, "api": api}


def edited(text: str, change) -> str:
    """The exported `text` with `change(document)` made to it."""
    document = yaml.safe_load(text)
    change(document)
    return yaml.safe_dump(document, sort_keys=False)


def named(items: list[dict], name: str) -> dict:
    return next(item for item in items if item["name"] == name)
