"""Does the engine keep up with intake? (issue 15 §5) A burst of new incidents, each paging its
own person by SMS, on the real stack: `bench/page_latency.py --burst` runs this.

Per worker count (--burst-workers, default "1,2"): a real `manage.py serve` (gunicorn, its one
Celery worker with beat, threads pool of 4) plus, for 2, one more bare worker (threads pool of 4,
no beat), on PostgreSQL + Redis, with the real Twilio SDK pointed at the fake Twilio. Client threads
post --burst-incidents new incidents spread evenly over --burst-seconds, each to a service of its
own (so no per-number limit applies), and the bench waits until the fake has received every first
page. It prints the rate intake sustained, the first-page delay from each 202 (p50 / p99 / max),
when the last first page went out after the last 202, and the pages per second the engine
delivered (from its first page to its last, against the incidents per second from the first 202
to the last).

The provider budget (SMS_SENDS_PER_SECOND, 10 by default: what one Twilio long code takes) would
be measured instead of the engine, so the stack runs with it raised to --burst-sms-per-second
(1,000: a messaging service or short code). Goal on this machine: every first page within 5 s of
its trigger with one worker, and pages per second at least the incidents per second intake took.
"""
import statistics
import threading
import time
from pathlib import Path

from tests import process as h

GOAL_LAST_PAGE = 5.0
WAIT_AFTER = 120.0


def post_burst(url: str, paths: list[str], *, first: int, seconds: float, threads: int = 8) -> dict[int, float]:
    """Posts alert first + k to paths[k] at its slot in the burst; returns {unit: time of its 202}."""
    accepted: dict[int, float] = {}
    failures: list[str] = []
    start = time.time() + 0.5
    gap = seconds / max(1, len(paths))

    def client(offset: int) -> None:
        for k in range(offset, len(paths), threads):
            time.sleep(max(0.0, start + k * gap - time.time()))
            i = first + k
            status, body = h.post_alert(url + paths[k], {"title": f"Burst incident {i}", "dedup_key": f"burst{i}"})
            if status == 202:
                accepted[i] = time.time()
            else:
                failures.append(f"{i}: {status} {body[:200]}")

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failures:
        raise SystemExit(f"{len(failures)} alerts refused, e.g. {failures[0]}")
    return accepted


def first_pages(twilio, phones: dict[str, int], timeout: float) -> dict[int, float]:
    """{unit: when the fake received its first SMS}, waiting until every phone got one or timeout."""
    deadline = time.monotonic() + timeout
    got: dict[int, float] = {}
    while time.monotonic() < deadline:
        for r in twilio.requests():
            to = (r["form"].get("To") or [None])[0]
            if to in phones and phones[to] not in got:
                got[phones[to]] = r["at"]
        if len(got) == len(phones):
            break
        time.sleep(0.05)
    return got


def measure(env: dict, tmp: Path, twilio, paths: list[str], *, first: int, workers: int, seconds: float,
            phone) -> dict:
    stack = h.Serve(env, tmp / f"serve-{workers}.log")
    extra = []
    try:
        stack.wait_until_ready()
        for n in range(workers - 1):
            worker = h.Worker(env, tmp / f"worker-{workers}-{n}.log", name=f"extra{n}", concurrency=4)
            extra.append(worker)
            worker.wait_until_ready()
        time.sleep(1.0)
        accepted = post_burst(stack.url, paths, first=first, seconds=seconds)
        phones = {phone(i): i for i in accepted}
        paged = first_pages(twilio, phones, WAIT_AFTER)
    finally:
        for worker in extra:
            worker.stop()
            worker.close()
        stack.stop()
        stack.close()
    delays = sorted(paged[i] - accepted[i] for i in paged)
    first_202, last_202 = min(accepted.values()), max(accepted.values())
    first_page, last_page = (min(paged.values()), max(paged.values())) if paged else (float("nan"),) * 2
    return {
        "workers": workers, "incidents": len(accepted), "missing": len(accepted) - len(paged),
        "intake_rate": len(accepted) / max(1e-9, last_202 - first_202),
        "page_rate": len(paged) / max(1e-9, last_page - first_page),
        "p50": statistics.median(delays) if delays else float("nan"),
        "p99": delays[max(0, int(len(delays) * 0.99 + 0.5) - 1)] if delays else float("nan"),
        "max": delays[-1] if delays else float("nan"),
        "last_after": last_page - last_202,
    }


def report(rows: list[dict], args) -> None:
    print(f"\nBurst: {args.burst_incidents} new incidents over {args.burst_seconds:g} s, each paging its own "
          f"person by SMS (PostgreSQL + Redis; SMS budget {args.burst_sms_per_second}/s)")
    print(f"{'workers':>7} {'incidents/s in':>15} {'pages/s out':>12} {'first page p50 / p99 / max, s':>31} "
          f"{'last page after last 202, s':>28} {'missing':>8}")
    for r in rows:
        print(f"{r['workers']:>7} {r['intake_rate']:15.1f} {r['page_rate']:12.1f} "
              f"{r['p50']:9.2f} / {r['p99']:6.2f} / {r['max']:6.2f} {r['last_after']:28.2f} {r['missing']:>8}")
    for r in rows:
        met = r["max"] <= GOAL_LAST_PAGE and not r["missing"] and r["page_rate"] >= r["intake_rate"]
        print(f"Goal with {r['workers']} worker(s) (every first page within {GOAL_LAST_PAGE:g} s, pages/s ≥ "
              f"incidents/s): {'met' if met else 'NOT met'}")


def run_burst(args, tmp: Path, *, redis_url: str, redis_db: int) -> list[dict]:
    import os

    import page_latency  # the probe and the workers import it by this name

    sizes = [int(w) for w in args.burst_workers.split(",")]
    dbs = h.Databases(tmp / "dbs", postgres_url=args.postgres_url)
    broker, twilio = h.Broker(redis_url, db=redis_db), h.FakeTwilio(tmp)
    rows = []
    try:
        env = h.vigil_env(tmp / "var", database_url=dbs.new(), broker_url=broker.url, twilio=twilio,
                          port=h.free_port(), SMS_SENDS_PER_SECOND=str(args.burst_sms_per_second),
                          PYTHONPATH=os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                                   os.environ.get("PYTHONPATH")])))
        probe = h.DjangoProbe(env, timeout=600)
        try:
            print(f"  seeding {args.burst_incidents * len(sizes)} services on {dbs.vendor} ...", flush=True)
            paths = probe(page_latency.seed_units, count=args.burst_incidents * len(sizes), first=0)
        finally:
            probe.close()
        for n, workers in enumerate(sizes):
            first = n * args.burst_incidents
            print(f"  burst with {workers} worker(s): {args.burst_incidents} incidents in "
                  f"{args.burst_seconds:g} s ...", flush=True)
            rows.append(measure(env, tmp, twilio, paths[first:first + args.burst_incidents], first=first,
                                workers=workers, seconds=args.burst_seconds, phone=page_latency.phone))
    finally:
        twilio.close()
        broker.close()
        dbs.close()
    return rows
