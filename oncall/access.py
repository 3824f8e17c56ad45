"""Who may see and change what: the rules every app asks, kept with the teams they are about.

Reading is scoped by team (a superuser sees everything, an anonymous visitor nothing); writing is
decided by the person's role in the team. Apps above oncall scope their own rows with
`team_scoped`, so that one rule decides visibility everywhere.
"""
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import ApiToken, Membership, Team


def team_ids_of(user: User | AnonymousUser) -> QuerySet:
    """The ids of the person's teams, as a subquery; none for an anonymous visitor."""
    if not user.is_authenticated:
        return Membership.objects.none().values("team_id")
    return Membership.objects.filter(user=user).values("team_id")


def team_scoped(queryset: QuerySet, user: User | AnonymousUser, team_field: str = "team") -> QuerySet:
    """The rows of `queryset` whose `team_field` (a path such as "service__team"; "" for teams
    themselves) is one of the person's teams: every row for a superuser, none for an anonymous
    visitor."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    lookup = f"{team_field}_id__in" if team_field else "pk__in"
    return queryset.filter(**{lookup: team_ids_of(user)})


def own_rows(queryset: QuerySet, user: User | AnonymousUser, user_field: str = "user") -> QuerySet:
    """The person's own rows of `queryset` (contact methods, rules): every row for a superuser, who
    vouches for others' addresses; none for an anonymous visitor."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(**{user_field: user})


def teams_visible_to(user: User | AnonymousUser) -> QuerySet[Team]:
    """The person's teams; every team for a superuser; none for an anonymous visitor."""
    return team_scoped(Team.objects.all(), user, team_field="")


def memberships_visible_to(user: User | AnonymousUser) -> QuerySet[Membership]:
    return team_scoped(Membership.objects.select_related("team", "user"), user)


def api_tokens_of(*, user: User | AnonymousUser) -> QuerySet[ApiToken]:
    """A person's own tokens: nobody, not even a superuser, lists someone else's."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def user_role_in(*, user: User, team_id: int) -> str | None:
    if user.is_superuser:
        return Membership.Role.MANAGER
    return Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first()


RESPONDING_ROLES = (Membership.Role.RESPONDER, Membership.Role.MANAGER)


def user_can_respond(*, user: User, team_id: int) -> bool:
    return user_role_in(user=user, team_id=team_id) in RESPONDING_ROLES


def responding_team_ids(user: User) -> set[int] | None:
    """The teams whose incidents the person may change, in one query; None for a superuser (all)."""
    if user.is_superuser:
        return None
    return set(Membership.objects.filter(user=user, role__in=RESPONDING_ROLES).values_list("team_id", flat=True))


def user_can_manage(*, user: User, team_id: int) -> bool:
    return user_role_in(user=user, team_id=team_id) == Membership.Role.MANAGER


def require_role(*, user: User, team: Team, role: str, to: str) -> None:
    """Reading is decided by scoping (404 outside one's teams); writing by the role in the team.
    The refusal is Django's PermissionDenied, which pages and the API alike answer with a 403."""
    actual = user_role_in(user=user, team_id=team.pk)
    if role == Membership.Role.MANAGER:
        allowed, who = (Membership.Role.MANAGER,), "managers"
    else:
        allowed, who = (Membership.Role.RESPONDER, Membership.Role.MANAGER), "responders and managers"
    if actual not in allowed:
        raise PermissionDenied(f"Your role in team {team.name} is {actual or 'none'}; only {who} can {to}.")
