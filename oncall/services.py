from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, Membership, Team, hash_secret, new_secret


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw value, which is never stored or shown again."""
    raw = new_secret("vgl")
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_secret(raw), key_prefix=raw[:10])
    return token, raw


def api_token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def team_create(*, name: str, slug: str, description: str = "", manager: User | None = None) -> Team:
    with transaction.atomic():
        team = Team.objects.create(name=name, slug=slug, description=description)
        if manager is not None:
            Membership.objects.create(team=team, user=manager, role=Membership.Role.MANAGER)
    return team


def membership_set(*, team: Team, user: User, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(team=team, user=user, defaults={"role": role})
    return membership
