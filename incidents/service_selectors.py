"""Reads of the service pages, each in a fixed number of queries however many rows there are.
Scoping comes from incidents.selectors.services_visible_to."""
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from oncall.models import EscalationStep, Membership, Schedule, StepTarget
from oncall.schedules import schedules_oncall_at

from .models import ChangeEvent, Incident, Integration, MaintenanceWindow, Service
from .selectors import services_visible_to

# Windows that ended longer ago than this are history nobody needs on the page.
MAINTENANCE_SHOWN_AFTER_END = timedelta(days=7)
RECENT_ROWS = 20


def _count_of(model, **filters) -> Coalesce:
    per_service = (model.objects.filter(service=OuterRef("pk"), **filters).order_by()
                   .values("service").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(per_service, output_field=IntegerField()), Value(0))


def services_listed(*, user: User | AnonymousUser) -> QuerySet[Service]:
    now = timezone.now()
    return (services_visible_to(user).select_related("escalation_policy")
            .annotate(open_incidents=_count_of(Incident, status__in=Incident.OPEN_STATUSES),
                      integration_count=_count_of(Integration),
                      maintenance_now=_count_of(MaintenanceWindow, starts_at__lte=now, ends_at__gt=now))
            .order_by("team__name", "name", "id"))


def service_integrations(*, service: Service) -> QuerySet[Integration]:
    return service.integrations.order_by("name", "id")


def service_maintenance_windows(*, service: Service) -> QuerySet[MaintenanceWindow]:
    """Windows on now or to come, and those that ended in the last week, latest start first."""
    since = timezone.now() - MAINTENANCE_SHOWN_AFTER_END
    return (service.maintenance_windows.filter(ends_at__gt=since).select_related("created_by")
            .order_by("-starts_at", "-id")[:RECENT_ROWS])


def service_change_events(*, service: Service) -> QuerySet[ChangeEvent]:
    return ChangeEvent.objects.filter(service=service).order_by("-occurred_at", "-id")[:RECENT_ROWS]


def service_recent_incidents(*, service: Service, limit: int = 10) -> QuerySet[Incident]:
    return service.incidents.order_by("-triggered_at", "-id")[:limit]


def policies_paged_first(*, policy_ids: list[int], at: datetime) -> dict[int, list[User]]:
    """Whom each policy's first step pages at `at` ({policy id: people}), in a fixed number of
    queries: oncall.policies.step_users_at's rule (named people, whoever is on call in each
    schedule, every responder of each team) for many policies at once."""
    first_steps: dict[int, EscalationStep] = {}
    for step in (EscalationStep.objects.filter(policy_id__in=policy_ids).order_by("policy_id", "position")
                 .prefetch_related("targets")):
        first_steps.setdefault(step.policy_id, step)
    targets = [(policy_id, t) for policy_id, step in first_steps.items() for t in step.targets.all()]
    schedule_ids = {t.schedule_id for _, t in targets if t.kind == StepTarget.Kind.SCHEDULE}
    shifts = schedules_oncall_at(Schedule.objects.filter(pk__in=schedule_ids), at=at) if schedule_ids else {}
    team_ids = {t.team_id for _, t in targets if t.kind == StepTarget.Kind.TEAM}
    members: dict[int, list[int]] = {}
    for team_id, user_id in Membership.objects.filter(
            team_id__in=team_ids, role__in=[Membership.Role.RESPONDER, Membership.Role.MANAGER]
    ).order_by("id").values_list("team_id", "user_id"):
        members.setdefault(team_id, []).append(user_id)
    ids: dict[int, list[int]] = {policy_id: [] for policy_id in first_steps}
    for policy_id, t in targets:
        if t.kind == StepTarget.Kind.USER:
            ids[policy_id].append(t.user_id)
        elif t.kind == StepTarget.Kind.SCHEDULE and shifts.get(t.schedule_id):
            ids[policy_id].append(shifts[t.schedule_id].person)
        elif t.kind == StepTarget.Kind.TEAM:
            ids[policy_id] += members.get(t.team_id, [])
    everyone = {i for found in ids.values() for i in found}
    users = {u.pk: u for u in User.objects.filter(pk__in=everyone, is_active=True)} if everyone else {}
    return {policy_id: [users[i] for i in dict.fromkeys(found) if i in users] for policy_id, found in ids.items()}
