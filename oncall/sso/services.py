"""Accounts and team memberships from a single sign-on's claims.

A person's groups at the provider decide the memberships those groups grant (config/oidc.py,
OIDC_TEAM_GROUPS): at each login such a membership is added, its role changed, or removed when no
group grants it any more. Memberships granted in Vigil (by a manager, the API, the admin) are the
team's own decision and a login never changes or removes them.
"""
import logging
import re

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from ..audit.context import audit_context
from ..models import Membership, Team

logger = logging.getLogger(__name__)

_ROLE_RANK = {Membership.Role.VIEWER: 0, Membership.Role.RESPONDER: 1, Membership.Role.MANAGER: 2}
_NOT_IN_USERNAMES = re.compile(r"[^\w.@+-]")
_USERNAME_MAX = 150


def sso_user_create(*, claims: dict) -> User:
    """A new account for a verified email no account has: named after the provider's
    preferred_username (or the email's local part), made unique with a number."""
    with transaction.atomic():
        user = User(username=_free_username(claims), email=claims["email"])
        _apply_names(user, claims)
        user.set_unusable_password()  # the provider vouches for this person; Vigil holds no password
        user.save()
        _sync_memberships(user=user, claims=claims)
    return user


def sso_user_update(*, user: User, claims: dict) -> User:
    with transaction.atomic():
        if _apply_names(user, claims):
            user.save(update_fields=["first_name", "last_name"])
        _sync_memberships(user=user, claims=claims)
    return user


def memberships_sync_from_groups(*, user: User, groups: list[str]) -> None:
    """Make the memberships that groups grant match `groups`; leave the ones granted in Vigil."""
    wanted = _roles_granted(groups)
    with transaction.atomic(), audit_context(via="sso", user=user):
        # Two logins of one person at once would otherwise both add the same membership.
        list(User.objects.select_for_update().filter(pk=user.pk).values_list("pk"))
        current = {m.team_id: m for m in Membership.objects.select_for_update().filter(user=user)}
        for team_id, role in wanted.items():
            membership = current.get(team_id)
            if membership is None:
                Membership.objects.create(team_id=team_id, user=user, role=role, from_sso_groups=True)
            elif membership.from_sso_groups and membership.role != role:
                membership.role = role
                membership.save(update_fields=["role"])
        for team_id, membership in current.items():
            if membership.from_sso_groups and team_id not in wanted:
                membership.delete()


def _roles_granted(groups: list[str]) -> dict[int, str]:
    """team id -> the highest role any of the person's groups grants there."""
    mappings = [m for m in settings.OIDC_TEAM_GROUPS if m.group in set(groups)]
    names = {m.team for m in mappings}
    teams = Team.objects.filter(Q(name__in=names) | Q(slug__in=names)).values_list("pk", "name", "slug")
    team_ids = {key: pk for pk, name, slug in teams for key in (name, slug)}
    wanted: dict[int, str] = {}
    for mapping in mappings:
        team_id = team_ids.get(mapping.team)
        if team_id is None:
            logger.warning("OIDC_TEAM_GROUPS names team %r, which does not exist", mapping.team)
            continue
        if team_id not in wanted or _ROLE_RANK[mapping.role] > _ROLE_RANK[wanted[team_id]]:
            wanted[team_id] = mapping.role
    return wanted


def _sync_memberships(*, user: User, claims: dict) -> None:
    claim = settings.OIDC_GROUPS_CLAIM
    if not claim:
        return
    groups = claims.get(claim)
    if groups is None:
        # A missing claim is more often a provider not asked for it (a scope, a mapper) than a
        # person in no group: dropping every membership on that guess would lock the team out.
        logger.warning("single sign-on for %s carried no %r claim; team memberships left as they were", user.username, claim)
        return
    if isinstance(groups, str):
        groups = [groups]
    memberships_sync_from_groups(user=user, groups=[str(group) for group in groups])


def _apply_names(user: User, claims: dict) -> bool:
    first = claims.get("given_name") or ""
    last = claims.get("family_name") or ""
    if not (first or last) and claims.get("name"):
        first, _, last = str(claims["name"]).partition(" ")
    first, last = str(first)[:150], str(last)[:150]
    if not (first or last) or (user.first_name, user.last_name) == (first, last):
        return False
    user.first_name, user.last_name = first, last
    return True


def _free_username(claims: dict) -> str:
    wanted = claims.get("preferred_username") or claims["email"].partition("@")[0]
    base = _NOT_IN_USERNAMES.sub("", str(wanted))[:_USERNAME_MAX - 4] or "user"
    taken = set(User.objects.filter(username__istartswith=base).values_list("username", flat=True))
    taken = {name.lower() for name in taken}
    candidate, number = base, 1
    while candidate.lower() in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate
