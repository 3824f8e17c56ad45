"""The rows a hand-off report reads, each one query whatever the period holds.

Scoped to the schedule's team throughout: a report goes by email to people who may not see other
teams' incidents, so an incident of another team never appears, even one that paged them.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet

from incidents.models import Incident
from oncall.models import Schedule, StepTarget
from oncall.viewer_zone import zone_named

from ..models import Page


def people_by_id(ids: set[int]) -> dict[int, tuple[User, ZoneInfo]]:
    """Each person with their own zone (their profile's, else UTC)."""
    users = User.objects.filter(pk__in=ids).select_related("oncall_profile")
    out = {}
    for user in users:
        profile = getattr(user, "oncall_profile", None)
        out[user.pk] = (user, zone_named(profile and profile.time_zone) or ZoneInfo("UTC"))
    return out


def pages_in_period(*, schedule: Schedule, people: set[int], start: datetime, end: datetime) -> QuerySet[Page]:
    """Pages to the period's on-call people, for incidents of the schedule's team."""
    return Page.objects.filter(
        user_id__in=people, created_at__gte=start, created_at__lt=end, incident__team_id=schedule.team_id,
    ).exclude(reason=Page.Reason.SHADOW)  # a copy for someone shadowing is not a page of theirs


def in_period(*, schedule: Schedule, people: set[int], start: datetime, end: datetime) -> Q:
    """Incidents under way at some moment of [start, end) that the schedule answers for (their
    service's policy, or the policy they were reassigned to, pages it) or that paged one of the
    period's on-call people."""
    policies = StepTarget.objects.filter(kind=StepTarget.Kind.SCHEDULE, schedule=schedule).values("step__policy_id")
    paged = pages_in_period(schedule=schedule, people=people, start=start, end=end).values("incident_id")
    return (Q(triggered_at__lt=end) & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
            & (Q(service__escalation_policy_id__in=policies) | Q(escalation_policy_id__in=policies) | Q(pk__in=paged)))


def incidents_in_period(*, schedule: Schedule, people: set[int], start: datetime, end: datetime) -> QuerySet[Incident]:
    return Incident.objects.filter(in_period(schedule=schedule, people=people, start=start, end=end),
                                   team_id=schedule.team_id)


def incident_counts(*, schedule: Schedule, periods: dict[str, Q]) -> dict[str, dict]:
    """{name: {"total": n, "open": n}} for several periods' filters (in_period), in one query."""
    still_open = Q(status__in=Incident.OPEN_STATUSES)
    found = Incident.objects.filter(team_id=schedule.team_id).aggregate(**{
        f"{name}__{key}": Count("pk", filter=q & extra)
        for name, q in periods.items() for key, extra in (("total", Q()), ("open", still_open))})
    return {name: {"total": found[f"{name}__total"], "open": found[f"{name}__open"]} for name in periods}
