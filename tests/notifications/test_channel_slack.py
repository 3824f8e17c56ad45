import pytest

from notifications.channels import channel_for
from notifications.channels.base import DeliveryError, Message
from notifications.channels.console import Console
from notifications.channels.slack import Slack, incident_blocks, post_to_channel, update_message

from .conftest import SLACK_TOKEN

CAROL = "U012AB3CD"
ACK_URL = "https://vigil.example.com/a/signed-token"


def dm(**fields) -> Message:
    return Message(user=None, kind="slack", to=CAROL, subject="", text="DB <prod> down & out", **fields)


def _action_ids(blocks: list) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_page_is_a_direct_message_with_acknowledge_resolve_and_open_buttons(slack_fake):
    provider_id = Slack().send(dm(incident_id=42, ack_url=ACK_URL))

    opened, posted = slack_fake.requests
    assert opened["path"] == "/api/conversations.open" and opened["form"]["users"] == [CAROL]
    assert posted["path"] == "/api/chat.postMessage"
    assert posted["headers"]["Authorization"] == f"Bearer {SLACK_TOKEN}"
    body = posted["json"]
    assert body["channel"] == "D012AB3CD"
    section, actions = body["blocks"]
    assert section["text"] == {"type": "mrkdwn", "text": "DB &lt;prod&gt; down &amp; out"}
    ack, resolve, link = actions["elements"]
    assert (ack["action_id"], ack["value"], ack["style"]) == ("vigil_ack", "ack:42", "primary")
    assert (resolve["action_id"], resolve["value"]) == ("vigil_resolve", "resolve:42")
    assert (link["text"]["text"], link["url"]) == ("Open", ACK_URL)
    assert provider_id == f"D012AB3CD:{slack_fake.messages[0]['ts']}"


def test_a_message_about_no_incident_has_no_buttons(slack_fake):
    Slack().send(dm())
    [message] = slack_fake.messages
    assert [block["type"] for block in message["blocks"]] == ["section"]


@pytest.mark.parametrize("status,buttons", [
    ("triggered", ["vigil_ack", "vigil_resolve", "vigil_open"]),
    ("acknowledged", ["vigil_resolve", "vigil_open"]),
    ("mitigated", ["vigil_resolve", "vigil_open"]),
    ("resolved", []),
])
def test_the_incident_message_offers_only_what_can_still_be_done(status, buttons):
    blocks = incident_blocks(text="Checkout down", incident_id=7, status=status, ack_url=ACK_URL)
    assert _action_ids(blocks) == buttons


def test_a_resolved_incident_still_links_to_vigil():
    blocks = incident_blocks(text="Checkout down", incident_id=7, status="resolved", ack_url=ACK_URL)
    assert blocks[-1]["type"] == "context" and ACK_URL in blocks[-1]["elements"][0]["text"]


def test_a_service_channel_message_is_posted_then_updated_in_place(slack_fake):
    first, now = "Checkout down", "Checkout down (acknowledged by Carol)"
    channel, ts = post_to_channel(channel="C0INCIDENTS", text=first,
                                  blocks=incident_blocks(text=first, incident_id=7, status="triggered"))
    update_message(channel=channel, ts=ts, text=now,
                   blocks=incident_blocks(text=now, incident_id=7, status="acknowledged"))

    assert (channel, slack_fake.posted_to("C0INCIDENTS")) == ("C0INCIDENTS", 1)
    current = slack_fake.message(channel, ts)
    assert current["text"] == now
    assert _action_ids(current["blocks"]) == ["vigil_resolve"]
    assert [u["ts"] for u in slack_fake.updates] == [ts]


def test_an_unknown_channel_is_a_permanent_failure(slack_fake):
    slack_fake.reject("C0GONE", error="channel_not_found")
    with pytest.raises(DeliveryError) as failure:
        post_to_channel(channel="C0GONE", text="x", blocks=[])
    assert failure.value.permanent is True and "channel_not_found" in failure.value.message


@pytest.mark.parametrize("error", ["user_not_found", "account_inactive", "user_disabled"])
def test_a_person_slack_can_never_reach_is_a_permanent_failure(slack_fake, error):
    slack_fake.reject(CAROL, error=error)
    with pytest.raises(DeliveryError) as failure:
        Slack().send(dm(incident_id=1))
    assert failure.value.permanent is True and slack_fake.messages == []


def test_a_revoked_bot_token_fails_without_blaming_the_person(slack_fake, settings):
    settings.SLACK_BOT_TOKEN = "xoxb-revoked"
    with pytest.raises(DeliveryError) as failure:
        Slack().send(dm())
    assert failure.value.permanent is False and "invalid_auth" in failure.value.message


def test_a_rate_limit_is_transient_and_says_how_long_to_wait(slack_fake):
    slack_fake.fail_next(status=429, error="ratelimited", retry_after=17)
    with pytest.raises(DeliveryError) as failure:
        Slack().send(dm(incident_id=1))
    assert failure.value.permanent is False
    assert failure.value.retry_after == 17 and "17" in failure.value.message
    assert Slack().send(dm(incident_id=1))  # the limit has passed: the retry goes through


def test_a_slack_outage_is_transient(slack_fake):
    slack_fake.fail_next(status=503)
    with pytest.raises(DeliveryError) as failure:
        Slack().send(dm())
    assert failure.value.permanent is False


def test_a_slack_error_that_is_not_about_the_address_is_transient(slack_fake):
    slack_fake.fail_next(error="fatal_error")  # Slack's word for its own failure, with HTTP 200
    with pytest.raises(DeliveryError) as failure:
        Slack().send(dm())
    assert failure.value.permanent is False and "fatal_error" in failure.value.message


def test_slack_out_of_reach_is_transient(slack_fake, settings, closed_port_url):
    settings.SLACK_API_BASE_URL = closed_port_url + "/api/"
    with pytest.raises(DeliveryError) as failure:
        Slack().send(dm())
    assert failure.value.permanent is False and "unreachable" in failure.value.message


def test_a_long_text_is_cut_to_the_block_kit_limit_without_breaking_an_escape():
    [section] = incident_blocks(text="a" * 2990 + "&" * 40, incident_id=1, status="resolved")[:1]
    text = section["text"]["text"]
    assert len(text) <= 3000 and text.endswith("…")
    assert text[:-1].replace("&amp;", "").count("&") == 0


def test_slack_is_on_only_with_its_credentials(settings, slack_fake):
    assert isinstance(channel_for("slack"), Slack)
    settings.SLACK_BOT_TOKEN = ""
    assert isinstance(channel_for("slack"), Console)
