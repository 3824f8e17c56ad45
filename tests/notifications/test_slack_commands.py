"""`/incident` and `/oncall` (and `/vigil` for both), each a signed request to one URL, against
the local Slack fake: declaring opens an incident and its own channel with the people paged in
it; inside that channel the channel says which incident a command is about."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_trigger
from notifications.models import IncidentSlackChannel, SlackPost
from notifications.slack.incident_channel import incident_channel_name
from notifications.slack.tasks import SLACK_RETRIES, slack_incident_channel_open
from tests.factories import MembershipFactory, ServiceFactory, UserFactory
from tests.notifications.engine_helpers import run_due_work, verified
from tests.notifications.slack_helpers import (
    ALICE,
    CAROL,
    SERVICE_CHANNEL,
    after_commit,
    command,
    run_slack_tasks,
    slack_world,
)

ROOM = "C0ROOM0042"


@pytest.fixture
def world(db, slack_fake):
    return slack_world()


@pytest.fixture
def room(world):
    """An open incident with its own channel ROOM."""
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    IncidentSlackChannel.objects.create(incident=incident, channel_id=ROOM, name="inc-1-checkout-5xx")
    return incident


def answer(response):
    assert response.status_code == 200
    return response.json()


# --- declare ---------------------------------------------------------------------------------

def test_declare_in_a_linked_channel_opens_an_incident_on_that_service(world, client):
    reply = answer(command(client, "/incident", "declare Checkout returns 502s"))
    incident = Incident.objects.get()
    assert (incident.service, incident.title, incident.status) == (world["service"], "Checkout returns 502s", "triggered")
    triggered = incident.timeline.get(kind="triggered")
    assert (triggered.actor, triggered.via) == (world["alice"], "slack")
    assert reply["response_type"] == "in_channel"  # the channel sees that an incident was declared
    assert f"#{incident.number}: Checkout returns 502s" in reply["text"]


def test_declare_opens_a_channel_posts_the_incident_and_invites_the_people_paged(world, client, slack_fake, sent_tasks):
    answer(command(client, "/incident", "declare Checkout returns 502s"))
    incident = Incident.objects.get()
    with after_commit():
        run_due_work()  # step 1 pages alice, on call
    run_slack_tasks(sent_tasks)

    room = IncidentSlackChannel.objects.get(incident=incident)
    assert room.name == f"inc-{incident.number}-checkout-returns-502s"
    assert slack_fake.channels[room.channel_id]["name"] == room.name
    assert ALICE in slack_fake.members(room.channel_id)
    post = SlackPost.objects.get(incident=incident, channel=room.channel_id)
    assert "Checkout returns 502s" in slack_fake.message(room.channel_id, post.ts)["text"]
    opened = incident.timeline.get(kind="slack_channel")
    assert opened.data == {"channel_id": room.channel_id, "name": room.name} and opened.actor == world["alice"]


def test_the_incident_message_in_its_channel_follows_the_incident(world, client, slack_fake, sent_tasks):
    answer(command(client, "/incident", "declare Checkout returns 502s"))
    run_slack_tasks(sent_tasks)
    room = IncidentSlackChannel.objects.get()
    answer(command(client, "/incident", "ack", channel_id=room.channel_id))
    run_slack_tasks(sent_tasks)
    post = SlackPost.objects.get(channel=room.channel_id)
    message = slack_fake.message(room.channel_id, post.ts)
    assert "Acknowledged" in message["text"] and "alice" in message["text"]
    assert slack_fake.posted_to(room.channel_id) == 1  # updated in place


def test_people_paged_later_are_invited_to_the_incident_channel_as_they_are_paged(world, client, slack_fake, sent_tasks):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        answer(command(client, "/incident", "declare Checkout returns 502s"))
        with after_commit():
            run_due_work()
        run_slack_tasks(sent_tasks)
        room = IncidentSlackChannel.objects.get()
        assert CAROL not in slack_fake.members(room.channel_id)

        clock.shift(timedelta(minutes=6))  # nobody acknowledged: step 2 pages carol
        with after_commit():
            run_due_work()
        run_slack_tasks(sent_tasks)
    assert slack_fake.members(room.channel_id).count(CAROL) == 1
    assert IncidentSlackChannel.objects.get().invited == [ALICE, CAROL]


def test_declare_with_a_service_flag_opens_it_there_from_any_channel(world, client):
    billing = ServiceFactory(team=world["team"], name="Billing API")
    reply = answer(command(client, "/incident", "declare Invoices stuck --service billing api", channel_id="C0RANDOM"))
    incident = Incident.objects.get()
    assert (incident.service, incident.title) == (billing, "Invoices stuck")
    assert reply["response_type"] == "in_channel"


def test_declare_takes_the_service_flag_after_slack_turned_its_dashes_into_one(world, client):
    answer(command(client, "/incident", "declare Checkout down —service checkout", channel_id="C0RANDOM"))
    assert Incident.objects.get().title == "Checkout down"


def test_declare_without_a_linked_channel_or_a_service_asks_which_of_the_callers_services(world, client):
    ServiceFactory(team=world["team"], name="billing")
    ServiceFactory(name="someone-elses")
    reply = answer(command(client, "/incident", "declare Invoices stuck", channel_id="C0RANDOM"))
    assert reply["response_type"] == "ephemeral"
    assert "not linked to any of your services" in reply["text"]
    assert "`billing`" in reply["text"] and "`checkout`" in reply["text"] and "someone-elses" not in reply["text"]
    assert not Incident.objects.exists()


def test_declare_on_another_teams_service_opens_nothing(world, client):
    ServiceFactory(name="payroll")
    reply = answer(command(client, "/incident", "declare Payroll late --service payroll"))
    assert reply["response_type"] == "ephemeral" and "You have no service named payroll" in reply["text"]
    assert not Incident.objects.exists()


def test_declare_in_a_channel_linked_to_another_teams_service_opens_nothing_there(world, client):
    ServiceFactory(name="payroll", slack_channel="C0PAYROLL")
    reply = answer(command(client, "/incident", "declare Payroll late", channel_id="C0PAYROLL"))
    assert "not linked to any of your services" in reply["text"] and "payroll" not in reply["text"]
    assert not Incident.objects.exists()


def test_declare_by_a_viewer_of_the_team_opens_nothing(world, client):
    viewer = MembershipFactory(team=world["team"], role="viewer").user
    verified(viewer, "slack", "U0VIEWER1")
    reply = answer(command(client, "/incident", "declare Checkout down", user_id="U0VIEWER1"))
    assert "Only responders" in reply["text"] and not Incident.objects.exists()


def test_declare_without_a_title_says_a_title_is_needed(world, client):
    reply = answer(command(client, "/incident", "declare  --service checkout"))
    assert reply == {"response_type": "ephemeral",
                     "text": "An incident needs a title: `/incident declare <title> [--service <name>]`."}
    assert not Incident.objects.exists()


def test_declare_from_an_unlinked_slack_account_opens_nothing(world, client):
    reply = answer(command(client, "/incident", "declare Checkout down", user_id="U0STRANGER"))
    assert "not linked to a Vigil person" in reply["text"] and not Incident.objects.exists()


def test_a_forged_or_stale_declare_is_refused(world, client):
    assert command(client, "/incident", "declare Checkout down", secret="nope").status_code == 403
    assert command(client, "/incident", "declare Checkout down", age=6 * 60).status_code == 403
    assert not Incident.objects.exists()


def test_channel_names_are_lowercase_short_and_slack_safe():
    assert incident_channel_name(number=42, title="Checkout returns 502s!") == "inc-42-checkout-returns-502s"
    assert incident_channel_name(number=42, title="Crème brûlée API: DOWN") == "inc-42-creme-brulee-api-down"
    assert incident_channel_name(number=7, title="🔥🔥") == "inc-7"
    long = incident_channel_name(number=123456, title="word " * 50, attempt=3)
    assert len(long) <= 80 and long.startswith("inc-123456-word-word") and long.endswith("-3")
    assert "--" not in long


def test_a_taken_channel_name_gets_a_numbered_one(world, client, slack_fake, sent_tasks):
    slack_fake.channels["C0TAKEN"] = {"name": "inc-1-checkout-down", "members": []}
    answer(command(client, "/incident", "declare Checkout down"))
    run_slack_tasks(sent_tasks)
    assert IncidentSlackChannel.objects.get().name == "inc-1-checkout-down-2"


def test_a_channel_slack_keeps_refusing_to_create_is_named_on_the_timeline(world, client, slack_fake):
    answer(command(client, "/incident", "declare Checkout down"))
    incident = Incident.objects.get()
    for _ in range(SLACK_RETRIES + 1):
        slack_fake.fail_next(error="missing_scope")
    with after_commit():
        slack_incident_channel_open.apply(args=[incident.pk, world["alice"].pk])  # retries run eagerly
    assert "could not open a Slack channel" in incident.timeline.get(kind="warning").text
    assert "missing_scope" in incident.timeline.get(kind="warning").text
    assert not IncidentSlackChannel.objects.exists()


def test_invites_cut_short_by_a_rate_limit_are_retried(world, client, slack_fake):
    answer(command(client, "/incident", "declare Checkout down"))
    incident = Incident.objects.get()
    slack_fake.fail_next(status=429, method="conversations.invite")
    with after_commit():
        slack_incident_channel_open.apply(args=[incident.pk, world["alice"].pk])
    room = IncidentSlackChannel.objects.get(incident=incident)
    invites = [r for r in slack_fake.requests if r["path"].endswith("conversations.invite")]
    assert [r["status"] for r in invites] == [429, 200]
    assert ALICE in slack_fake.members(room.channel_id)
    assert incident.timeline.filter(kind="slack_channel").count() == 1  # one channel, not a second


def test_a_rate_limited_channel_opening_is_retried(world, client, slack_fake):
    answer(command(client, "/incident", "declare Checkout down"))
    incident = Incident.objects.get()
    slack_fake.fail_next(status=429)
    with after_commit():
        slack_incident_channel_open.apply(args=[incident.pk, world["alice"].pk])
    assert IncidentSlackChannel.objects.get(incident=incident)
    assert not incident.timeline.filter(kind="warning").exists()


# --- inside an incident's channel ------------------------------------------------------------

def test_ack_in_the_incident_channel_acknowledges_that_incident(room, world, client):
    reply = answer(command(client, "/incident", "ack", channel_id=ROOM))
    assert reply["response_type"] == "in_channel" and reply["text"].startswith(f"Acknowledged #{room.number}")
    room.refresh_from_db()
    assert (room.status, room.acknowledged_by) == ("acknowledged", world["alice"])
    assert room.timeline.get(kind="acknowledged").via == "slack"


def test_resolve_in_the_incident_channel_resolves_that_incident(room, client):
    reply = answer(command(client, "/incident", "resolve", channel_id=ROOM))
    assert reply["response_type"] == "in_channel" and reply["text"].startswith(f"Resolved #{room.number}")
    room.refresh_from_db()
    assert room.status == "resolved"


def test_note_in_the_incident_channel_joins_its_timeline(room, world, client):
    reply = answer(command(client, "/incident", "note Rolled back deploy 1234 &amp; restarted <web1>", channel_id=ROOM))
    note = room.timeline.get(kind="note")
    assert (note.text, note.actor, note.via) == ("Rolled back deploy 1234 & restarted <web1>", world["alice"], "slack")
    assert reply["response_type"] == "in_channel" and "&amp; restarted &lt;web1&gt;" in reply["text"]


def test_an_empty_note_names_the_problem(room, client):
    reply = answer(command(client, "/incident", "note", channel_id=ROOM))
    assert reply["response_type"] == "ephemeral" and "A note needs some text." in reply["text"]
    assert not room.timeline.filter(kind="note").exists()


@pytest.mark.parametrize("value", ["1", "sev1", "SEV 1"])
def test_sev_in_the_incident_channel_sets_the_severity(room, client, value):
    reply = answer(command(client, "/incident", f"sev {value}", channel_id=ROOM))
    room.refresh_from_db()
    assert room.severity == "SEV1"
    assert reply["response_type"] == "in_channel" and "SEV1 — critical" in reply["text"]
    assert room.timeline.get(kind="severity_changed").via == "slack"


@pytest.mark.parametrize("value", ["", "7", "high"])
def test_a_severity_outside_1_to_5_names_the_problem(room, client, value):
    reply = answer(command(client, "/incident", f"sev {value}", channel_id=ROOM))
    assert reply["response_type"] == "ephemeral" and "from 1 (critical) to 5" in reply["text"]
    room.refresh_from_db()
    assert room.severity == "SEV3"


def test_commands_in_an_incident_channel_from_outside_its_team_change_nothing(room, client):
    outsider = MembershipFactory(user=UserFactory(username="mallory")).user
    verified(outsider, "slack", "U0MALLORY")
    for text in ("ack", "resolve", "note hi", "sev 1"):
        reply = answer(command(client, "/incident", text, user_id="U0MALLORY", channel_id=ROOM))
        assert reply["response_type"] == "ephemeral" and "nothing was changed" in reply["text"]
    room.refresh_from_db()
    assert (room.status, room.severity) == ("triggered", "SEV3")
    assert not room.timeline.filter(kind="note").exists()


@pytest.mark.parametrize("text", ["note hi", "sev 2", "resolve"])
def test_channel_commands_elsewhere_say_they_need_an_incident_channel(room, client, text):
    reply = answer(command(client, "/incident", text, channel_id=SERVICE_CHANNEL))
    assert reply["response_type"] == "ephemeral" and "not one" in reply["text"]
    room.refresh_from_db()
    assert (room.status, room.severity) == ("triggered", "SEV3")


def test_ack_with_a_number_still_works_outside_an_incident_channel(room, client):
    reply = answer(command(client, "/incident", f"ack {room.number}", channel_id="C0RANDOM"))
    assert reply["text"].startswith(f"Acknowledged #{room.number}")
    room.refresh_from_db()
    assert room.status == "acknowledged"


@pytest.mark.parametrize("text", ["frobnicate", "help", ""])
def test_unknown_subcommands_answer_the_usage(world, client, text):
    reply = answer(command(client, "/incident", text))
    assert reply["response_type"] == "ephemeral"
    for usage in ("/incident declare <title> [--service <name>]", "/incident note <text>", "/incident sev <1-5>",
                  "/incident role commander|scribe|comms @person",
                  "/incident update <conditions> | <actions> [| <needs>]", "/oncall [team]"):
        assert usage in reply["text"]


# --- /vigil alias and /oncall ----------------------------------------------------------------

def test_vigil_is_an_alias_of_incident_and_oncall(world, client):
    declared = answer(command(client, "/vigil", "declare Cart empty"))
    assert declared["response_type"] == "in_channel" and Incident.objects.get().title == "Cart empty"
    oncall = answer(command(client, "/vigil", "oncall"))
    assert "Primary: alice" in oncall["text"]


def test_oncall_answers_who_is_on_call_now_in_the_callers_teams(world, client):
    reply = answer(command(client, "/oncall", ""))
    assert reply["response_type"] == "ephemeral"  # asked by one person, for them
    assert f"*{world['team'].name}*" in reply["text"]
    assert f"Primary: alice (<@{ALICE}>) until <!date^" in reply["text"]


def test_oncall_for_a_named_team(world, client):
    other = MembershipFactory(user=world["alice"]).team
    reply = answer(command(client, "/oncall", other.name.upper()))
    assert f"*{other.name}*" in reply["text"] and "no schedules" in reply["text"]
    assert world["team"].name not in reply["text"]


def test_oncall_for_a_team_the_caller_is_not_in_shows_nothing_of_it(world, client):
    stranger_team = MembershipFactory().team
    reply = answer(command(client, "/oncall", stranger_team.name))
    assert reply["text"].startswith(f"You are not in a team named {stranger_team.name}.")
    assert world["team"].name in reply["text"]  # the teams one can ask about


def test_oncall_from_an_unlinked_slack_account_answers_nothing(world, client):
    reply = answer(command(client, "/oncall", "", user_id="U0STRANGER"))
    assert "not linked to a Vigil person" in reply["text"] and "alice" not in reply["text"]


def test_a_command_vigil_does_not_know_answers_the_usage(world, client):
    reply = answer(command(client, "/pagerduty", "declare x"))
    assert "does not know the command /pagerduty" in reply["text"] and not Incident.objects.exists()


# --- role ------------------------------------------------------------------------------------

def test_role_in_the_incident_channel_names_the_commander_on_the_timeline(room, world, client):
    reply = answer(command(client, "/incident", f"role commander <@{CAROL}|carol>", channel_id=ROOM))
    assert reply["response_type"] == "in_channel" and "carol is now commander of incident" in reply["text"]
    role = room.roles.get(role="commander")
    assert role.user == world["carol"]
    event = room.timeline.get(kind="role_assigned")
    assert (event.actor, event.via) == (world["alice"], "slack")


def test_role_for_someone_not_linked_to_vigil_changes_nothing(room, client):
    reply = answer(command(client, "/incident", "role scribe <@U0NOBODY1>", channel_id=ROOM))
    assert reply["response_type"] == "ephemeral" and "no Slack account linked to Vigil" in reply["text"]
    assert not room.roles.exists()


@pytest.mark.parametrize("text", ["role", "role captain <@U0CAROL123>", "role commander carol"])
def test_a_role_command_without_a_role_and_a_mention_answers_how(room, client, text):
    reply = answer(command(client, "/incident", text, channel_id=ROOM))
    assert reply["response_type"] == "ephemeral" and "/incident role commander @person" in reply["text"]
    assert not room.roles.exists()


# --- update ----------------------------------------------------------------------------------

def test_update_in_the_incident_channel_posts_a_status_update(room, world, client, sent_tasks):
    reply = answer(command(client, "/incident", "update Checkout fails for 2% | Rolling back 4.2 | DB team",
                           channel_id=ROOM))
    assert reply["response_type"] == "in_channel" and "Rolling back 4.2" in reply["text"]
    update = room.status_updates.get()
    assert (update.conditions, update.actions, update.needs, update.author, update.via) == (
        "Checkout fails for 2%", "Rolling back 4.2", "DB team", world["alice"], "slack")
    assert room.timeline.filter(kind="status_update").count() == 1


@pytest.mark.parametrize("text", ["update", "update only conditions", "update | actions only", "update a | b | c | d"])
def test_an_update_without_conditions_and_actions_answers_how(room, client, text):
    reply = answer(command(client, "/incident", text, channel_id=ROOM))
    assert reply["response_type"] == "ephemeral" and "/incident update <conditions> | <actions>" in reply["text"]
    assert not room.status_updates.exists()
