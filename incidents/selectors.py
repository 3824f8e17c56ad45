"""Reads of incidents and their services. What a person can reach is scoped by team through
`oncall.access.team_scoped`, the one rule every app shares: a member of one team never sees
another team's data; superusers see everything."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, QuerySet

from oncall.access import team_ids_of, team_scoped
from oncall.models import EscalationPolicy, EscalationStep

from .models import Alert, ChangeEvent, Incident, Integration, MaintenanceWindow, Service, TimelineEvent


def services_visible_to(user: User | AnonymousUser) -> QuerySet[Service]:
    return team_scoped(Service.objects.select_related("team"), user)


def integrations_visible_to(user: User | AnonymousUser) -> QuerySet[Integration]:
    return team_scoped(Integration.objects.select_related("service", "service__team"), user, "service__team")


def incidents_visible_to(user: User | AnonymousUser) -> QuerySet[Incident]:
    return team_scoped(Incident.objects.select_related("service", "team", "acknowledged_by", "resolved_by", "assignee"), user)


def user_is_first_timer(*, user: User, incident: Incident) -> bool:
    """Whether this is the person's first real incident: they have acknowledged no other one, on
    its row (also set by mitigating unacknowledged) or on its timeline (kept after an
    un-acknowledgement clears the row). Acknowledgements are the plainest trace of having been
    paged and taken it. One query."""
    other_rows = Incident.objects.filter(acknowledged_by=user).exclude(pk=incident.pk)
    other_events = TimelineEvent.objects.filter(kind="acknowledged", actor=user).exclude(incident_id=incident.pk)
    return not User.objects.filter(pk=user.pk).filter(Exists(other_rows) | Exists(other_events)).exists()


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    return incident.timeline.select_related("actor").order_by("at", "id")


# The status tabs of the incident list, in display order: "open" is everything not yet resolved.
INCIDENT_LIST_FILTERS: dict[str, tuple[str, ...] | None] = {
    "open": tuple(Incident.OPEN_STATUSES),
    "triggered": (Incident.Status.TRIGGERED,),
    "acknowledged": (Incident.Status.ACKNOWLEDGED,),
    "mitigated": (Incident.Status.MITIGATED,),
    "resolved": (Incident.Status.RESOLVED,),
    "all": None,
}


def incidents_listed(*, user: User | AnonymousUser, status: str) -> QuerySet[Incident]:
    """The incident list for one status tab (see INCIDENT_LIST_FILTERS), newest first."""
    qs = incidents_visible_to(user).select_related("acknowledged_by", "assignee", "resolved_by", "postmortem").order_by("-triggered_at", "-id")
    statuses = INCIDENT_LIST_FILTERS[status]
    return qs if statuses is None else qs.filter(status__in=statuses)


def incident_status_counts(*, user: User | AnonymousUser) -> dict[str, int]:
    """How many incidents each open status tab holds, in one query. Only open ones are counted:
    they are few at any history size and the partial index `incident_open` holds exactly them;
    counting the resolved would read the whole history on every page view (and every poll)."""
    per_status = dict(incidents_visible_to(user).filter(status__in=Incident.OPEN_STATUSES).order_by()
                      .values_list("status").annotate(n=Count("id")))
    return {
        name: sum(n for s, n in per_status.items() if s in statuses)
        for name, statuses in INCIDENT_LIST_FILTERS.items()
        if statuses is not None and set(statuses) <= set(Incident.OPEN_STATUSES)
    }


def incident_recent_alerts(*, incident: Incident, limit: int = 20) -> QuerySet[Alert]:
    return incident.alerts.select_related("integration").order_by("-received_at", "-id")[:limit]


def integration_urls(*, integration: Integration, token: str) -> dict:
    """Where a monitor sends to this integration. Only the raw token can build it: the database
    keeps the token's hash, so these URLs are shown once, when the token is made."""
    base = settings.PUBLIC_URL
    kind = integration.kind
    if kind == Integration.Kind.PAGERDUTY:
        return {"url": f"{base}/v2/enqueue", "routing_key": token}
    if kind == Integration.Kind.HEARTBEAT:
        return {"url": f"{base}/integrations/{token}/heartbeat/"}
    if kind == Integration.Kind.EMAIL:
        domain = settings.VIGIL_EMAIL_DOMAIN
        return {"url": f"{base}/integrations/{token}/email/", **({"address": f"{token}@{domain}"} if domain else {})}
    return {"url": f"{base}/integrations/{token}/"}


def incidents_matching(
    *, user: User | AnonymousUser, status: list[str] | None = None, severity: list[str] | None = None,
    urgency: list[str] | None = None, service: int | None = None, team: int | None = None,
    since: datetime | None = None, until: datetime | None = None,
) -> QuerySet[Incident]:
    """The API's incident list: each filter given narrows it; the window is [since, until) on triggered_at."""
    qs = incidents_visible_to(user)
    lookups = {
        "status__in": status, "severity__in": severity, "urgency__in": urgency, "service_id": service,
        "team_id": team, "triggered_at__gte": since, "triggered_at__lt": until,
    }
    return qs.filter(**{lookup: value for lookup, value in lookups.items() if value})


def service_recent_changes(*, service: Service, before: datetime, hours: int = 24) -> QuerySet[ChangeEvent]:
    """Deploys and other change events shortly before an incident: the first place to look."""
    return ChangeEvent.objects.filter(
        service=service, occurred_at__lte=before + timedelta(minutes=5), occurred_at__gte=before - timedelta(hours=hours)
    ).order_by("-occurred_at")[:20]


def maintenance_windows_visible_to(user: User | AnonymousUser) -> QuerySet[MaintenanceWindow]:
    qs = MaintenanceWindow.objects.select_related("service", "service__team", "created_by").order_by("-starts_at", "-id")
    return team_scoped(qs, user, "service__team")


# How long a person an incident was reassigned to has, when no policy step says, before the
# policy's first step is paged.
ASSIGNEE_WAIT_MINUTES = 15


@dataclass(frozen=True)
class PlanStep:
    """One step of an incident's escalation: a step of its policy, or the person it was assigned to."""

    delay_minutes: int
    policy_step: EscalationStep | None = None
    person: User | None = None


@dataclass(frozen=True)
class EscalationPlan:
    steps: list[PlanStep]
    repeat_count: int
    policy: EscalationPolicy | None


def incident_escalation_plan(*, incident: Incident) -> EscalationPlan:
    """Who an incident pages, step by step: the policy it was reassigned to or else its service's,
    preceded by the person it was assigned to (who gets as long as the first step does)."""
    policy = incident.escalation_policy or incident.service.escalation_policy
    policy_steps = list(policy.steps.order_by("position")) if policy else []
    steps = [PlanStep(delay_minutes=s.delay_minutes, policy_step=s) for s in policy_steps]
    if incident.assignee_id:
        wait = policy_steps[0].delay_minutes if policy_steps else ASSIGNEE_WAIT_MINUTES
        steps.insert(0, PlanStep(delay_minutes=wait, person=incident.assignee))
    return EscalationPlan(steps=steps, repeat_count=policy.repeat_count if policy else 0, policy=policy)


def reassign_targets_for(user: User | AnonymousUser) -> tuple[QuerySet[User], QuerySet[EscalationPolicy]]:
    """Whom a person may reassign an incident to: members and policies of their own teams (all
    for a superuser)."""
    people = User.objects.filter(is_active=True).order_by("username")
    policies = EscalationPolicy.objects.select_related("team").order_by("team__name", "name")
    if not user.is_authenticated:
        return people.none(), policies.none()
    if user.is_superuser:
        return people, policies
    teams = team_ids_of(user)
    return people.filter(memberships__team_id__in=teams).distinct(), policies.filter(team_id__in=teams)
