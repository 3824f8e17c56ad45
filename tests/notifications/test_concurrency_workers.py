"""Several Celery workers on one Redis broker and one PostgreSQL database, doing the same work
at the same time on purpose: every page must still go out exactly once.

DESIGN §2: "Every engine step is safe to run concurrently on several workers." Here the proof is
what the provider received, counted per (phone number, incident), and the tables behind it.
"""
import re
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from incidents.models import Incident, Service, TimelineEvent
from incidents.services import incident_trigger
from notifications.models import Delivery, Page
from tests.process import (
    DjangoProbe,
    FakeTwilio,
    Worker,
    seed_paging,
    send_task,
    suite_broker,
    vigil_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

GROUPS = 6  # teams, each with its own policy: alice and bob at step 1, carol at step 2
PER_GROUP = 5  # incidents per team: 5 pages per number, the limit before pages are held (15 min)
PAGES = GROUPS * PER_GROUP * 3
WORKERS = 3
PROVIDER_DELAY = 0.2
DEADLINE = 60


def phone(group: int, person: int) -> str:
    return f"+1415555{1000 + 10 * group + person:04d}"


def burst(*, services: list[int], per_service: int, duplicates: int) -> list[dict]:
    """Runs in the probe: open per_service incidents on each service at once, one thread per
    service, and kick each incident's escalation `duplicates` more times than intake does."""
    opened, lock = [], threading.Lock()

    def open_incidents(service_id: int) -> None:
        try:
            service = Service.objects.get(pk=service_id)
            for i in range(per_service):
                incident, _ = incident_trigger(service=service, title=f"Burst {service_id}-{i}", dedup_key=f"burst-{i}")
                for _ in range(duplicates):
                    send_task(name="notifications.escalate", args=[incident.pk])
                with lock:
                    opened.append({"id": incident.pk, "number": incident.number, "team": service.team_id})
        finally:
            connection.close()

    threads = [threading.Thread(target=open_incidents, args=(s,)) for s in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return opened


def resend_unfinished_deliveries(*, copies: int) -> int:
    """Runs in the probe: more deliver tasks for every delivery not yet sent, including those a
    worker is sending right now."""
    ids = list(Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])
               .values_list("pk", flat=True))
    for pk in ids * copies:
        send_task(name="notifications.deliver", args=[pk])
    return len(ids)


def tables() -> dict:
    """Runs in the probe: duplicates anywhere in the engine's tables and its timeline."""
    pages = list(Page.objects.values_list("incident_id", "user_id", "step", "loop"))
    deliveries = list(Delivery.objects.values_list("page_id", "contact_method_id", "rule_id"))
    events = TimelineEvent.objects.values_list("incident_id", "data")
    delivery_events = Counter(data["delivery"] for _, data in events.filter(kind="delivery"))
    paged_events = Counter((i, d["user"], d["step"], d["loop"]) for i, d in events.filter(kind="paged"))
    return {
        "pages": len(pages), "distinct_pages": len(set(pages)),
        "deliveries": len(deliveries), "distinct_deliveries": len(set(deliveries)),
        "delivery_statuses": dict(Counter(Delivery.objects.values_list("status", flat=True))),
        "deliveries_without_one_sent_event": [pk for pk in Delivery.objects.values_list("pk", flat=True)
                                              if delivery_events[pk] != 1],
        "paged_events_repeated": [key for key, n in paged_events.items() if n != 1],
        "still_escalating": Incident.objects.exclude(next_escalation_at=None).count(),
    }


def pages_received(twilio: FakeTwilio) -> Counter:
    """(number, team-local incident number) → SMS naming it: 'Vigil #7 …', or a bundle of pages
    held by a rate limit, 'Vigil: #7 and 2 more incidents need you (#8, #9). Reply …'."""
    received = Counter()
    for message in twilio.sms():
        for number in set(re.findall(r"#(\d+)", message["Body"].split(" Reply ")[0])):
            received[(message["To"], int(number))] += 1
    return received


def test_three_workers_doing_duplicate_work_page_everyone_exactly_once(tmp_path, databases, closer):
    """30 incidents at once on six teams (alice and bob at step 1, carol at step 2, due at once),
    three workers of three threads each, every escalation kicked three times, and, every 0.2 s
    while it all happens, the sweep and two more deliver tasks for every delivery not yet sent,
    with a provider slow enough (0.2 s) that they arrive while a worker is sending it."""
    broker = closer(suite_broker())
    # A slow provider keeps each send in flight long enough for duplicates to arrive meanwhile.
    twilio = closer(FakeTwilio(tmp_path, delay_seconds=PROVIDER_DELAY))
    env = vigil_env(tmp_path / "var", database_url=databases.new(), broker_url=broker.url, twilio=twilio)
    probe = closer(DjangoProbe(env))
    services, expected = [], set()
    for g in range(GROUPS):
        people = {f"g{g}-{name}": {"sms": [phone(g, k), [["high", 0]]]}
                  for k, name in enumerate(("alice", "bob", "carol"))}
        world = probe(seed_paging, team=f"Group {g}", people=people,
                      steps=[[0, [f"g{g}-alice", f"g{g}-bob"]], [0, [f"g{g}-carol"]]])
        services.append(world["service"])
        expected |= {(phone(g, k), n) for k in range(3) for n in range(1, PER_GROUP + 1)}
    workers = [closer(Worker(env, tmp_path / f"w{i}.log", name=f"w{i}", concurrency=3)) for i in range(WORKERS)]
    for worker in workers:
        worker.wait_until_ready()

    opened = probe(burst, services=services, per_service=PER_GROUP, duplicates=2)
    assert len(opened) == GROUPS * PER_GROUP
    deadline, done_at = time.monotonic() + DEADLINE, None
    while done_at is None or time.monotonic() < done_at + 3:  # keep duplicating for 3 s after the last page
        missing = expected - set(pages_received(twilio))
        assert not missing or time.monotonic() < deadline, f"pages missing after {DEADLINE} s: {sorted(missing)}"
        probe(send_task, name="notifications.sweep")
        probe(resend_unfinished_deliveries, copies=2)
        if done_at is None and not missing:
            done_at = time.monotonic()
        time.sleep(0.2)
    time.sleep(2)  # let the last duplicates run

    received = pages_received(twilio)
    assert set(received) == expected, twilio.describe()
    repeated = {key: n for key, n in received.items() if n != 1}
    assert repeated == {}, [m["Body"] for m in twilio.sms() if any(m["To"] == to for to, _ in repeated)]
    state = probe(tables)
    assert state == {
        "pages": PAGES, "distinct_pages": PAGES, "deliveries": PAGES, "distinct_deliveries": PAGES,
        "delivery_statuses": state["delivery_statuses"], "deliveries_without_one_sent_event": [],
        "paged_events_repeated": [], "still_escalating": 0,
    }
    assert set(state["delivery_statuses"]) <= {"sent", "bundled"}, state
    for worker in workers:  # the work really was shared
        assert re.search(r"Task notifications\.(escalate|deliver)\[.*\] succeeded", worker.output()), worker.tail()
