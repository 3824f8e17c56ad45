"""Page latency: from an alert's 202 to the SMS reaching the provider, through a real stack.

    .venv/bin/python bench/page_latency.py [--incidents 200] [--brokers filesystem,redis]

Per broker, a real `manage.py serve` (gunicorn, one Celery worker with beat) on a throwaway
database (a SQLite file with the filesystem broker; a PostgreSQL database with Redis, when
PostgreSQL is reachable), the real Twilio SDK pointed at the fake Twilio in another process.
Alerts are posted one at a time, each to its own service paging its own person (so that no
per-number limit applies), at most one every --interval seconds (0.15: under the engine's budget
of SMS_SENDS_PER_SECOND=10 across the provider, which holds the 11th SMS of a second for 1 s and
would be measured instead of the pipeline; --interval 0 shows that). Latency = the time the fake
received the SMS − the time the 202 arrived (both wall clock, one machine). The baseline, measured
the same way on the same broker and worker flags: an empty task that only calls the fake (send →
worker → the fake's clock).

Redis runs on database 5 of --redis-url (flushed before and after); it is skipped with a
message when unreachable.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from celery import shared_task

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import process_helpers as h  # noqa: E402  (the same stack, fake and probe as the tests)

GOAL_P50, GOAL_P99 = 0.250, 1.0
PAGE_TIMEOUT = 15


@shared_task(name="bench.ping", ignore_result=True)
def ping(url: str) -> None:
    """The baseline's empty task: it only tells the fake it ran."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        pass  # the fake answers 404 to anything but Twilio's resources, after recording it


def phone(i: int) -> str:
    return f"+1415555{2000 + i:04d}"


def seed_units(*, count: int) -> list[str]:
    """Runs in the probe: `count` teams, each with a service, a one-step policy paging one
    person by SMS at once, and a generic integration. Returns the integrations' paths."""
    return [h.seed_paging(team=f"Bench {i}", people={f"p{i}": {"sms": [phone(i), [["high", 0]]]}},
                        steps=[[1, [f"p{i}"]]])["integration_path"] for i in range(count)]


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99 + 0.5) - 1)]


def wait_received(twilio, predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate(twilio.requests())
        if found:
            return found
        time.sleep(0.002)
    return None


def measure_baseline(env: dict, tmp: Path, twilio, probe, count: int) -> list[float]:
    worker = h.Worker(env, tmp / "baseline-worker.log", name="baseline", concurrency=4, include="page_latency")
    try:
        worker.wait_until_ready()
        samples = []
        for i in range(count + 5):
            path = f"/bench/ping/{i}"
            sent = probe(h.send_task, name="bench.ping", args=[f"{twilio.url}{path}"])
            got = wait_received(twilio, lambda rs: next((r for r in rs if r["path"] == path), None), PAGE_TIMEOUT)
            if got is None:
                raise SystemExit(f"baseline task {i} never ran\n{worker.tail()}")
            if i >= 5:  # the first few warm up connections
                samples.append(got["at"] - sent)
        return samples
    finally:
        worker.stop()
        worker.close()


def measure_pages(env: dict, tmp: Path, twilio, paths: list[str], interval: float) -> tuple[list, list, int]:
    stack = h.Serve(env, tmp / "serve.log")
    try:
        stack.wait_until_ready()
        latencies, posts, missing = [], [], 0
        for i, path in enumerate(paths):
            if i:
                time.sleep(max(0.0, started + interval - time.time()))
            started = time.time()
            status, body = h.post_alert(stack.url + path, {"title": f"Bench alert {i}", "dedup_key": f"b{i}"})
            accepted = time.time()
            if status != 202:
                raise SystemExit(f"alert {i}: {status} {body}")
            to = phone(i)
            got = wait_received(twilio, lambda rs: next((r for r in rs if r["form"].get("To") == [to]), None),
                                PAGE_TIMEOUT)
            if got is None:
                missing += 1
                continue
            latencies.append(got["at"] - accepted)
            posts.append(accepted - started)
        return latencies, posts, missing
    finally:
        stack.stop()
        stack.close()


def run(broker_kind: str, args, tmp: Path) -> dict:
    redis_url = args.redis_url if broker_kind == "redis" else None
    postgres_url = None
    if broker_kind == "redis" and args.postgres_url:
        try:
            import psycopg2

            psycopg2.connect(**h.pg_server(args.postgres_url), connect_timeout=2).close()
            postgres_url = args.postgres_url
        except Exception as e:
            print(f"  PostgreSQL at {args.postgres_url} unreachable ({e.__class__.__name__}); Redis runs on SQLite")
    dbs, broker = h.Databases(tmp / "dbs", postgres_url=postgres_url), h.Broker(redis_url)
    twilio = h.FakeTwilio(tmp)
    try:
        env = h.vigil_env(tmp / "var", database_url=dbs.new(), broker_url=broker.url, twilio=twilio, port=h.free_port(),
                          PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "bench"), os.environ.get("PYTHONPATH")])))
        probe = h.DjangoProbe(env, timeout=300)
        try:
            print(f"  seeding {args.incidents} services on {dbs.vendor} ...", flush=True)
            import page_latency  # this file by its module name, which the probe and the worker import

            paths = probe(page_latency.seed_units, count=args.incidents)
            print("  baseline: empty task round trips ...", flush=True)
            baseline = measure_baseline(env, tmp, twilio, probe, args.incidents)
        finally:
            probe.close()
        print(f"  pages: {args.incidents} alerts, one at a time ...", flush=True)
        latencies, posts, missing = measure_pages(env, tmp, twilio, paths, args.interval)
    finally:
        twilio.close()
        broker.close()
        dbs.close()
    return {"broker": broker_kind, "database": dbs.vendor, "baseline": percentiles(baseline),
            "page": percentiles(latencies) if latencies else (float("nan"),) * 2,
            "post": percentiles(posts) if posts else (float("nan"),) * 2, "missing": missing}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--brokers", default="filesystem,redis")
    parser.add_argument("--interval", type=float, default=0.15, help="seconds at least between two alerts")
    parser.add_argument("--redis-url", default=os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")
                        and os.environ["CELERY_BROKER_URL"] or "redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres-url", default=os.environ.get("DATABASE_URL", "").startswith("postgres")
                        and os.environ["DATABASE_URL"] or "postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    rows = []
    for kind in args.brokers.split(","):
        print(f"{kind}:", flush=True)
        if kind == "redis" and not h.redis_reachable(args.redis_url):
            print(f"  skipped: Redis at {args.redis_url} is not reachable")
            continue
        with tempfile.TemporaryDirectory(prefix=f"vigil-bench-{kind}-") as tmp:
            rows.append(run(kind, args, Path(tmp)))

    ms = lambda pair: f"{pair[0] * 1000:7.1f} / {pair[1] * 1000:7.1f}"  # noqa: E731
    print(f"\nAlert 202 → SMS at the provider, {args.incidents} incidents posted one at a time, "
          f"at most one per {args.interval} s (p50 / p99, ms)")
    print(f"{'broker':<11} {'database':<11} {'baseline: empty task':>22} {'page':>19} {'POST → 202':>19}  missing")
    for r in rows:
        print(f"{r['broker']:<11} {r['database']:<11} {ms(r['baseline']):>22} {ms(r['page']):>19} "
              f"{ms(r['post']):>19}  {r['missing']}")
    for r in rows:
        if r["broker"] == "redis":
            met = r["page"][0] < GOAL_P50 and r["page"][1] < GOAL_P99 and not r["missing"]
            print(f"Goal on Redis (p50 < {GOAL_P50 * 1000:.0f} ms, p99 < {GOAL_P99 * 1000:.0f} ms): "
                  f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
