import socket

import pytest
import time_machine
from django.utils import timezone

from notifications.clients import reset_clients
from tests.fakes.slack import SlackFake
from tests.fakes.twilio import TwilioFake
from tests.process import Closer, shared_databases

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-test-auth-token"
TWILIO_FROM = "+15005550006"
SLACK_TOKEN = "xoxb-test"
SLACK_SECRET = "slack-test-signing-secret"


@pytest.fixture
def clock():
    """Time stands still until a test moves it (clock.shift)."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def twilio_fake(settings):
    """A local Twilio with the real SDK pointed at it; SMS and voice channels are on."""
    with TwilioFake(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN) as fake:
        settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = TWILIO_SID, TWILIO_TOKEN
        settings.TWILIO_FROM_NUMBER, settings.TWILIO_API_BASE_URL = TWILIO_FROM, fake.url
        reset_clients()
        yield fake
    reset_clients()


@pytest.fixture
def slack_fake(settings):
    """A local Slack Web API with the real SDK pointed at it; the Slack channel is on."""
    with SlackFake(token=SLACK_TOKEN) as fake:
        settings.SLACK_BOT_TOKEN, settings.SLACK_SIGNING_SECRET = SLACK_TOKEN, SLACK_SECRET
        settings.SLACK_API_BASE_URL = fake.url + "/api/"
        reset_clients()
        yield fake
    reset_clients()


@pytest.fixture
def closed_port_url():
    """A URL where nothing listens: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    """Migrated once per run and cloned per test by the process-level tests."""
    dbs = shared_databases(tmp_path_factory.getbasetemp() / "vigil-databases")
    yield dbs
    dbs.close()


@pytest.fixture
def closer():
    """Stops, at the end of a test, every process and server handed to it."""
    closing = Closer()
    yield closing
    closing.close_all()
