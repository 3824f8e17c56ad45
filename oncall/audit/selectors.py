from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from ..models import Membership, Team
from .models import AuditEntry


def audit_teams_for(user: User) -> QuerySet[Team]:
    """Teams whose log the person may read: those they manage (every team for a superuser)."""
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user, memberships__role=Membership.Role.MANAGER)


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    """Their managed teams' entries and changes to their own things; everything for a superuser."""
    if not user.is_authenticated:
        return AuditEntry.objects.none()
    if user.is_superuser:
        return AuditEntry.objects.all()
    team_ids = list(audit_teams_for(user).values_list("pk", flat=True))
    return AuditEntry.objects.filter(Q(team_id__in=team_ids) | Q(owner_id=user.pk))


def audit_entries_filtered(entries: QuerySet[AuditEntry], *, team: int | None = None, mine_of: User | None = None,
                           object_type: str = "", via: str = "", actor: str = "") -> QuerySet[AuditEntry]:
    if team is not None:
        entries = entries.filter(team_id=team)
    if mine_of is not None:
        entries = entries.filter(owner_id=mine_of.pk)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if via:
        entries = entries.filter(via=via)
    if actor:
        entries = entries.filter(actor_name=actor)
    return entries
