"""Who a Slack member is in Vigil, and back. A person links their Slack account by adding their
member id (U…) as a verified Slack contact method; nothing else maps the two."""
from collections.abc import Iterable

from django.contrib.auth.models import User

from oncall.models import ContactMethod


def slack_linked_user(*, slack_user_id: str) -> User | None:
    if not slack_user_id:
        return None
    method = (ContactMethod.objects.filter(kind=ContactMethod.Kind.SLACK, value=slack_user_id,
                                           verified_at__isnull=False, user__is_active=True)
              .select_related("user").order_by("id").first())
    return method.user if method else None


def slack_ids_of(*, user_ids: Iterable[int]) -> dict[int, str]:
    """{Vigil user id: Slack member id} for those who linked one (their first usable one)."""
    ids: dict[int, str] = {}
    for user_id, value in (ContactMethod.objects.filter(
            kind=ContactMethod.Kind.SLACK, user_id__in=list(user_ids), verified_at__isnull=False,
            disabled_at__isnull=True).order_by("id").values_list("user_id", "value")):
        ids.setdefault(user_id, value)
    return ids


NOT_LINKED = ("Your Slack account is not linked to a Vigil person (add your Slack member id as a Slack "
              "contact method in your Vigil profile and verify it), so nothing was changed.")
