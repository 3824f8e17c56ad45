"""Who may see which teams: the rule every app asks, kept with the teams it is about."""
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from .models import Team


def teams_visible_to(user: User | AnonymousUser) -> QuerySet[Team]:
    """The person's teams; every team for a superuser; none for an anonymous visitor."""
    if not user.is_authenticated:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user)
