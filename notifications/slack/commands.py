"""Slash commands. The Slack app registers `/incident` and `/oncall` on one URL (and `/vigil`,
the older name, for both): dispatch on the command, then on the first word of `/incident`'s text.

Inside an incident's own channel the channel says which incident `ack`, `resolve`, `note` and
`sev` are about; elsewhere `ack 42` and `resolve 42` name it. What changes an incident is
answered in the channel, so that everyone there sees it; errors, usage and `/oncall` only to the
person who typed them."""
import re
from dataclasses import dataclass

from django.contrib.auth.models import User

from incidents.models import Incident, IncidentRole, Service, Severity, TimelineEvent
from incidents.selectors import services_visible_to
from incidents.services import IncidentError, incident_note_add, incident_severity_set, incident_trigger
from incidents.status_updates import status_update_post
from incidents.workflow import incident_role_assign
from oncall.access import user_can_respond

from .. import responder_actions
from ..channels.slack import escape
from .incident_channel import incident_channel_open_later, incident_for_channel
from .oncall import oncall_answer
from .people import NOT_LINKED, slack_linked_user

USAGE = "\n".join([
    "Usage:",
    "`/incident declare <title> [--service <name>]`: open an incident, and a Slack channel for it",
    "`/incident ack`, `/incident resolve`: in an incident's channel (elsewhere `/incident ack 42`)",
    "`/incident note <text>`: add a note to the incident's timeline (in its channel)",
    "`/incident sev <1-5>`: set the incident's severity (in its channel)",
    "`/incident role commander|scribe|comms @person`: give a role of the response (in its channel)",
    "`/incident update <conditions> | <actions> [| <needs>]`: post a status update (in its channel)",
    "`/oncall [team]`: who is on call now",
    "`/vigil` works for both: `/vigil declare …`, `/vigil oncall [team]`.",
])
# Slack's clients may turn a typed "--" into a dash; either way it is the flag.
_SERVICE_FLAG = re.compile(r"(?:^|\s)(?:--|—|–)service(?:=|\s+)(?P<name>.*)$", re.S)
_SEVERITY = re.compile(r"^(?:sev)?\s*([1-5])$", re.I)
# What Slack sends for a typed mention: <@U0123ABCD> or <@U0123ABCD|name>.
_MENTION = re.compile(r"^<@(?P<id>[UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_ROLES = {"commander": IncidentRole.Role.COMMANDER, "ic": IncidentRole.Role.COMMANDER,
          "scribe": IncidentRole.Role.SCRIBE, "comms": IncidentRole.Role.COMMUNICATIONS,
          "communications": IncidentRole.Role.COMMUNICATIONS}


@dataclass(frozen=True)
class Reply:
    text: str
    in_channel: bool = False

    def as_json(self) -> dict:
        return {"response_type": "in_channel" if self.in_channel else "ephemeral", "text": self.text}


def command_received(*, command: str, text: str, slack_user_id: str, channel_id: str) -> Reply:
    text = _unescape(text).strip()
    first, _, rest = text.partition(" ")
    command = command.strip().lower()
    if command == "/oncall" or (command == "/vigil" and first.lower() == "oncall"):
        user = slack_linked_user(slack_user_id=slack_user_id)
        if user is None:
            return Reply("Your Slack account is not linked to a Vigil person (add your Slack member id as a Slack "
                         "contact method in your Vigil profile), so Vigil cannot tell which teams are yours.")
        return Reply(oncall_answer(user=user, team_name=(rest if command == "/vigil" else text).strip()))
    if command not in ("/incident", "/vigil"):
        return Reply(f"Vigil does not know the command {command or '(none)'}.\n{USAGE}")
    return _incident(text=text, slack_user_id=slack_user_id, channel_id=channel_id)


def _incident(*, text: str, slack_user_id: str, channel_id: str) -> Reply:
    word, _, rest = text.partition(" ")
    word, rest = word.lower(), rest.strip()
    if word not in ("declare", "ack", "acknowledge", "resolve", "note", "sev", "severity", "role", "update"):
        if not word or word == "help":
            return Reply(USAGE)
        parsed = responder_actions.parse_reply(text)  # `ack 42`, `resolve #42`, `42 ack`
        if parsed is None or parsed[1] is None:
            return Reply(f"Vigil does not know `{escape(word)}`.\n{USAGE}")
        word, rest = parsed[0], str(parsed[1])
    user = slack_linked_user(slack_user_id=slack_user_id)
    if user is None:
        return Reply(NOT_LINKED)
    if word == "declare":
        return declare(user=user, text=rest, channel_id=channel_id)
    acting = word in ("ack", "acknowledge", "resolve")
    if acting and rest:
        return _numbered(slack_user_id=slack_user_id, word=word, number=rest)
    incident = incident_for_channel(channel_id=channel_id)
    if incident is None:
        example = {"note": " <text>", "sev": " 2", "severity": " 2", "role": " commander @person",
                   "update": " <conditions> | <actions>"}.get(word, "")
        elsewhere = " Elsewhere name the incident: `/incident ack 42`." if acting else ""
        return Reply(f"`/incident {word}{example}` works in an incident's own Slack channel, and this is not one."
                     f"{elsewhere}")
    if not responder_actions.may_act(user=user, incident=incident):
        return Reply(f"You were not paged for incident #{incident.number} and are not a responder of its team, "
                     "so nothing was changed.")
    if acting:
        outcome = responder_actions.act(user=user, incident=incident, action=responder_actions.ACTIONS[word], via=TimelineEvent.Via.SLACK)
        return Reply(outcome.text, in_channel=outcome.ok)
    if word == "note":
        return _note(user=user, incident=incident, text=rest)
    if word == "role":
        return _role(user=user, incident=incident, text=rest)
    if word == "update":
        return _status_update(user=user, incident=incident, text=rest)
    return _severity(user=user, incident=incident, value=rest)


def _status_update(*, user: User, incident: Incident, text: str) -> Reply:
    """`update <conditions> | <actions> [| <needs>]`: the three parts of a status update, which goes
    to the service's channel and the incident's followers like one posted from the page."""
    parts = [part.strip() for part in text.split("|")]
    if len(parts) < 2 or len(parts) > 3 or not parts[0] or not parts[1]:
        return Reply("A status update says what is happening and what is being done: "
                     "`/incident update <conditions> | <actions> [| <needs>]`.")
    conditions, actions, needs = (parts + [""])[:3]
    try:
        status_update_post(incident=incident, by=user, via=TimelineEvent.Via.SLACK, conditions=conditions,
                           actions=actions, needs=needs)
    except IncidentError as e:
        return Reply(escape(e.message))
    return Reply(f"Status update on incident #{incident.number} by {escape(user.get_username())}: "
                 f"{escape(conditions)} Actions: {escape(actions)}" + (f" Needs: {escape(needs)}" if needs else ""),
                 in_channel=True)


def _role(*, user: User, incident: Incident, text: str) -> Reply:
    """`role commander @bob`: the person is named by a Slack mention of someone linked to Vigil."""
    name, _, who = text.partition(" ")
    role = _ROLES.get(name.lower())
    mention = _MENTION.match(who.strip())
    if role is None or mention is None:
        return Reply("Name a role and a person: `/incident role commander @person` (roles: commander, scribe, comms).")
    holder = slack_linked_user(slack_user_id=mention["id"])
    if holder is None:
        return Reply(f"<@{mention['id']}> has no Slack account linked to Vigil, so they cannot hold a role.")
    try:
        incident_role_assign(incident=incident, role=role, user=holder, by=user, via=TimelineEvent.Via.SLACK)
    except IncidentError as e:
        return Reply(escape(e.message))
    return Reply(f"{escape(holder.get_username())} is now {IncidentRole.Role(role).label.lower()} of incident "
                 f"#{incident.number} (named by {escape(user.get_username())}).", in_channel=True)


def _numbered(*, slack_user_id: str, word: str, number: str) -> Reply:
    """`ack 42` anywhere: the number, within the caller's teams or pages, says which incident."""
    if not number.lstrip("#").isdigit():
        return Reply(f"`{escape(number)}` is not an incident number: type `/incident {word} 42`.")
    outcome = responder_actions.slack_command(slack_user_id=slack_user_id, action=responder_actions.ACTIONS[word],
                                    number=int(number.lstrip("#")))
    return Reply(outcome.text)


def declare(*, user: User, text: str, channel_id: str) -> Reply:
    title, service_name = text, ""
    flag = _SERVICE_FLAG.search(text)
    if flag:
        title, service_name = text[:flag.start()], flag["name"].strip().strip("\"'“”")
    title = title.strip()
    if not title:
        return Reply("An incident needs a title: `/incident declare <title> [--service <name>]`.")
    service, problem = _service_for(user=user, name=service_name, channel_id=channel_id)
    if service is None:
        return Reply(problem)
    if not user_can_respond(user=user, team_id=service.team_id):
        return Reply(f"Only responders of {escape(service.team.name)} can declare incidents on "
                     f"{escape(service.name)}, so nothing was opened.")
    incident, _ = incident_trigger(service=service, title=title, by=user, via=TimelineEvent.Via.SLACK,
                                   source="slack")
    incident_channel_open_later(incident=incident, by=user)
    return Reply(f"{escape(user.get_username())} declared incident #{incident.number}: {escape(incident.title)} "
                 f"on {escape(service.name)} ({incident.severity}). Paging has started; a Slack channel for it "
                 "is being opened, and the people paged are invited.", in_channel=True)


def _service_for(*, user: User, name: str, channel_id: str) -> tuple[Service | None, str]:
    """The service named by --service (among the caller's), else the one linked to this channel."""
    mine = services_visible_to(user).order_by("name")
    if name:
        found = list(mine.filter(name__iexact=name)[:2])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, (f"Several of your teams have a service named {escape(name)}; ask an admin to "
                          "give them distinct names.")
        return None, f"You have no service named {escape(name)}. {_choices(mine)}"
    linked = list(mine.filter(slack_channel=channel_id)[:2]) if channel_id else []
    if len(linked) == 1:
        return linked[0], ""
    if linked:
        return None, f"Several services post to this channel. {_choices(mine.filter(slack_channel=channel_id))}"
    return None, f"This channel is not linked to any of your services. {_choices(mine)}"


def _choices(services) -> str:
    names = [s.name for s in services[:30]]
    if not names:
        return "You are not a member of any team with services, so there is nothing to declare on."
    return ("Add `--service <name>` with one of: " + ", ".join(f"`{escape(n)}`" for n in names) + ".")


def _note(*, user: User, incident: Incident, text: str) -> Reply:
    try:
        incident_note_add(incident=incident, by=user, via=TimelineEvent.Via.SLACK, text=text)
    except IncidentError as e:
        return Reply(f"{e.message} Type `/incident note <text>`.")
    return Reply(f"Noted on #{incident.number}'s timeline: {escape(text)}", in_channel=True)


def _severity(*, user: User, incident: Incident, value: str) -> Reply:
    match = _SEVERITY.match(value.strip())
    if not match:
        return Reply(f"Severity is a number from 1 (critical) to 5 (cosmetic): `/incident sev 2`"
                     f"{f', not {escape(value)}' if value else ''}.")
    try:
        incident = incident_severity_set(incident=incident, severity=f"SEV{match[1]}", by=user,
                                         via=TimelineEvent.Via.SLACK)
    except IncidentError as e:
        return Reply(e.message)
    return Reply(f"#{incident.number} is now {Severity(incident.severity).label}.", in_channel=True)


def _unescape(text: str) -> str:
    """Slack escapes &, < and > in what was typed."""
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
