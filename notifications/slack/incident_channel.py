"""An incident's own Slack channel, opened by `/incident declare`: named after the incident, the
incident's message posted there and kept up to date (sync.py), and everyone paged invited as
they are paged. Commands typed there act on the incident; 📌 there adds to its timeline."""
import logging
import re
import unicodedata
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from slack_sdk.errors import SlackApiError

from config.celery import send_after_commit
from incidents.models import Incident, TimelineEvent
from incidents.selectors import incident_escalation_plan
from incidents.services import timeline_add
from oncall.policies import step_users_at

from ..channels import DeliveryError
from ..channels.slack import incident_blocks, post_to_channel, slack_errors
from ..clients import slack_client
from ..messages import render_text
from ..models import IncidentSlackChannel, Page, SlackPost
from .people import slack_ids_of

log = logging.getLogger(__name__)

# https://docs.slack.dev/reference/methods/conversations.create#naming: lowercase letters,
# digits, hyphens and underscores, at most 80 characters.
MAX_NAME = 80
# The title part: enough words to recognise the incident in a sidebar, short enough to read.
MAX_TITLE_SLUG = 40
NAME_ATTEMPTS = 5


def incident_channel_name(*, number: int, title: str, attempt: int = 1) -> str:
    """`inc-42-checkout-returns-5xx`; the second try at a taken name ends in `-2`, and so on."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")
    if len(slug) > MAX_TITLE_SLUG:
        cut = slug[:MAX_TITLE_SLUG + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:MAX_TITLE_SLUG]
    suffix = f"-{attempt}" if attempt > 1 else ""
    name = f"inc-{number}" + (f"-{slug}" if slug else "")
    return name[:MAX_NAME - len(suffix)].rstrip("-") + suffix


def incident_for_channel(*, channel_id: str) -> Incident | None:
    room = (IncidentSlackChannel.objects.filter(channel_id=channel_id)
            .select_related("incident__service", "incident__team").first()) if channel_id else None
    return room.incident if room else None


def incident_channel_open_later(*, incident: Incident, by: User) -> None:
    send_after_commit("notifications.slack_incident_channel_open", args=[incident.pk, by.pk])


def incident_channel_open(*, incident_id: int, by_id: int | None) -> IncidentSlackChannel:
    """Create the channel (once per incident), post the incident there and invite the people
    paged, the declarer and whoever is on call for the first step. Run again (a retry after a
    rate limit), it only invites whoever is still missing."""
    incident = Incident.objects.select_related("service", "team", "acknowledged_by", "resolved_by").get(pk=incident_id)
    by = User.objects.filter(pk=by_id).first() if by_id else None
    room = IncidentSlackChannel.objects.filter(incident=incident).first() or _open(incident, by)
    first_step = _first_step_oncall(incident)
    incident_channel_invite(incident_id=incident.pk, also_user_ids=[*([by.pk] if by else []), *first_step])
    return room


def incident_channel_failed(*, incident_id: int, reason: str) -> None:
    incident = Incident.objects.get(pk=incident_id)
    timeline_add(incident=incident, kind="warning", via=TimelineEvent.Via.SLACK,
                 text=f"Vigil could not open a Slack channel for the incident: {reason}")


def incident_channel_invite_later(*, incident_id: int) -> None:
    """Hook for the engine: people just paged join the incident's channel, if it has one."""
    if IncidentSlackChannel.objects.filter(incident_id=incident_id).exists():
        send_after_commit("notifications.slack_incident_channel_invite", args=[incident_id])


def incident_channel_invite(*, incident_id: int, also_user_ids: list[int] = ()) -> list[str]:
    """Invite everyone paged for the incident (and `also_user_ids`) who has a Slack account
    linked and was not invited yet; returns the member ids invited."""
    room = IncidentSlackChannel.objects.filter(incident_id=incident_id).first()
    if room is None:
        return []
    paged = Page.objects.filter(incident_id=incident_id).order_by("created_at", "id").values_list("user_id", flat=True)
    user_ids = list(dict.fromkeys([*also_user_ids, *paged]))
    by_user = slack_ids_of(user_ids=user_ids)
    wanted = [by_user[u] for u in user_ids if u in by_user and by_user[u] not in room.invited]
    invited = []
    for member in dict.fromkeys(wanted):
        if _invite(room.channel_id, member):
            invited.append(member)
    if invited:
        with transaction.atomic():
            locked = IncidentSlackChannel.objects.select_for_update().get(pk=room.pk)
            locked.invited = list(dict.fromkeys([*locked.invited, *invited]))
            locked.save(update_fields=["invited"])
    return invited


def _open(incident: Incident, by: User | None) -> IncidentSlackChannel:
    channel_id, name = _create(incident)
    try:
        with transaction.atomic():
            room = IncidentSlackChannel.objects.create(incident=incident, channel_id=channel_id, name=name)
            timeline_add(incident=incident, kind="slack_channel", actor=by, via=TimelineEvent.Via.SLACK,
                         text=f"Slack channel #{name} opened for the incident.",
                         data={"channel_id": channel_id, "name": name})
    except IntegrityError:  # another worker opened one first; ours stays empty
        log.warning("incident %s: a second Slack channel %s was created and is unused", incident.pk, channel_id)
        return IncidentSlackChannel.objects.get(incident=incident)
    _post_incident(incident, room)
    return room


def _create(incident: Incident) -> tuple[str, str]:
    client = slack_client()
    for attempt in range(1, NAME_ATTEMPTS + 1):
        name = incident_channel_name(number=incident.number, title=incident.title, attempt=attempt)
        with slack_errors():
            try:
                return client.conversations_create(name=name, is_private=False)["channel"]["id"], name
            except SlackApiError as e:
                # Incident numbers count per team, so two teams' #42 can want the same name.
                if e.response.get("error") != "name_taken":
                    raise
    raise DeliveryError(f"the channel names inc-{incident.number}-… are all taken", permanent=True)


def _invite(channel_id: str, member: str) -> bool:
    """One member per call: Slack fails a whole multi-member invite when one of them is already
    in the channel or gone, and one bad account must not keep the others out."""
    try:
        with slack_errors():
            try:
                slack_client().conversations_invite(channel=channel_id, users=member)
            except SlackApiError as e:
                if e.response.get("error") not in ("already_in_channel", "cant_invite_self"):
                    raise
    except DeliveryError as e:
        if e.retry_after is not None:
            raise  # rate limited: the task retries the rest later
        log.warning("inviting %s to Slack channel %s failed: %s", member, channel_id, e.message)
        return False
    return True


def _post_incident(incident: Incident, room: IncidentSlackChannel) -> None:
    text = render_text("notifications/slack_incident.txt", {"incident": incident, "service": incident.service})
    try:
        _, ts = post_to_channel(channel=room.channel_id, text=text,
                                blocks=incident_blocks(text=text, incident_id=incident.pk, status=incident.status))
    except DeliveryError as e:
        log.warning("posting incident %s to its Slack channel failed: %s", incident.pk, e.message)
        return
    SlackPost.objects.get_or_create(incident=incident, channel=room.channel_id, defaults={"ts": ts})


def _first_step_oncall(incident: Incident, at: datetime | None = None) -> list[int]:
    steps = incident_escalation_plan(incident=incident).steps
    if not steps:
        return []
    step = steps[0]
    if step.person is not None:
        return [step.person.pk]
    return [u.pk for u in step_users_at(step=step.policy_step, at=at or timezone.now())]
