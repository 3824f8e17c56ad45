"""A Celery worker SIGKILLed in the middle of paging: nothing it held in memory is ever acked or
finished, and a new worker must page what is left, once.

What is lost with the worker depends on the broker: the filesystem transport deletes a message
file when a worker takes it, so a countdown held in the dead worker's memory is gone; Redis keeps
it unacked and redelivers it only after the visibility timeout (an hour). Either way the engine's
sweep, driven by the database, is what brings the page back within seconds.
"""
import signal
import time

import pytest
from django.utils import timezone

from incidents.models import Incident
from tests.process import (
    Closer,
    DjangoProbe,
    FakeTwilio,
    Worker,
    incident_state,
    seed_paging,
    suite_broker,
    trigger,
    vigil_env,
    wait_until,
)

pytestmark = pytest.mark.slow

ALICE, CAROL = "+14155550101", "+14155550103"
PAGE_TIMEOUT = 20
SWEEP_INTERVAL = 5  # CELERY_BEAT_SCHEDULE["paging-sweep"]
LEASE_BUDGET = 90  # seconds from SIGKILL to the page's second send: the lease, a sweep, a worker start


def make_step_due(*, incident: int) -> None:
    """Runs in the probe: the next step's wait is over."""
    Incident.objects.filter(pk=incident).update(next_escalation_at=timezone.now())


def start_worker(env, tmp_path, name: str, closer: Closer) -> Worker:
    return closer(Worker(env, tmp_path / f"{name}.log", name=name, beat=True)).wait_until_ready()


def kill(worker: Worker) -> None:
    worker.kill()
    assert worker.left_behind() == [], f"{worker.name} survived SIGKILL"


def deliveries(probe, incident: int) -> list[dict]:
    return probe(incident_state, incident=incident)["deliveries"]


def test_a_worker_killed_between_steps_loses_no_page_and_pages_nobody_twice(tmp_path, databases, closer):
    """Step 1 pages alice; step 2 (carol) waits a minute as a countdown inside the worker. The
    worker is SIGKILLed, step 2 is made due, and a new worker (with beat) starts: carol gets one
    SMS from the sweep, and two more sweep intervals bring no second SMS to anyone. SIGTERM then
    stops the new worker and its beat, leaving no process."""
    broker = closer(suite_broker())
    twilio = closer(FakeTwilio(tmp_path))
    env = vigil_env(tmp_path / "var", database_url=databases.new(), broker_url=broker.url, twilio=twilio)
    probe = closer(DjangoProbe(env))
    world = probe(seed_paging, team="Payments", steps=[[1, ["alice"]], [1, ["carol"]]], people={
        "alice": {"sms": [ALICE, [["high", 0]]]}, "carol": {"sms": [CAROL, [["high", 0]]]}})
    first = start_worker(env, tmp_path, "first", closer)

    incident = probe(trigger, service=world["service"], title="Payments API down", dedup_key="kill-1")["id"]
    twilio.wait_for(lambda: twilio.sms(ALICE), timeout=PAGE_TIMEOUT, what="alice's SMS")
    wait_until(lambda: [d["status"] for d in deliveries(probe, incident)] == ["sent"], timeout=10,
               what="alice's delivery to be recorded as sent")
    state = probe(incident_state, incident=incident)
    assert state["step"] == 1 and state["status"] == "triggered", state
    kill(first)

    probe(make_step_due, incident=incident)
    second = start_worker(env, tmp_path, "second", closer)
    twilio.wait_for(lambda: twilio.sms(CAROL), timeout=PAGE_TIMEOUT + SWEEP_INTERVAL, what="carol's SMS (step 2)")
    time.sleep(2 * SWEEP_INTERVAL + 1)

    assert (len(twilio.sms(ALICE)), len(twilio.sms(CAROL))) == (1, 1), twilio.describe()
    state = probe(incident_state, incident=incident)
    assert state["pages"] == [{"user": "alice", "step": 0, "loop": 0}, {"user": "carol", "step": 1, "loop": 0}]
    assert [(d["user"], d["status"], d["attempts"]) for d in state["deliveries"]] == [
        ("alice", "sent", 1), ("carol", "sent", 1)]
    assert [e["kind"] for e in state["timeline"]] == [
        "triggered", "paged", "delivery", "escalated", "paged", "escalation_exhausted", "delivery"]

    assert second.stop(signal.SIGTERM) == 0, second.tail()  # a warm shutdown, beat included
    assert second.left_behind() == [], second.tail()


def test_a_worker_killed_inside_the_provider_call_sends_the_page_again_once_the_lease_is_over(
        tmp_path, databases, closer):
    """At least once: the fake Twilio accepts alice's SMS and answers 5 s late; the worker is
    SIGKILLed while it waits, so the SMS went out but the delivery is still claimed ("sending")
    and nothing records the provider's id.

    A new worker (with beat) starts at once, and nothing else is done: the sweep gives the claim
    back when its lease (STALE_CLAIM, about 25 s: longer than any live send within the providers'
    10 s timeouts) is over, and the page is sent again. Alice gets it twice, the price of never
    losing one (Twilio's Messages API has no idempotency key). The budget of 90 s is generous
    for the machine, and well below the two minutes the lease used to be. The row and the
    timeline tell one consistent story: one page, one sent delivery carrying the second send's
    id, after two attempts."""
    broker = closer(suite_broker())
    twilio = closer(FakeTwilio(tmp_path, delay_seconds=5))
    env = vigil_env(tmp_path / "var", database_url=databases.new(), broker_url=broker.url, twilio=twilio)
    probe = closer(DjangoProbe(env))
    world = probe(seed_paging, team="Search", steps=[[1, ["alice"]]], people={"alice": {"sms": [ALICE, [["high", 0]]]}})
    first = start_worker(env, tmp_path, "first", closer)

    incident = probe(trigger, service=world["service"], title="Search latency", dedup_key="kill-2")["id"]
    twilio.wait_for(lambda: twilio.sms(ALICE), timeout=PAGE_TIMEOUT, what="alice's SMS to reach the provider")
    kill(first)
    killed_at = time.monotonic()
    assert [d["status"] for d in deliveries(probe, incident)] == ["sending"], "the worker was not inside the send"

    start_worker(env, tmp_path, "second", closer)
    twilio.wait_for(lambda: len(twilio.sms(ALICE)) == 2, timeout=LEASE_BUDGET - (time.monotonic() - killed_at),
                    what="the page to be sent again after the lease")
    wait_until(lambda: [d["status"] for d in deliveries(probe, incident)] == ["sent"],
               timeout=PAGE_TIMEOUT, what="the second send to be recorded", describe=twilio.describe)

    sent = twilio.sms(ALICE)
    assert len(sent) == 2, twilio.describe()
    state = probe(incident_state, incident=incident)
    [delivery] = state["deliveries"]
    assert (delivery["attempts"], delivery["provider_id"], delivery["error"]) == (2, sent[-1]["sid"], "")
    assert state["status"] == "triggered" and len(state["pages"]) == 1
    assert [e["kind"] for e in state["timeline"]] == ["triggered", "paged", "escalation_exhausted", "delivery"]
