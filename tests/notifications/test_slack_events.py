"""The Events API endpoint: Slack's URL-verification handshake, and 📌 on a message in an
incident's channel adding it to the timeline at the time it was posted, once."""
from datetime import UTC, datetime

import pytest

from incidents.services import incident_trigger
from notifications.models import IncidentSlackChannel
from tests.notifications.slack_helpers import ALICE, event, run_slack_tasks, signed, slack_world

ROOM = "C0ROOM0042"
POSTED = "1764590400.000200"  # 2025-12-01 12:00:00.0002 UTC


@pytest.fixture
def world(db, slack_fake):
    return slack_world()


@pytest.fixture
def incident(world):
    incident, _ = incident_trigger(service=world["service"], title="Checkout 5xx", dedup_key="5xx")
    IncidentSlackChannel.objects.create(incident=incident, channel_id=ROOM, name="inc-1-checkout-5xx")
    return incident


def reaction(*, channel=ROOM, ts=POSTED, reaction="pushpin", user=ALICE, event_id="Ev0PIN0001"):
    return {"token": "unused", "team_id": "T0VIGIL", "api_app_id": "A0VIGIL", "type": "event_callback",
            "event_id": event_id, "event_time": 1764590460,
            "event": {"type": "reaction_added", "user": user, "reaction": reaction, "item_user": ALICE,
                      "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": "1764590460.000300"}}


def test_url_verification_answers_the_challenge(db, slack_fake, client):
    response = event(client, {"token": "unused", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                              "type": "url_verification"})
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_an_unsigned_url_verification_is_refused(db, slack_fake, client):
    response = event(client, {"challenge": "abc", "type": "url_verification"}, secret="not-the-secret")
    assert response.status_code == 403 and b"abc" not in response.content


def test_a_pinned_message_joins_the_timeline_at_its_original_time_by_its_author(incident, world, client, slack_fake,
                                                                                 sent_tasks):
    slack_fake.say(ROOM, "db1 replica lag is 40 min &amp; climbing, see <https://grafana.example/d/1|the graph>",
                   user=ALICE, ts=POSTED)
    response = event(client, reaction())
    assert response.status_code == 200
    assert [t["name"] for t in sent_tasks] == ["notifications.slack_pin_add"]  # fetched after the answer
    run_slack_tasks(sent_tasks)
    pin = incident.timeline.get(kind="slack_pin")
    assert pin.at == datetime(2025, 12, 1, 12, 0, 0, 200, tzinfo=UTC)
    assert (pin.actor, pin.via) == (world["alice"], "slack")
    assert pin.text == "db1 replica lag is 40 min & climbing, see the graph (https://grafana.example/d/1)"
    assert pin.data == {"slack_channel": ROOM, "slack_ts": POSTED, "author": "alice", "pinned_by": "alice"}
    history = next(r for r in slack_fake.requests if r["path"].endswith("conversations.history"))
    assert (history["form"]["latest"], history["form"]["inclusive"], history["form"]["limit"]) == ([POSTED], ["1"], ["1"])


def test_a_message_pinned_twice_joins_the_timeline_once(incident, client, slack_fake, sent_tasks):
    slack_fake.say(ROOM, "restarting web1", user=ALICE, ts=POSTED)
    event(client, reaction(event_id="Ev0PIN0001"))
    event(client, reaction(event_id="Ev0PIN0002", user="U0SOMEONE"))  # someone else pins it too
    run_slack_tasks(sent_tasks)
    event(client, reaction(event_id="Ev0PIN0003"))  # unpinned and pinned again later
    run_slack_tasks(sent_tasks)
    assert incident.timeline.filter(kind="slack_pin").count() == 1


def test_an_event_slack_delivers_twice_is_handled_once(incident, client, slack_fake, sent_tasks):
    slack_fake.say(ROOM, "restarting web1", user=ALICE, ts=POSTED)
    assert event(client, reaction()).status_code == 200
    assert event(client, reaction()).status_code == 200  # Slack's retry: same event_id, still answered 200
    assert len(sent_tasks.named("notifications.slack_pin_add")) == 1


def test_a_pinned_thread_reply_is_found_in_its_thread(incident, client, slack_fake, sent_tasks):
    slack_fake.say(ROOM, "what changed?", user=ALICE, ts="1764590300.000100")
    slack_fake.say(ROOM, "deploy 1234 went out at 11:58", user=ALICE, ts=POSTED, thread_ts="1764590300.000100")
    slack_fake.say(ROOM, "later chatter", user=ALICE, ts="1764590500.000100")
    event(client, reaction())
    run_slack_tasks(sent_tasks)
    assert incident.timeline.get(kind="slack_pin").text == "deploy 1234 went out at 11:58"


def test_a_pinned_message_by_someone_not_in_vigil_is_stamped_with_their_slack_name(incident, client, slack_fake,
                                                                                   sent_tasks):
    slack_fake.add_user("U0VENDOR1", name="sam", real_name="Sam from the CDN")
    slack_fake.say(ROOM, "we see elevated 5xx at the edge", user="U0VENDOR1", ts=POSTED)
    event(client, reaction())
    run_slack_tasks(sent_tasks)
    pin = incident.timeline.get(kind="slack_pin")
    assert pin.actor is None and pin.data["author"] == "sam"
    assert pin.text == "sam on Slack: we see elevated 5xx at the edge"  # the timeline names who said it


@pytest.mark.parametrize("payload", [
    reaction(channel="C0CHECKOUT"),  # not an incident's channel
    reaction(reaction="thumbsup"),
    reaction(reaction="round_pushpin"),
    {"type": "event_callback", "event_id": "Ev0MSG", "event": {"type": "message", "channel": ROOM, "ts": POSTED}},
])
def test_other_events_are_acknowledged_and_ignored(incident, client, slack_fake, sent_tasks, payload):
    slack_fake.say(ROOM, "restarting web1", user=ALICE, ts=POSTED)
    slack_fake.say("C0CHECKOUT", "restarting web1", user=ALICE, ts=POSTED)
    response = event(client, payload)
    assert response.status_code == 200 and response.json() == {}
    assert not sent_tasks.named("notifications.slack_pin_add")
    assert not incident.timeline.filter(kind="slack_pin").exists()


def test_a_forged_or_replayed_event_is_refused(incident, client, slack_fake, sent_tasks):
    slack_fake.say(ROOM, "restarting web1", user=ALICE, ts=POSTED)
    assert event(client, reaction(), secret="not-the-secret").status_code == 403
    assert event(client, reaction(), age=6 * 60).status_code == 403  # outside Slack's 5-minute window
    assert not sent_tasks.named("notifications.slack_pin_add")


def test_an_event_body_that_is_not_json_is_a_400(db, slack_fake, client):
    response = signed(client, "/notifications/slack/events/", "challenge=abc", "application/json")
    assert response.status_code == 400 and "not JSON" in response.json()["error"]
