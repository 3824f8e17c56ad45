from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.models_util import apply_changes

from .audit.recording import audit_updated
from .models import ApiToken, Membership, Team, hash_secret, new_secret


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored or shown again."""
    raw = new_secret("vgl")
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_secret(raw), key_prefix=raw[:10])
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        audit_updated(model=ApiToken, pk=token.pk, revoked_at=timezone.now())


def team_create(*, name: str, slug: str, description: str = "", manager: User | None = None) -> Team:
    with transaction.atomic():
        team = Team.objects.create(name=name, slug=slug, description=description)
        if manager is not None:
            Membership.objects.create(team=team, user=manager, role=Membership.Role.MANAGER)
    return team


def membership_set(*, team: Team, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return membership


def team_update(
    *, team: Team, name: str | None = None, slug: str | None = None, description: str | None = None,
) -> Team:
    apply_changes(team, name=name, slug=slug, description=description)
    return team


def _ensure_another_manager(membership: Membership) -> None:
    managers = Membership.objects.filter(team_id=membership.team_id, role=Membership.Role.MANAGER)
    if membership.role == Membership.Role.MANAGER and not managers.exclude(pk=membership.pk).exists():
        raise ValidationError(
            f"{membership.user} is the last manager of {membership.team}; make someone else a manager first."
        )


def _locked(membership: Membership) -> Membership:
    # The team row's lock serialises membership changes, so two managers demoting each other at
    # once cannot both pass the last-manager check.
    list(Team.objects.select_for_update().filter(pk=membership.team_id).values_list("pk"))
    return Membership.objects.select_related("team", "user").get(pk=membership.pk)


def membership_change_role(*, membership: Membership, role: str) -> Membership:
    """Like membership_set, but refuses to leave a team without a manager."""
    with transaction.atomic():
        membership = _locked(membership)
        if role != Membership.Role.MANAGER:
            _ensure_another_manager(membership)
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def membership_remove(*, membership: Membership) -> None:
    with transaction.atomic():
        membership = _locked(membership)
        _ensure_another_manager(membership)
        membership.delete()


def membership_add(*, team: Team, user: User, role: str) -> Membership:
    """Unlike membership_set, refuses to silently change the role of someone already in the team."""
    existing = Membership.objects.filter(team=team, user=user).first()
    if existing:
        raise ValidationError({"user": f"{user.username} is already a {existing.role} of {team.name}; "
                                       f"change the role of membership {existing.pk} instead."})
    return Membership.objects.create(team=team, user=user, role=role)
