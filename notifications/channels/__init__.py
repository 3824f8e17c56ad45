"""Channels: one module per provider. A channel is on exactly when its credentials are set.

The console channel (the web UI's outbox and the log) stands in for every kind only where no
provider at all is configured: the demo on a laptop. Once any provider is set up, this is a real
installation, and a page on a kind whose provider is missing fails (and falls through to the
person's next rule) instead of being "sent" somewhere nobody looks.
"""
from .base import Channel, DeliveryError
from .console import Console
from .email import Email
from .slack import Slack
from .twilio_sms import TwilioSms
from .twilio_voice import TwilioVoice

__all__ = ["Channel", "ChannelNotConfigured", "DeliveryError", "channel_for", "configured_kinds",
           "console_fallback_active", "unconfigured_kinds"]

_CHANNELS: dict[str, type[Channel]] = {"email": Email, "sms": TwilioSms, "voice": TwilioVoice, "slack": Slack}


class ChannelNotConfigured(DeliveryError):
    """No provider carries this kind here. Not the person's fault: their contact method is left
    alone, and the page fails at once rather than retrying a configuration."""

    def __init__(self, kind: str):
        super().__init__(f"{kind} is not configured: set its provider's credentials", permanent=False)
        self.kind = kind


def configured_kinds() -> frozenset[str]:
    """Contact kinds that a real provider carries (sms, voice, email, slack)."""
    return frozenset(kind for kind, channel in _CHANNELS.items() if channel.configured())


def unconfigured_kinds() -> frozenset[str]:
    """Kinds on which a page fails for want of a provider: none in the demo (the console stands
    in for all), otherwise every kind whose credentials are missing."""
    configured = configured_kinds()
    return frozenset(_CHANNELS) - configured if configured else frozenset()


def console_fallback_active() -> bool:
    """True when no provider at all is configured, so the console channel stands in for all."""
    return not configured_kinds()


def channel_for(kind: str) -> Channel:
    """The channel that sends `kind`; ChannelNotConfigured when nothing here can."""
    if console_fallback_active():
        return Console()
    channel = _CHANNELS.get(kind)
    if channel is None or not channel.configured():
        raise ChannelNotConfigured(kind)
    return channel()
