"""Phone calls through Twilio. The call reads the page out and takes one keypress."""
import re

from django.conf import settings
from twilio.twiml.voice_response import VoiceResponse

from ..clients import twilio_client, twilio_configured
from .base import Channel, Message
from .twilio_sms import twilio_errors

# Ring long enough to wake someone, short enough to end before most voicemail picks up.
RING_SECONDS = 30
KEYPRESS_SECONDS = 10
SPOKEN_CHARS = 700  # even all "&" (escaped to "&amp;") stays under the 4,000
PROMPT = "Press 1 to acknowledge, 2 to resolve, 3 to escalate now."


class TwilioVoice(Channel):
    name = "twilio_voice"

    @classmethod
    def configured(cls) -> bool:
        return twilio_configured()

    def send(self, message: Message) -> str:
        call = {"to": message.to, "from_": settings.TWILIO_FROM_NUMBER, "timeout": RING_SECONDS}
        if message.voice_url:
            # The TwiML at voice_url receives AnsweredBy (human, machine_start, fax...) and can
            # choose not to read a page's keypress menu to a voicemail box.
            call.update(url=message.voice_url, machine_detection="Enable")
        else:
            # No TwiML endpoint (a verification code): the text goes inline, read twice.
            call["twiml"] = say_twiml(message.text)
        if message.status_callback_url:
            call.update(status_callback=message.status_callback_url, status_callback_event=["completed"])
        with twilio_errors():
            return twilio_client().calls.create(**call).sid


def gather_twiml(*, text: str, action_url: str, prompt: str = PROMPT) -> str:
    """The page read out with the keypress menu, twice, for someone who answered half asleep."""
    response = VoiceResponse()
    for _ in range(2):
        # Without a keypress, <Gather> falls through to the next verb: the second reading.
        gather = response.gather(num_digits=1, action=action_url, method="POST", timeout=KEYPRESS_SECONDS)
        gather.say(speakable(text))
        gather.say(prompt)
    response.say("No key was pressed. Vigil will keep paging. Goodbye.")
    return str(response)


def say_twiml(text: str) -> str:
    # Inline TwiML is limited to 4,000 characters, and a minute of speech is all anyone takes in.
    response = VoiceResponse()
    response.say(speakable(text)[:SPOKEN_CHARS], loop=2)
    return str(response)


def reply_twiml(text: str) -> str:
    response = VoiceResponse()
    response.say(speakable(text))
    response.hangup()
    return str(response)


def speakable(text: str) -> str:
    """Text-to-speech reads 123456 as "one hundred twenty-three thousand..."; a code or a port
    number is understood digit by digit."""
    return re.sub(r"\d{4,}", lambda m: " ".join(m.group()), text)
