"""Slack's Events API: the URL-verification handshake, and 📌 on a message in an incident's
channel, which adds that message to the incident's timeline at the time it was posted.

Slack wants every event acknowledged within 3 seconds (it retries otherwise), so the request
only records the event and the message is fetched by a task after commit.
https://docs.slack.dev/apis/events-api/#responding
"""
import logging
import re
from datetime import UTC, datetime

from django.db import transaction

from config.celery import send_after_commit
from incidents.models import TimelineEvent
from incidents.services import timeline_add

from ..channels.slack import slack_errors
from ..clients import slack_client
from ..replay import webhook_receipt_claim
from .incident_channel import incident_for_channel
from .people import slack_linked_user

log = logging.getLogger(__name__)

PIN = "pushpin"  # 📌 (📍 is round_pushpin: a place, not a bookmark)
TEXT_LIMIT = 10_000  # a timeline note's own limit
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def event_received(*, payload: dict) -> dict:
    """What to answer Slack: the challenge for the handshake, else an empty acknowledgement."""
    kind = payload.get("type")
    if kind == "url_verification":
        return {"challenge": str(payload.get("challenge", ""))}
    event = payload.get("event") if kind == "event_callback" else None
    if not isinstance(event, dict) or event.get("type") != "reaction_added" or event.get("reaction") != PIN:
        return {}
    item = event.get("item") or {}
    channel, ts = str(item.get("channel", "")), str(item.get("ts", ""))
    if item.get("type") != "message" or not ts or incident_for_channel(channel_id=channel) is None:
        return {}
    # Slack retries an event it thinks was not acknowledged, with the same event_id.
    event_id = payload.get("event_id") or f"{channel}:{ts}:{event.get('user')}:{event.get('event_ts')}"
    key = f"slack-event:{event_id}"
    with transaction.atomic():
        if webhook_receipt_claim(key=key):
            send_after_commit("notifications.slack_pin_add", args=[channel, ts, str(event.get("user", ""))])
    return {}


def slack_pin_add(*, channel_id: str, ts: str, pinned_by: str = "") -> TimelineEvent | None:
    """Add the pinned message to its incident's timeline, once per message however often it is
    pinned, stamped with the time it was posted and its author."""
    incident = incident_for_channel(channel_id=channel_id)
    if incident is None or _already_pinned(incident, channel_id, ts):
        return None
    message = _fetch(channel_id, ts)
    if message is None:
        log.info("pinned Slack message %s/%s is gone", channel_id, ts)
        return None
    author = slack_linked_user(slack_user_id=str(message.get("user", "")))
    name = author.get_username() if author else _slack_name(message)
    pinner = slack_linked_user(slack_user_id=pinned_by)
    text = _plain(message.get("text", ""))
    if author is None:  # the timeline shows a linked author as the actor; anyone else by name
        text = f"{name} on Slack: {text}"
    with transaction.atomic():
        if not webhook_receipt_claim(key=f"slack-pin:{channel_id}:{ts}"):
            return None
        return timeline_add(
            incident=incident, kind="slack_pin", actor=author, via=TimelineEvent.Via.SLACK,
            at=datetime.fromtimestamp(float(ts), tz=UTC), text=text[:TEXT_LIMIT],
            data={"slack_channel": channel_id, "slack_ts": ts, "author": name,
                  "pinned_by": pinner.get_username() if pinner else pinned_by})


def _already_pinned(incident, channel_id: str, ts: str) -> bool:
    return incident.timeline.filter(kind="slack_pin", data__slack_channel=channel_id, data__slack_ts=ts).exists()


def _fetch(channel_id: str, ts: str) -> dict | None:
    client = slack_client()
    with slack_errors():
        found = client.conversations_history(channel=channel_id, latest=ts, inclusive=True, limit=1)["messages"]
        if found and found[0].get("ts") == ts:
            return found[0]
        # A reply in a thread is not in the channel's history, only in its thread; Slack lists
        # the thread's parent first whatever the window, so no limit of 1 here.
        found = client.conversations_replies(channel=channel_id, ts=ts, latest=ts, oldest=ts,
                                             inclusive=True)["messages"]
    return next((m for m in found if m.get("ts") == ts), None)


def _slack_name(message: dict) -> str:
    """The author's Slack name for someone not linked to Vigil (scope users:read)."""
    if message.get("bot_profile") or not message.get("user"):
        return str((message.get("bot_profile") or {}).get("name") or message.get("username") or "a Slack app")
    member = str(message["user"])
    try:
        with slack_errors():
            user = slack_client().users_info(user=member)["user"]
    except Exception as e:  # the name is a nicety; the pin still counts
        log.info("users.info %s failed: %s", member, e)
        return member
    profile = user.get("profile") or {}
    return str(profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name") or member)


def _plain(text: str) -> str:
    """Slack markup as a person would read it: mentions by name, links as their address."""
    text = _MENTION.sub(lambda m: f"@{m[2] or m[1]}", text or "")
    text = _LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] else m[1], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
