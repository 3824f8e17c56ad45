"""Slack: a direct message from the Vigil bot with Acknowledge/Resolve buttons, and the incident
message in a service's channel that the engine keeps up to date."""
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk.errors import SlackApiError, SlackClientError

from ..clients import slack_client, slack_configured
from .base import Channel, DeliveryError, Message

# Errors that mean this address will never take a message: the engine disables the contact
# method. invalid_auth and token_revoked are not here: they are the workspace's problem, not the
# person's, and disabling every member's Slack method over one revoked token would outlive the
# fix. They are retried (and then fail that one delivery, falling through to other rules).
# https://docs.slack.dev/reference/methods/chat.postMessage#errors
PERMANENT_ERRORS = frozenset({
    "channel_not_found", "user_not_found", "is_archived", "account_inactive", "not_in_channel",
    "user_disabled", "user_not_visible", "cannot_dm_bot",  # conversations.open's words for the same
})
SECTION_LIMIT = 3000  # characters of a section's text, per Block Kit


class Slack(Channel):
    name = "slack"

    @classmethod
    def configured(cls) -> bool:
        return slack_configured()

    def send(self, message: Message) -> str:
        """DM the person (message.to is their member id); returns "<DM channel id>:<ts>"."""
        if message.incident_id is not None:
            blocks = incident_blocks(text=message.text, incident_id=message.incident_id, status="triggered",
                                     ack_url=message.ack_url, shadow=message.shadow)
        else:
            blocks = [_section(message.text)]
        client = slack_client()
        with slack_errors():
            # Slack documents chat.postMessage straight to a member id only for the retired
            # workspace apps; a bot finds or opens the DM with conversations.open (scope im:write),
            # and gets the D… id that a later chat.update needs.
            dm = client.conversations_open(users=message.to)["channel"]["id"]
            sent = client.chat_postMessage(channel=dm, text=escape(message.text), blocks=blocks,
                                           unfurl_links=False, unfurl_media=False)
        return f"{sent['channel']}:{sent['ts']}"


def post_to_channel(*, channel: str, text: str, blocks: list) -> tuple[str, str]:
    with slack_errors():
        sent = slack_client().chat_postMessage(channel=channel, text=escape(text), blocks=blocks,
                                               unfurl_links=False, unfurl_media=False)
    return sent["channel"], sent["ts"]


def update_message(*, channel: str, ts: str, text: str, blocks: list) -> None:
    with slack_errors():
        slack_client().chat_update(channel=channel, ts=ts, text=escape(text), blocks=blocks)


def incident_blocks(*, text: str, incident_id: int, status: str, ack_url: str = "", shadow: bool = False) -> list[dict]:
    """The incident as Block Kit: buttons for what can still be done, none once it is resolved. A
    shadow's copy has one button, which only records that they saw it."""
    blocks = [_section(text)]
    buttons = []
    if shadow and status != "resolved":
        buttons.append(_button("Mark as seen", action_id="vigil_ack", value=f"ack:{incident_id}"))
    elif status == "triggered":
        buttons.append(_button("Acknowledge", action_id="vigil_ack", value=f"ack:{incident_id}", style="primary"))
    if status in ("triggered", "acknowledged", "mitigated") and not shadow:
        buttons.append(_button("Resolve", action_id="vigil_resolve", value=f"resolve:{incident_id}"))
    if buttons and ack_url:
        buttons.append({**_button("Open", action_id="vigil_open", value=f"open:{incident_id}"), "url": ack_url})
    if buttons:
        blocks.append({"type": "actions", "block_id": f"vigil_incident_{incident_id}", "elements": buttons})
    else:
        status_line = f"*{escape(status.capitalize())}*" + (f" · <{ack_url}|Open in Vigil>" if ack_url else "")
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": status_line}]})
    return blocks


def escape(text: str) -> str:
    """Slack reads &, < and > as markup (links, mentions); these three are all it asks to escape.
    https://docs.slack.dev/messaging/formatting-message-text#escaping"""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@contextmanager
def slack_errors() -> Iterator[None]:
    try:
        yield
    except SlackApiError as e:
        response = e.response
        error = response.get("error") if isinstance(response.data, dict) else None
        if response.status_code == 429 or error == "ratelimited":
            retry_after = _retry_after(response.headers)
            raise DeliveryError(f"Slack rate limit: retry after {retry_after} s", retry_after=retry_after) from e
        if response.status_code >= 500:
            raise DeliveryError(f"Slack server error (HTTP {response.status_code})") from e
        raise DeliveryError(f"Slack error: {error}", permanent=error in PERMANENT_ERRORS) from e
    except (SlackClientError, OSError) as e:  # URLError, refused, timeout are all OSError
        raise DeliveryError(f"Slack unreachable: {e.__class__.__name__}: {e}") from e


def _retry_after(headers: dict) -> int:
    raw = next((value for name, value in headers.items() if name.lower() == "retry-after"), None)
    if isinstance(raw, list):  # the SDK keeps some headers as lists
        raw = raw[0] if raw else None
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 60  # Slack always sends it; a minute is its usual window


def _section(text: str) -> dict:
    escaped = escape(text)
    if len(escaped) > SECTION_LIMIT:
        # Cut the raw text, so that no &amp; is cut in half; one cut is always enough since
        # every raw character removed shortens the escaped text by at least one.
        text = text[: len(text) - (len(escaped) - SECTION_LIMIT) - 1]
        escaped = escape(text) + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": escaped}}


def _button(label: str, *, action_id: str, value: str, style: str = "") -> dict:
    button = {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def text_blocks(text: str) -> list[dict]:
    """A plain message as Block Kit: one section, escaped and cut to Slack's limit."""
    return [_section(text)]
