"""Channels: one module per provider. A channel is on exactly when its credentials are set;
otherwise its messages go to the console channel (the web UI's outbox and the log)."""
from .base import Channel, DeliveryError
from .console import Console
from .email import Email
from .slack import Slack
from .twilio_sms import TwilioSms
from .twilio_voice import TwilioVoice

__all__ = ["Channel", "DeliveryError", "channel_for"]

_CHANNELS: dict[str, type[Channel]] = {"email": Email, "sms": TwilioSms, "voice": TwilioVoice, "slack": Slack}


def channel_for(kind: str) -> Channel:
    channel = _CHANNELS.get(kind)
    return channel() if channel is not None and channel.configured() else Console()
