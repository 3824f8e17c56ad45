"""A broker outage after commit: what was committed stays committed and the caller gets the
answer it is owed. The kicks to the engine are hints; the sweep catches up once the broker is back.

These tests publish for real (not through the recording stub of tests/conftest.py) to a broker
URL where nothing listens, and run in real transactions so that on_commit hooks run as they do
in production: inside the request, after its commit.
"""
import logging
import socket

import pytest
from celery import Celery

from config.celery import app
from incidents.models import Alert, Incident
from oncall import contacts
from oncall.models import VerificationCode
from tests.factories import ApiClient, ContactMethodFactory, IntegrationFactory

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "broker-s3cret"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # free once the socket closes: nothing listens there


@pytest.fixture(params=["redis://:{secret}@127.0.0.1:{port}/0", "amqp://guest:{secret}@127.0.0.1:{port}//"],
                ids=["redis_url", "amqp_url"])
def broker_down(request, monkeypatch):
    url = request.param.format(secret=SECRET, port=closed_port())
    monkeypatch.setattr(app, "send_task", Celery.send_task.__get__(app))
    # The environment's CELERY_BROKER_URL wins over the app's configuration in Celery.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setitem(app.conf, "broker_transport_options", {})
    # Connections are pooled per app: start from none, and leave the suite's pools as they were.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    return url


def test_alert_is_accepted_and_stored_while_the_broker_is_down(broker_down, client, service, caplog):
    _, token = IntegrationFactory(service=service, kind="generic")
    with caplog.at_level(logging.WARNING):
        response = client.post(f"/integrations/{token}/", data={"title": "Disk full", "dedup_key": "disk"},
                               content_type="application/json")
    assert response.status_code == 202, response.content
    incident = Incident.objects.get(service=service, dedup_key="disk")
    assert incident.status == "triggered" and incident.next_escalation_at is not None  # the sweep's cue
    assert Alert.objects.filter(incident=incident).count() == 1
    assert "notifications.escalate" in caplog.text
    assert SECRET not in caplog.text


def test_acknowledge_through_the_api_answers_200_while_the_broker_is_down(responder, incident, broker_down, caplog):
    with caplog.at_level(logging.WARNING):
        response = ApiClient(responder).post(f"/api/v1/incidents/{incident.pk}/acknowledge/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "acknowledged"
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert "notifications.incident_changed" in caplog.text
    assert SECRET not in caplog.text


def test_a_verification_code_is_created_while_the_broker_is_down_and_never_logged(
        responder, broker_down, caplog, monkeypatch):
    monkeypatch.setattr(contacts.secrets, "randbelow", lambda _n: 424242)
    method = ContactMethodFactory(user=responder, kind="sms", value="+14155550101")
    with caplog.at_level(logging.WARNING):
        contacts.contact_method_verification_start(contact_method=method)
    assert VerificationCode.objects.filter(contact_method=method).count() == 1
    assert "notifications.send_verification" in caplog.text
    assert "424242" not in caplog.text  # the task's arguments stay out of the log
