"""The whole paging loop through real processes: `manage.py serve` (gunicorn, a Celery worker and
beat) on a fresh database, a monitor posting over HTTP, the real Twilio SDK talking to the fake
Twilio in another process, and an SMS reply signed as Twilio signs it.

On the defaults it runs on a SQLite file and the filesystem broker; when DATABASE_URL and
CELERY_BROKER_URL point at PostgreSQL and Redis it runs there, on a throwaway database and
Redis database 5.
"""
import re
import signal
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from notifications.models import Delivery
from tests.process import (
    DjangoProbe,
    FakeTwilio,
    Serve,
    free_port,
    incident_state,
    post_alert,
    post_signed_sms,
    seed_paging,
    suite_broker,
    vigil_env,
)

pytestmark = pytest.mark.slow

ALICE, CAROL = "+14155550101", "+14155550103"
# How long a page may take here: a few sweeps (every 5 s) and their tasks, with room for a CI
# machine running the other process tests' stacks at the same moment. Only a failing run waits it out.
PAGE_TIMEOUT = 45
SWEEP_INTERVAL = 5  # CELERY_BEAT_SCHEDULE["paging-sweep"]


def bring_forward(*, incidents: list[int]) -> int:
    """Runs in the probe. As if the policy's waits were over: each incident's next step and every
    pending delivery (alice's voice call at +2 min) are due a minute ago. An acknowledged
    incident gets a stale next-step time too, as a timer that outlived the ack would leave."""
    past = timezone.now() - timedelta(minutes=1)
    Incident.objects.filter(pk__in=incidents).update(next_escalation_at=past)
    return Delivery.objects.filter(page__incident__in=incidents, status=Delivery.Status.PENDING).update(due_at=past)


def mentions(message: dict) -> set[int]:
    """Incident numbers an SMS pages for: 'Vigil #7 …', or a bundle 'Vigil: #7 and 2 more … (#8, #9)'."""
    return {int(n) for n in re.findall(r"#(\d+)", message["Body"].split(" Reply ")[0])}


def test_an_alert_pages_by_sms_and_an_ack_reply_stops_every_further_page(tmp_path, databases, closer):
    """alice is on call (SMS at once, a voice call at +2 min); step 2 pages carol a minute later.

    A real worker cannot be time-travelled, so "no further page" is proven against a control:
    after alice acknowledges incident #1 by SMS, a second alert opens #2, which nobody
    acknowledges. Then both incidents' futures are brought forward in the database (the next step
    and alice's pending voice call due a minute ago) in one write. Within a sweep or two the
    engine pages #2's future — carol's SMS and alice's call — which proves the sweep saw both
    incidents with everything due; one more sweep interval later, #1 has still had nothing but
    its first SMS, and its voice delivery is cancelled, not sent.
    """
    broker = closer(suite_broker())
    twilio = closer(FakeTwilio(tmp_path))
    port = free_port()
    env = vigil_env(tmp_path / "var", database_url=databases.new(), broker_url=broker.url, twilio=twilio, port=port)
    probe = closer(DjangoProbe(env))
    world = probe(seed_paging, team="Checkout", on_call=["alice"], people={
        "alice": {"sms": [ALICE, [["high", 0]]], "voice": [ALICE, [["high", 2]]]},
        "carol": {"sms": [CAROL, [["high", 0]]]},
    }, steps=[[1, ["schedule"]], [1, ["carol"]]])
    stack = closer(Serve(env, tmp_path / "serve.log")).wait_until_ready()
    alert_url = stack.url + world["integration_path"]

    status, body = post_alert(alert_url, {"title": "Checkout returns 502", "dedup_key": "e2e-502"})
    assert status == 202, body
    twilio.wait_for(lambda: twilio.sms(ALICE), timeout=PAGE_TIMEOUT, what="alice's SMS for #1")
    assert mentions(twilio.sms(ALICE)[0]) == {1}

    status, twiml = post_signed_sms(stack.url, env["PUBLIC_URL"], from_=ALICE, body="ack")
    assert status == 200, twiml
    assert "<Message>Acknowledged #1: Checkout returns 502. Paging has stopped.</Message>" in twiml

    status, body = post_alert(alert_url, {"title": "Control: nobody answers", "dedup_key": "e2e-control"})
    assert status == 202, body
    twilio.wait_for(lambda: len(twilio.sms(ALICE)) == 2, timeout=PAGE_TIMEOUT, what="alice's SMS for #2")
    first, control = (probe(incident_state, incident=n) for n in (1, 2))
    assert first["status"] == "acknowledged" and control["status"] == "triggered"

    assert probe(bring_forward, incidents=[1, 2]) >= 1  # at least #2's voice call was still pending
    twilio.wait_for(lambda: twilio.sms(CAROL) and twilio.calls(ALICE), timeout=PAGE_TIMEOUT,
                    what="the control incident's step 2 (carol) and alice's voice call")
    # One more sweep, and time for any task it (or the last one) sent about #1 to run.
    time.sleep(SWEEP_INTERVAL + 2)

    texts = [(m["To"], mentions(m)) for m in twilio.sms()]
    assert texts == [(ALICE, {1}), (ALICE, {2}), (CAROL, {2})], twilio.describe()
    [call] = twilio.calls()
    control_voice = [d for d in probe(incident_state, incident=2)["deliveries"] if d["kind"] == "voice"]
    assert call["To"] == ALICE and call["Url"].endswith(f"/notifications/twilio/voice/{control_voice[0]['id']}/")

    first = probe(incident_state, incident=1)
    assert first["status"] == "acknowledged" and first["pages"] == [{"user": "alice", "step": 0, "loop": 0}]
    assert sorted((d["kind"], d["status"]) for d in first["deliveries"]) == [("sms", "sent"), ("voice", "cancelled")]
    assert [e["kind"] for e in first["timeline"]] == ["triggered", "paged", "delivery", "acknowledged"]

    assert stack.stop(signal.SIGINT) == 0, stack.tail()
    assert stack.left_behind() == [], stack.tail()
