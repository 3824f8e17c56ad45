"""`manage.py receive_email <token>`: one message on standard input, sysexits codes for the MTA."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from incidents import email_intake
from incidents.models import Alert, Incident
from tests.factories import IntegrationFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "email"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def token(service):
    return IntegrationFactory(service=service, kind="email", name="Mail pipe")[1]


def receive(monkeypatch, argument: str, message: bytes) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(message)))
    out = io.StringIO()
    call_command("receive_email", argument, stdout=out)
    return out.getvalue()


def exit_code(monkeypatch, argument: str, message: bytes) -> int:
    with pytest.raises(CommandError) as caught:
        receive(monkeypatch, argument, message)
    return caught.value.returncode


def test_a_piped_message_opens_an_incident_and_exits_0(monkeypatch, token):
    out = receive(monkeypatch, token, (FIXTURES / "nagios-problem.eml").read_bytes())
    incident = Incident.objects.get()
    assert out.startswith(f"created #{incident.number}: ** PROBLEM")
    assert incident.details["received_via"] == "mta"


def test_the_whole_recipient_address_works_as_the_argument(monkeypatch, token):
    receive(monkeypatch, f"<{token}@alerts.example.com>", (FIXTURES / "zabbix-resolved.eml").read_bytes())
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("message", [
    (FIXTURES / "not-a-message.txt").read_bytes(),
    (FIXTURES / "bad-base64.eml").read_bytes(),
    b"Subject: big\n\n" + b"x" * (512 * 1024),
])
def test_malformed_or_oversized_mail_exits_65_and_stores_nothing(monkeypatch, token, message):
    assert exit_code(monkeypatch, token, message) == 65
    assert not Alert.objects.exists()


def test_an_unknown_token_exits_67(monkeypatch, token, service):
    _, generic = IntegrationFactory(service=service, kind="generic")
    message = (FIXTURES / "nagios-problem.eml").read_bytes()
    assert exit_code(monkeypatch, "int_unknown", message) == 67
    assert exit_code(monkeypatch, generic, message) == 67


def test_a_database_outage_exits_75_so_the_mta_tries_again(monkeypatch, token):
    def database_down(**kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(email_intake.alert_ingest, "alerts_ingest", database_down)
    assert exit_code(monkeypatch, token, (FIXTURES / "nagios-problem.eml").read_bytes()) == 75
    assert not Incident.objects.exists()


def test_over_the_rate_limit_exits_75_so_the_mail_waits_in_the_queue(monkeypatch, service):
    _, token = IntegrationFactory(service=service, kind="email", config={"rate_limit_per_minute": 1})
    message = (FIXTURES / "nagios-problem.eml").read_bytes()
    receive(monkeypatch, token, message)
    assert exit_code(monkeypatch, token, message) == 75


def test_run_by_an_mta_the_process_exits_75_when_the_database_cannot_answer(tmp_path):
    # A real process, as Postfix's pipe runs it, against a database without Vigil's tables.
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "VIGIL_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = subprocess.run([sys.executable, "manage.py", "receive_email", "int_anything"], cwd=root, env=env,
                            input=(FIXTURES / "nagios-problem.eml").read_bytes(), capture_output=True, timeout=120)
    assert result.returncode == 75, result.stderr.decode()[-2000:]
    assert b"try again later" in result.stderr
