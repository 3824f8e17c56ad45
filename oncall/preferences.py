"""A person's own notification preferences beyond contact methods and rules."""
from django.contrib.auth.models import User

from .models import Profile


def notify_on_resolve_of(*, user: User) -> bool:
    """Whether the person hears when incidents they acknowledged or follow are resolved (default on)."""
    return Profile.objects.filter(user_id=user.pk).values_list("notify_on_resolve", flat=True).first() is not False


def profile_notify_on_resolve_set(*, user: User, on: bool) -> Profile:
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"notify_on_resolve": on})
    return profile
