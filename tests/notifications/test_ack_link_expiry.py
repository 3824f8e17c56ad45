"""An ack link is a bearer credential in an SMS: it must stop working after a day."""
from datetime import timedelta

import time_machine
from django.utils import timezone

from notifications.links import ack_token, read_ack_token


def test_an_ack_link_stops_working_after_24_hours(client, incident, responder):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        token = ack_token(incident_id=incident.pk, user_id=responder.pk)
        clock.shift(timedelta(hours=23, minutes=59))
        assert read_ack_token(token) == (incident.pk, responder.pk)
        clock.shift(timedelta(minutes=2))
        assert read_ack_token(token) is None
        response = client.post(f"/a/{token}", {"action": "acknowledge"})
    assert response.status_code == 404
    incident.refresh_from_db()
    assert incident.status == "triggered"
