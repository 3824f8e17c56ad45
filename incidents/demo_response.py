"""The demo's incident mid-response (issue 11 §9): someone opening the demo sees the guided panel
half walked — acknowledged by them, a commander, symptoms, scope, evidence, a hypothesis with an
owner and a task — instead of an empty page. Called by seed_demo; idempotent."""
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from .models import ChangeEvent, Incident, IncidentFinding, IncidentRole, Service, Severity, TimelineEvent
from .services import incident_acknowledge, incident_trigger
from .status_updates import status_update_post
from .workflow import incident_finding_add, incident_role_assign, incident_task_add

DEDUP_KEY = "demo-checkout-latency"
TITLE = "Checkout p99 latency above 2 s"
WEB = TimelineEvent.Via.WEB


def seed_incident_mid_response(*, service: Service, demo: User, responders: list[User]) -> Incident:
    """The incident is found by its dedup key, whatever became of it since: seeding again never adds
    a second one, nor puts back what a person removed while trying the panel."""
    existing = Incident.objects.filter(service=service, dedup_key=DEDUP_KEY).order_by("-triggered_at").first()
    if existing is not None:
        return existing
    now = timezone.now()
    ChangeEvent.objects.create(service=service, summary="Deploy checkout-api v2026.12.1 (connection pool 50 → 20)",
                               occurred_at=now - timedelta(minutes=40), source="deploy-bot")
    incident, _ = incident_trigger(
        service=service, title=TITLE, dedup_key=DEDUP_KEY, severity=Severity.SEV2, source="demo",
        via=TimelineEvent.Via.INTEGRATION, at=now - timedelta(minutes=25),
        details={"query": "histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))"},
    )
    incident = incident_acknowledge(incident=incident, by=demo, via=WEB)
    owner = responders[0] if responders else demo
    incident_role_assign(incident=incident, role=IncidentRole.Role.COMMANDER, user=demo, by=demo, via=WEB)
    status_update_post(incident=incident, by=demo, via=WEB,
                       conditions="Checkout is slow in eu-west-1; about 30% of payments time out.",
                       actions="Investigating the 11:35 deploy of checkout-api; no change made yet.",
                       needs="Someone from the database team to confirm the pool limits.")
    for kind, text, url in [
        (IncidentFinding.Kind.SYMPTOM, "Checkout pages take 2–4 s; some payments time out.", ""),
        (IncidentFinding.Kind.SCOPE, "About 30% of checkouts in eu-west-1 since 11:40; other regions fine.", ""),
        (IncidentFinding.Kind.EVIDENCE, "p99 latency graph: the step up starts with the 11:35 deploy.",
         "https://grafana.example.com/d/checkout-latency"),
        (IncidentFinding.Kind.EVIDENCE, 'API log: "timeout acquiring connection from pool (20/20 in use)".',
         "https://logs.example.com/checkout-api?q=pool"),
    ]:
        incident_finding_add(incident=incident, kind=kind, text=text, url=url, by=demo, via=WEB)
    incident_finding_add(incident=incident, kind=IncidentFinding.Kind.HYPOTHESIS, owner=owner, by=demo, via=WEB,
                         text="The deploy shrank the database connection pool from 50 to 20.")
    incident_task_add(incident=incident, title="Compare pool settings of v2026.12.1 with the previous release",
                      owner=owner, by=demo, via=WEB)
    return incident
