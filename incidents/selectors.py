"""Reads. Every query a person can reach goes through a scoping function here, so that a member
of one team can never see another team's data: superusers see everything."""
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from oncall.models import Membership, Team

from .models import Incident, Integration, Service, TimelineEvent


def teams_visible_to(user: User | AnonymousUser) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user)


def _team_ids(user: User) -> QuerySet:
    return Membership.objects.filter(user=user).values("team_id")


def services_visible_to(user: User | AnonymousUser) -> QuerySet[Service]:
    qs = Service.objects.select_related("team")
    if not user.is_authenticated:
        return qs.none()
    return qs if user.is_superuser else qs.filter(team_id__in=_team_ids(user))


def integrations_visible_to(user: User | AnonymousUser) -> QuerySet[Integration]:
    qs = Integration.objects.select_related("service", "service__team")
    if not user.is_authenticated:
        return qs.none()
    return qs if user.is_superuser else qs.filter(service__team_id__in=_team_ids(user))


def incidents_visible_to(user: User | AnonymousUser) -> QuerySet[Incident]:
    qs = Incident.objects.select_related("service", "team", "acknowledged_by", "resolved_by")
    if not user.is_authenticated:
        return qs.none()
    return qs if user.is_superuser else qs.filter(team_id__in=_team_ids(user))


def user_role_in(*, user: User, team_id: int) -> str | None:
    if user.is_superuser:
        return Membership.Role.MANAGER
    return Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first()


def user_can_respond(*, user: User, team_id: int) -> bool:
    return user_role_in(user=user, team_id=team_id) in (Membership.Role.RESPONDER, Membership.Role.MANAGER)


def user_can_manage(*, user: User, team_id: int) -> bool:
    return user_role_in(user=user, team_id=team_id) == Membership.Role.MANAGER


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEvent]:
    return incident.timeline.select_related("actor").order_by("at", "id")
