"""Slack messages about an incident follow it: the service channel's message and every DM page
are rewritten in place (chat.update) when the incident is acknowledged, mitigated or resolved."""
import logging

from django.db import IntegrityError

from incidents.models import Incident

from ..channels import DeliveryError
from ..channels.slack import incident_blocks, post_to_channel, update_message
from ..clients import slack_configured
from ..links import ack_url
from ..messages import SHADOW_MARK, is_shadow_copy, render_text
from ..models import Delivery, SlackPost
from ..page_alerts import page_alerts

log = logging.getLogger(__name__)


def incident_slack_sync(*, incident_id: int) -> int:
    """Post or update what Slack shows of the incident; returns how many messages were touched."""
    if not slack_configured():
        return 0
    incident = Incident.objects.select_related("service", "acknowledged_by", "resolved_by").filter(pk=incident_id).first()
    if incident is None:
        return 0
    text = render_text("notifications/slack_incident.txt", {"incident": incident, "service": incident.service,
                                                                "alerts": page_alerts(incident)})
    touched = _sync_channel(incident, text)
    # The incident's own channel (/incident declare) keeps its message current too.
    for post in SlackPost.objects.filter(incident=incident).exclude(channel=incident.service.slack_channel):
        touched += _update(post.channel, post.ts, text, incident_blocks(text=text, incident_id=incident.pk,
                                                                        status=incident.status))
    for delivery in Delivery.objects.filter(page__incident=incident, kind="slack",
                                            status__in=["sent", "delivered"]).select_related("page"):
        channel, _, ts = delivery.provider_id.partition(":")
        if ts:
            link = ack_url(incident_id=incident.pk, user_id=delivery.page.user_id)
            shadow = is_shadow_copy(delivery)
            shown = SHADOW_MARK + text if shadow else text  # still a copy once the incident moves on
            touched += _update(channel, ts, shown, incident_blocks(text=shown, incident_id=incident.pk,
                                                                     status=incident.status, ack_url=link,
                                                                     shadow=shadow))
    return touched


def _sync_channel(incident: Incident, text: str) -> int:
    channel = incident.service.slack_channel
    if not channel:
        return 0
    blocks = incident_blocks(text=text, incident_id=incident.pk, status=incident.status)
    post = SlackPost.objects.filter(incident=incident, channel=channel).first()
    if post is not None:
        return _update(post.channel, post.ts, text, blocks)
    try:
        posted_channel, ts = post_to_channel(channel=channel, text=text, blocks=blocks)
    except DeliveryError as e:
        log.warning("posting incident %s to Slack channel %s failed: %s", incident.pk, channel, e.message)
        return 0
    try:
        SlackPost.objects.create(incident=incident, channel=channel, ts=ts)
    except IntegrityError:  # another worker posted first; ours is a duplicate to tidy later
        log.info("duplicate Slack post for incident %s", incident.pk)
    return 1


def _update(channel: str, ts: str, text: str, blocks: list) -> int:
    try:
        update_message(channel=channel, ts=ts, text=text, blocks=blocks)
    except DeliveryError as e:
        log.warning("updating Slack message %s/%s failed: %s", channel, ts, e.message)
        return 0
    return 1
