"""Page latency: from an alert's 202 to the SMS reaching the provider, through a real stack,
on a quiet system and during an alert storm on the incident's own key.

    .venv/bin/python bench/page_latency.py [--incidents 200] [--brokers filesystem,redis]
        [--storm-incidents 20] [--storm-rate 200] [--storm-seconds 10]
        [--metrics-cost] [--metrics-incidents 100] [--metrics-rounds 2]
    .venv/bin/python bench/page_latency.py --burst [--burst-incidents 500] [--burst-seconds 10]
        [--burst-workers 1,2]   (see bench/burst.py)

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

Storm: on the same stack, --storm-incidents more alerts, each to a service of its own; right after
each one's 202, client threads post --storm-rate alerts/s over HTTP to the same integration with
the same dedup key (the integration's own `rate_limit_per_minute` is raised to 60,000 so that the
storm is stored, not refused) until its SMS arrives or --storm-seconds have passed. A page still
missing then is waited for, quietly, up to PAGE_TIMEOUT more and counted as "after the storm".

Metrics cost (--metrics-cost): after that, the quiet measurement again on fresh `serve` stacks
(same database, broker and fake), started alternately with METRICS_ENABLED=1 and =0 (on, off, on,
off, ... --metrics-rounds of each), --metrics-incidents alerts per stack after METRICS_WARMUP
uncounted ones (the first requests of a fresh stack open connections). Alternating spreads the
machine's changing load over both sides. Each stack's /metrics is checked: on, it counted every
SMS; off, it answers 404.

Redis runs on database VIGIL_TEST_REDIS_DB, else the one --redis-url (CELERY_BROKER_URL) names,
flushed before and after; database 0 is refused unless --flush-redis-db-0. It is skipped with a
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

from _setup import add_server_arguments, bench_redis_url  # noqa: E402
import burst  # noqa: E402  (bench/burst.py)
from storm import Storm  # noqa: E402  (bench/storm.py)
from tests import process as h  # noqa: E402  (the same stack, fake and probe as the tests)

GOAL_P50, GOAL_P99 = 0.250, 1.0
PAGE_TIMEOUT = 15
# Within the bounds an integration's config accepts (1 to 1,000,000 a minute): 1,000 alerts/s.
STORM_RATE_LIMIT_PER_MINUTE = 60_000
METRICS_WARMUP = 5


@shared_task(name="bench.ping", ignore_result=True)
def ping(url: str) -> None:
    """The baseline's empty task: it only tells the fake it ran."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        pass  # the fake answers 404 to anything but Twilio's resources, after recording it


def phone(i: int) -> str:
    return f"+1415555{2000 + i:04d}"


def seed_units(*, count: int, first: int = 0, rate_limit_per_minute: int | None = None) -> list[str]:
    """Runs in the probe: `count` teams, each with a service, a one-step policy paging one
    person by SMS at once, and a generic integration. Returns the integrations' paths."""
    from incidents.models import Integration

    paths = []
    for i in range(first, first + count):
        seeded = h.seed_paging(team=f"Bench {i}", people={f"p{i}": {"sms": [phone(i), [["high", 0]]]}},
                               steps=[[1, [f"p{i}"]]])
        if rate_limit_per_minute:
            Integration.objects.filter(service_id=seeded["service"]).update(
                config={"rate_limit_per_minute": rate_limit_per_minute})
        paths.append(seeded["integration_path"])
    return paths


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


def first_page(twilio, to: str, timeout: float):
    return wait_received(twilio, lambda rs: next((r for r in rs if r["form"].get("To") == [to]), None), timeout)


def measure_pages(stack, twilio, paths: list[str], interval: float, *, first: int = 0) -> tuple[list, list, int]:
    """Alerts to the units first, first + 1, ... (each pages its own phone number)."""
    latencies, posts, missing = [], [], 0
    for i, path in enumerate(paths, start=first):
        if i > first:
            time.sleep(max(0.0, started + interval - time.time()))
        started = time.time()
        status, body = h.post_alert(stack.url + path, {"title": f"Bench alert {i}", "dedup_key": f"b{i}"})
        accepted = time.time()
        if status != 202:
            raise SystemExit(f"alert {i}: {status} {body}")
        got = first_page(twilio, phone(i), PAGE_TIMEOUT)
        if got is None:
            missing += 1
            continue
        latencies.append(got["at"] - accepted)
        posts.append(accepted - started)
    return latencies, posts, missing


def measure_storm(stack, twilio, paths: list[str], *, first: int, rate: float, seconds: float) -> dict:
    """First-page latency for alerts whose key is under a storm until the page (or `seconds`)."""
    latencies, after_storm, missing, sent, storm_time, refused = [], 0, 0, 0, 0.0, {}
    for n, path in enumerate(paths):
        i = first + n
        time.sleep(1.0)  # let the previous storm drain out of the web and worker queues
        status, body = h.post_alert(stack.url + path, {"title": f"Storm incident {i}", "dedup_key": f"s{i}"})
        accepted = time.time()
        if status != 202:
            raise SystemExit(f"storm incident {i}: {status} {body}")
        with Storm(stack.url, path, key=f"s{i}", rate=rate) as storm:
            got = first_page(twilio, phone(i), seconds)
        if got is None:
            got = first_page(twilio, phone(i), PAGE_TIMEOUT)
            after_storm += got is not None
        sent, storm_time = sent + storm.sent, storm_time + storm.seconds
        for code, count in storm.statuses.items():
            if code != 202:
                refused[code] = refused.get(code, 0) + count
        if got is None:
            missing += 1
        else:
            latencies.append(got["at"] - accepted)
    return {"latencies": latencies, "after_storm": after_storm, "missing": missing,
            "rate": sent / storm_time if storm_time else 0.0, "refused": refused}


def measure_stack(env: dict, tmp: Path, twilio, paths: list[str], storm_paths: list[str], args) -> tuple:
    stack = h.Serve(env, tmp / "serve.log")
    try:
        stack.wait_until_ready()
        print(f"  pages: {len(paths)} alerts, one at a time ...", flush=True)
        quiet = measure_pages(stack, twilio, paths, args.interval)
        storm = None
        if storm_paths:
            print(f"  pages during a storm: {len(storm_paths)} incidents, {args.storm_rate:g} alerts/s on each "
                  f"one's key for up to {args.storm_seconds:g} s ...", flush=True)
            storm = measure_storm(stack, twilio, storm_paths, first=len(paths), rate=args.storm_rate,
                                  seconds=args.storm_seconds)
        return quiet, storm
    finally:
        stack.stop()
        stack.close()


def scraped_pages(stack) -> float | None:
    """SMS the stack's /metrics counted as sent; None when /metrics answers 404 (metrics off)."""
    try:
        with urllib.request.urlopen(f"{stack.url}/metrics", timeout=10) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise
    from prometheus_client.parser import text_string_to_metric_families

    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == "vigil_pages_total" and s.labels == {"channel": "sms", "outcome": "sent"})


def measure_metrics_cost(env: dict, tmp: Path, twilio, rounds: list[list[str]], *, first: int, args) -> dict:
    """The quiet measurement on fresh stacks, metrics on and off by turns."""
    result = {mode: {"page": [], "post": [], "missing": 0, "rounds": []} for mode in ("on", "off")}
    for n, paths in enumerate(rounds):
        mode = "on" if n % 2 == 0 else "off"
        print(f"  metrics {mode}, stack {n + 1} of {len(rounds)}: {len(paths) - METRICS_WARMUP} alerts "
              f"after {METRICS_WARMUP} to warm up ...", flush=True)
        stack = h.Serve({**env, "METRICS_ENABLED": "1" if mode == "on" else "0"}, tmp / f"serve-metrics-{n}.log")
        try:
            stack.wait_until_ready()
            latencies, posts, missing = measure_pages(stack, twilio, paths, args.interval, first=first)
            expected = len(paths) - missing
            deadline = time.monotonic() + 10
            # The worker counts an SMS just after the provider answered, a moment after the fake saw it.
            while (counted := scraped_pages(stack)) is not None and counted < expected and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            stack.stop()
            stack.close()
        if (mode == "on" and counted != expected) or (mode == "off" and counted is not None):
            raise SystemExit(f"metrics {mode}: /metrics counted {counted} SMS sent, expected "
                             f"{expected if mode == 'on' else 'a 404'}")
        first += len(paths)
        side = result[mode]
        side["page"] += latencies[METRICS_WARMUP:]
        side["post"] += posts[METRICS_WARMUP:]
        side["missing"] += missing
        side["rounds"].append(percentiles(latencies[METRICS_WARMUP:]) if latencies[METRICS_WARMUP:] else None)
    return result


def run(broker_kind: str, args, tmp: Path) -> dict:
    redis_url, redis_db = bench_redis_url(args.redis_url, allow_db_zero=args.flush_redis_db_0) \
        if broker_kind == "redis" else (None, None)
    postgres_url = None
    if broker_kind == "redis" and args.postgres_url:
        try:
            import psycopg2

            psycopg2.connect(**h.pg_server(args.postgres_url), connect_timeout=2).close()
            postgres_url = args.postgres_url
        except Exception as e:
            print(f"  PostgreSQL at {args.postgres_url} unreachable ({e.__class__.__name__}); Redis runs on SQLite")
    dbs, broker = h.Databases(tmp / "dbs", postgres_url=postgres_url), h.Broker(redis_url, db=redis_db)
    twilio = h.FakeTwilio(tmp)
    try:
        env = h.vigil_env(tmp / "var", database_url=dbs.new(), broker_url=broker.url, twilio=twilio, port=h.free_port(),
                          PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "bench"), os.environ.get("PYTHONPATH")])))
        probe = h.DjangoProbe(env, timeout=300)
        try:
            print(f"  seeding {args.incidents} services on {dbs.vendor} ...", flush=True)
            import page_latency  # this file by its module name, which the probe and the worker import

            paths = probe(page_latency.seed_units, count=args.incidents)
            storm_paths = probe(page_latency.seed_units, count=args.storm_incidents, first=args.incidents,
                                rate_limit_per_minute=STORM_RATE_LIMIT_PER_MINUTE)
            metrics_first = args.incidents + args.storm_incidents
            per_round = args.metrics_incidents + METRICS_WARMUP
            metrics_paths = []
            if args.metrics_cost:
                print(f"  seeding {2 * args.metrics_rounds * per_round} more for the metrics rounds ...", flush=True)
                seeded = probe(page_latency.seed_units, count=2 * args.metrics_rounds * per_round, first=metrics_first)
                metrics_paths = [seeded[k:k + per_round] for k in range(0, len(seeded), per_round)]
            print("  baseline: empty task round trips ...", flush=True)
            baseline = measure_baseline(env, tmp, twilio, probe, args.incidents)
        finally:
            probe.close()
        (latencies, posts, missing), storm = measure_stack(env, tmp, twilio, paths, storm_paths, args)
        metrics = measure_metrics_cost(env, tmp, twilio, metrics_paths, first=metrics_first,
                                       args=args) if metrics_paths else None
    finally:
        twilio.close()
        broker.close()
        dbs.close()
    return {"broker": broker_kind, "database": dbs.vendor, "baseline": percentiles(baseline),
            "page": percentiles(latencies) if latencies else (float("nan"),) * 2,
            "post": percentiles(posts) if posts else (float("nan"),) * 2, "missing": missing,
            "storm": storm, "metrics": metrics}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--brokers", default="filesystem,redis")
    parser.add_argument("--interval", type=float, default=0.15, help="seconds at least between two alerts")
    parser.add_argument("--storm-incidents", type=int, default=20, help="0: no storm")
    parser.add_argument("--storm-rate", type=float, default=200.0, help="alerts/s on each storm incident's key")
    parser.add_argument("--storm-seconds", type=float, default=10.0, help="longest a storm lasts")
    parser.add_argument("--metrics-cost", action="store_true",
                        help="also measure quiet pages with metrics on and off (METRICS_ENABLED), alternating stacks")
    parser.add_argument("--metrics-incidents", type=int, default=100, help="alerts per metrics stack")
    parser.add_argument("--metrics-rounds", type=int, default=2, help="stacks of each (on, off, on, off, ...)")
    parser.add_argument("--burst", action="store_true", help="only the burst of bench/burst.py (PostgreSQL + Redis)")
    parser.add_argument("--burst-incidents", type=int, default=500)
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    parser.add_argument("--burst-workers", default="1,2", help="Celery workers, comma-separated: one run each")
    parser.add_argument("--burst-sms-per-second", type=int, default=1000, help="the stack's SMS_SENDS_PER_SECOND")
    add_server_arguments(parser)
    args = parser.parse_args()
    if args.burst:
        redis_url, redis_db = bench_redis_url(args.redis_url, allow_db_zero=args.flush_redis_db_0)
        with tempfile.TemporaryDirectory(prefix="vigil-bench-burst-") as tmp:
            burst.report(burst.run_burst(args, Path(tmp), redis_url=redis_url, redis_db=redis_db), args)
        return
    rows = []
    for kind in args.brokers.split(","):
        print(f"{kind}:" + (f" database {bench_redis_url(args.redis_url, allow_db_zero=args.flush_redis_db_0)[1]}"
                            if kind == "redis" else ""), flush=True)
        if kind == "redis" and not h.redis_reachable(args.redis_url):
            print(f"  skipped: Redis at {args.redis_url} is not reachable")
            continue
        with tempfile.TemporaryDirectory(prefix=f"vigil-bench-{kind}-") as tmp:
            rows.append(run(kind, args, Path(tmp)))
    report(rows, args)


def report(rows: list[dict], args) -> None:
    ms = lambda pair: f"{pair[0] * 1000:7.1f} / {pair[1] * 1000:7.1f}"  # noqa: E731
    print(f"\nAlert 202 → SMS at the provider, {args.incidents} incidents posted one at a time, "
          f"at most one per {args.interval} s (p50 / p99, ms)")
    print(f"{'broker':<11} {'database':<11} {'baseline: empty task':>22} {'page':>19} {'POST → 202':>19}  missing")
    for r in rows:
        print(f"{r['broker']:<11} {r['database']:<11} {ms(r['baseline']):>22} {ms(r['page']):>19} "
              f"{ms(r['post']):>19}  {r['missing']}")
    if args.storm_incidents:
        print(f"\nThe same during a storm on the incident's own key ({args.storm_incidents} incidents; "
              f"{args.storm_rate:g} alerts/s asked for, at most {args.storm_seconds:g} s each)")
        print(f"{'broker':<11} {'database':<11} {'baseline: empty task':>22} {'quiet page':>19} {'page in a storm':>19} "
              f"{'storm alerts/s':>15} {'paged after the storm':>22}  missing  not 202")
        for r in rows:
            storm = r["storm"]
            page = percentiles(storm["latencies"]) if storm["latencies"] else (float("nan"),) * 2
            refused = ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(storm["refused"].items())) or "0"
            print(f"{r['broker']:<11} {r['database']:<11} {ms(r['baseline']):>22} {ms(r['page']):>19} {ms(page):>19} "
                  f"{storm['rate']:15.1f} {storm['after_storm']:>22}  {storm['missing']:>7}  {refused}")
            r["storm_page"] = page
    if args.metrics_cost:
        report_metrics_cost(rows, args)
    for r in rows:
        if r["broker"] == "redis":
            met = r["page"][0] < GOAL_P50 and r["page"][1] < GOAL_P99 and not r["missing"]
            print(f"Goal on Redis, quiet (p50 < {GOAL_P50 * 1000:.0f} ms, p99 < {GOAL_P99 * 1000:.0f} ms): "
                  f"{'met' if met else 'NOT met'}")
            if args.storm_incidents:
                stormy = r["storm"]
                met = r["storm_page"][1] < GOAL_P99 and not stormy["missing"] and not stormy["after_storm"]
                print(f"Goal on Redis, in a storm (p99 < {GOAL_P99 * 1000:.0f} ms): {'met' if met else 'NOT met'}")



def report_metrics_cost(rows: list[dict], args) -> None:
    ms = lambda pair: f"{pair[0] * 1000:7.1f} / {pair[1] * 1000:7.1f}"  # noqa: E731
    nan = (float("nan"),) * 2
    print(f"\nMetrics on and off (METRICS_ENABLED), quiet, {args.metrics_rounds} stacks of each started by turns "
          f"(on, off, ...), {args.metrics_incidents} incidents each (p50 / p99, ms; on − off: the cost of metrics)")
    print(f"{'broker':<11} {'database':<11} {'baseline: empty task':>22} {'page, metrics on':>19} "
          f"{'page, metrics off':>19} {'on − off':>19} {'POST → 202, on':>19} {'POST → 202, off':>19}  missing")
    for r in rows:
        m = r["metrics"]
        page = {mode: percentiles(m[mode]["page"]) if m[mode]["page"] else nan for mode in m}
        post = {mode: percentiles(m[mode]["post"]) if m[mode]["post"] else nan for mode in m}
        diff = tuple(a - b for a, b in zip(page["on"], page["off"]))
        print(f"{r['broker']:<11} {r['database']:<11} {ms(r['baseline']):>22} {ms(page['on']):>19} "
              f"{ms(page['off']):>19} {ms(diff):>19} {ms(post['on']):>19} {ms(post['off']):>19}  "
              f"{m['on']['missing']} / {m['off']['missing']}")
        for mode in ("on", "off"):
            each = ", ".join(ms(p) if p else "none" for p in m[mode]["rounds"])
            print(f"  page, metrics {mode}, stack by stack: {each}")


if __name__ == "__main__":
    main()
