"""Telling a team's managers that Vigil stopped calling one of their webhooks (it failed for a
day): by email to their verified addresses, or their account's address, through the email
channel (the console outbox in the demo)."""
import logging

from incidents.models import WebhookEndpoint
from oncall.models import ContactMethod, Membership

from .channels import ChannelNotConfigured, DeliveryError, channel_for
from .channels.base import Message

log = logging.getLogger(__name__)


def webhook_endpoint_disabled_notify(*, endpoint_id: int) -> int:
    """Returns how many managers were told."""
    endpoint = WebhookEndpoint.objects.select_related("team").get(pk=endpoint_id)
    text = (f"Vigil stopped sending incident events to {endpoint.url} for team {endpoint.team.name}: "
            f"{endpoint.disabled_reason}.\n\nFix the receiver, then enable the webhook again "
            f"(PATCH /api/v1/webhooks/{endpoint.pk}/ with {{\"enabled\": true}}). Events of the past day were "
            "not delivered; the delivery log lists them.")
    told = 0
    for membership in Membership.objects.filter(team=endpoint.team, role=Membership.Role.MANAGER).select_related("user"):
        user = membership.user
        method = ContactMethod.objects.filter(user=user, kind="email", verified_at__isnull=False,
                                              disabled_at__isnull=True).first()
        address = method.value if method else user.email
        if not address:
            continue
        try:
            channel_for("email").send(Message(user=user, kind="email", to=address, text=text,
                                              subject=f"Vigil disabled a webhook of team {endpoint.team.name}"))
        except (ChannelNotConfigured, DeliveryError) as e:
            log.warning("could not tell manager %s about disabled webhook %s: %s", user.pk, endpoint.pk, e)
            continue
        told += 1
    return told
