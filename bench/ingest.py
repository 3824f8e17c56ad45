"""Alert intake throughput, over sockets, against the real stack and a bare Django view beside it.

    .venv/bin/python bench/ingest.py [--databases postgres,sqlite] [--clients 4,16] [--runs 3]
        [--seconds 3] [--warmup 0.5] [--max-requests 20000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres CELERY_BROKER_URL=redis://127.0.0.1:6379/13 \
        VIGIL_TEST_REDIS_DB=13 .venv/bin/python bench/ingest.py

Per database, one `manage.py serve` (gunicorn as serve runs it: WEB_CONCURRENCY workers × 4
threads, gthread; a Celery worker with beat) on a throwaway database: PostgreSQL with Redis
(database VIGIL_TEST_REDIS_DB, else the one CELERY_BROKER_URL names; flushed before and after,
never 0 unless --flush-redis-db-0), or the default, a SQLite file with the file-system broker.
The stack runs with bench/ingest_settings.py: Vigil's settings and URLs plus one bare view
(bench/ingest_urls.py) that parses the same JSON and inserts one row, the baseline.

A client in this process drives it over loopback: N threads, each with its own kept-alive
connection, posting back to back (closed loop) for --warmup + --seconds (or --max-requests);
requests that finished inside the warm-up are not counted. Scenarios, taken by turns in each run
and at each client count, so the machine's changing load falls on all of them alike:
  baseline   the bare view, a new key each request
  new        generic integration, a new dedup key each request: a new incident each
  storm      generic integration, one dedup key per run and client count: one incident counted
  pagerduty  Events API v2 trigger, a new dedup key each request
Prints req/s, p50 and p99 per scenario (min / median / max over the runs), the ratio to the
baseline measured in the same run, the CPU the web processes (gunicorn) and the worker (Celery:
the engine's work for each new incident) used per request, and the goals:
on PostgreSQL at 16 clients new and storm ≥ 0.6 × baseline and p99 < 100 ms; on SQLite at 4
clients p99 < 250 ms. At the end it checks what was stored: every 202 counted on its storm
incident, incident numbers gap-free.
"""
import argparse
import http.client
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _setup import bench_redis_url  # noqa: E402
from tests import process as h  # noqa: E402

SCENARIOS = ("baseline", "new", "storm", "pagerduty")
GOAL_RATIO, GOAL_P99_PG, GOAL_P99_SQLITE = 0.6, 0.100, 0.250
BARE_PATH = "/bench/bare-ingest/"
TICKS = os.sysconf("SC_CLK_TCK")


# --- run inside the stack's DjangoProbe ---------------------------------------------------------

def seed() -> dict:
    """A team and service (no escalation policy: the engine runs, finds nobody and records it),
    a generic and a PagerDuty integration allowing 1,000,000 requests a minute, and the bare
    view's table."""
    from django.db import connection

    from incidents.models import Service
    from incidents.services import integration_create
    from ingest_urls import BARE_TABLE
    from oncall.models import Team

    key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {BARE_TABLE} (id {key}, dedup_key varchar(255) NOT NULL, "
                       "title varchar(1024) NOT NULL, received_at timestamp NOT NULL)")
    team = Team.objects.create(name="Bench", slug="bench")
    service = Service.objects.create(team=team, name="bench")
    config = {"rate_limit_per_minute": 1_000_000}
    _, generic = integration_create(service=service, kind="generic", name="g", config=config)
    _, pagerduty = integration_create(service=service, kind="pagerduty", name="pd", config=config)
    return {"generic": generic, "pagerduty": pagerduty, "team": team.pk}


def stored(*, team: int, storm_keys: list[str]) -> dict:
    from django.db.models import Max

    from incidents.models import Incident

    numbers = Incident.objects.filter(team_id=team).aggregate(n=Max("number"))["n"] or 0
    return {"incidents": Incident.objects.filter(team_id=team).count(), "max_number": numbers,
            "storm_counts": {i.dedup_key: i.alert_count for i in Incident.objects.filter(dedup_key__in=storm_keys)}}


# --- the client -----------------------------------------------------------------------------------

def drive(url: str, request_for, *, clients: int, warmup: float, seconds: float, max_requests: int) -> dict:
    """Closed loop: each thread posts on its own kept-alive connection until the time is up."""
    host, port = url.removeprefix("http://").split(":")
    numbers = itertools.count()
    started = time.monotonic()
    counted_from, deadline = started + warmup, started + warmup + seconds
    results: list[list] = [[] for _ in range(clients)]

    def client(out: list) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            while (now := time.monotonic()) < deadline and (n := next(numbers)) < max_requests:
                path, body = request_for(n)
                try:
                    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    connection.close()
                    status = 0
                out.append((now, time.monotonic(), status))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [r for out in results for r in out if r[0] >= counted_from]
    window = max((r[1] for r in done), default=counted_from) - counted_from
    ok = sorted(end - begin for begin, end, status in done if status == 202)
    return {"per_s": len(ok) / window if window > 0 else 0.0, "p50": percentile(ok, 0.5), "p99": percentile(ok, 0.99),
            "requests": len(done), "errors": sum(status != 202 for *_, status in done),
            "accepted": sum(status == 202 for *_, status in results_flat(results))}


def results_flat(results: list[list]):
    return (r for out in results for r in out)


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, int(len(ordered) * q + 0.5) - 1))] if ordered else float("nan")


def stack_cpu_seconds(sessions: set[int]) -> dict[str, float]:
    """utime + stime of the stack's live processes: gunicorn and its workers ("web"), Celery ("worker")."""
    total = {"web": 0.0, "worker": 0.0}
    for pid, (_ppid, _state, pgid, sid) in h.processes().items():
        if sid in sessions or pgid in sessions:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                argv = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            kind = "web" if b"gunicorn" in argv else "worker" if b"celery" in argv else None
            if kind:
                total[kind] += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def requests_for(scenario: str, tokens: dict, tag: str):
    generic = f"/integrations/{tokens['generic']}/"
    if scenario == "baseline":
        return lambda n: (BARE_PATH, json.dumps({"title": f"Disk full {n}", "dedup_key": f"{tag}-{n}"}).encode())
    if scenario == "new":
        return lambda n: (generic, json.dumps({"title": f"Disk full {n}", "dedup_key": f"{tag}-{n}"}).encode())
    if scenario == "storm":
        return lambda n: (generic, json.dumps({"title": "Disk full", "dedup_key": tag, "details": {"n": n}}).encode())
    return lambda n: ("/v2/enqueue", json.dumps({
        "routing_key": tokens["pagerduty"], "event_action": "trigger", "dedup_key": f"{tag}-{n}",
        "payload": {"summary": f"CPU high {n}", "source": "web1", "severity": "critical"}}).encode())


# --- one database ---------------------------------------------------------------------------------

def run_database(kind: str, args, tmp: Path) -> dict:
    postgres_url = args.postgres_url if kind == "postgres" else None
    redis_url, redis_db = bench_redis_url(args.redis_url, allow_db_zero=args.flush_redis_db_0) \
        if kind == "postgres" else (None, None)
    dbs, broker = h.Databases(tmp / "dbs", postgres_url=postgres_url), h.Broker(redis_url, db=redis_db)
    stack = None
    try:
        env = h.vigil_env(tmp / "var", database_url=dbs.new(), broker_url=broker.url, port=h.free_port(),
                          DJANGO_SETTINGS_MODULE="ingest_settings",
                          PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "bench"), os.environ.get("PYTHONPATH")])))
        import ingest  # this file by its module name, which the probe imports

        probe = h.DjangoProbe(env, timeout=120)
        try:
            tokens = probe(ingest.seed)
        finally:
            probe.close()
        # Kept after the run (the temporary folder is not), for when the stack misbehaved.
        log = Path(tempfile.mkdtemp(prefix=f"vigil-ingest-{kind}-log-")) / "serve.log"
        stack = h.Serve(env, log).wait_until_ready()
        print(f"{dbs.vendor} + {broker.kind}" + (f" (Redis db {redis_db})" if redis_db is not None else "")
              + f": {stack.url}, load average {load()}; log in {log}", flush=True)
        figures = {(c, s): [] for c in args.clients for s in SCENARIOS}
        storm_accepted: dict[str, int] = {}
        loads = [os.getloadavg()[0]]
        for run in range(args.runs):
            for clients in args.clients:
                for scenario in SCENARIOS:
                    tag = f"{scenario}-r{run}-c{clients}"
                    cpu = stack_cpu_seconds(stack.sessions)
                    result = drive(stack.url, requests_for(scenario, tokens, tag), clients=clients,
                                   warmup=args.warmup, seconds=args.seconds, max_requests=args.max_requests)
                    if result["errors"]:
                        stack.check_alive()  # a dead stack raises here with its log's last lines
                    cpu = {k: v - cpu[k] for k, v in stack_cpu_seconds(stack.sessions).items()}
                    result["cpu_ms"] = 1000 * cpu["web"] / max(1, result["accepted"])
                    result["worker_cpu_ms"] = 1000 * cpu["worker"] / max(1, result["accepted"])
                    figures[(clients, scenario)].append(result)
                    if scenario == "storm":
                        storm_accepted[tag] = result["accepted"]
                    print(f"  run {run + 1} clients {clients:>2} {scenario:<10} {result['per_s']:7.0f} req/s "
                          f"p50 {result['p50'] * 1000:6.1f} p99 {result['p99'] * 1000:6.1f} ms  "
                          f"CPU web {result['cpu_ms']:5.2f} worker {result['worker_cpu_ms']:5.2f} ms/req  "
                          f"not 202: {result['errors']}", flush=True)
                    time.sleep(0.5)  # let the worker drain what the last scenario queued
            loads.append(os.getloadavg()[0])
        probe = h.DjangoProbe(env, timeout=120)
        try:
            check = probe(ingest.stored, team=tokens["team"], storm_keys=list(storm_accepted))
        finally:
            probe.close()
    finally:
        if stack is not None:
            stack.stop()
            stack.close()
        broker.close()
        dbs.close()
    return {"database": dbs.vendor, "figures": figures, "loads": loads, "check": check, "storm_accepted": storm_accepted}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def spread(values: list[float], scale: float = 1.0, fmt: str = "{:.0f}") -> str:
    ordered = sorted(v * scale for v in values)
    return " / ".join(fmt.format(v) for v in (ordered[0], statistics.median(ordered), ordered[-1]))


def report(result: dict, args) -> None:
    figures, vendor = result["figures"], result["database"]
    print(f"\n{vendor}: {args.runs} runs by turns, min / median / max; load average during the runs "
          f"{min(result['loads']):.1f}–{max(result['loads']):.1f} (2 cores)")
    print(f"{'clients':>7} {'scenario':<10} {'req/s':>18} {'ratio to baseline':>20} {'p50 ms':>20} "
          f"{'p99 ms':>22} {'web CPU ms/req':>20} {'worker CPU ms/req':>20}")
    for clients in args.clients:
        base = figures[(clients, "baseline")]
        for scenario in SCENARIOS:
            rows = figures[(clients, scenario)]
            ratios = [r["per_s"] / b["per_s"] if b["per_s"] else float("nan") for r, b in zip(rows, base)]
            print(f"{clients:>7} {scenario:<10} {spread([r['per_s'] for r in rows]):>18} "
                  f"{spread(ratios, fmt='{:.2f}'):>20} {spread([r['p50'] for r in rows], 1000, '{:.1f}'):>20} "
                  f"{spread([r['p99'] for r in rows], 1000, '{:.1f}'):>22} "
                  f"{spread([r['cpu_ms'] for r in rows], fmt='{:.2f}'):>20} "
                  f"{spread([r['worker_cpu_ms'] for r in rows], fmt='{:.2f}'):>20}")
    for clients, scenario in figures:
        errors = sum(r["errors"] for r in figures[(clients, scenario)])
        if errors:
            print(f"  {scenario} at {clients} clients: {errors} requests not answered 202")
    goals(result, args)
    check, accepted = result["check"], result["storm_accepted"]
    wrong = {k: (check["storm_counts"].get(k), n) for k, n in accepted.items() if check["storm_counts"].get(k) != n}
    print(f"stored: {check['incidents']} incidents, numbers 1–{check['max_number']} "
          f"({'gap-free' if check['incidents'] == check['max_number'] else 'NOT gap-free'}); "
          f"storm incidents count every 202: {'yes' if not wrong else f'NO {wrong}'}")


def goals(result: dict, args) -> None:
    figures = result["figures"]
    if result["database"] == "postgresql" and 16 in args.clients:
        base = figures[(16, "baseline")]
        for scenario in ("new", "storm"):
            rows = figures[(16, scenario)]
            ratio = statistics.median(r["per_s"] / b["per_s"] for r, b in zip(rows, base))
            p99 = statistics.median(r["p99"] for r in rows)
            met = ratio >= GOAL_RATIO and p99 < GOAL_P99_PG
            print(f"Goal, PostgreSQL, 16 clients, {scenario}: ratio {ratio:.2f} (≥ {GOAL_RATIO}), p99 {p99 * 1000:.0f} ms "
                  f"(< {GOAL_P99_PG * 1000:.0f}), median of runs: {'met' if met else 'NOT met'}")
    if result["database"] == "sqlite" and 4 in args.clients:
        for scenario in ("new", "storm"):
            p99 = statistics.median(r["p99"] for r in figures[(4, scenario)])
            print(f"Goal, SQLite, 4 clients, {scenario}: p99 {p99 * 1000:.0f} ms (< {GOAL_P99_SQLITE * 1000:.0f}), "
                  f"median of runs: {'met' if p99 < GOAL_P99_SQLITE else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="postgres,sqlite")
    parser.add_argument("--clients", default="4,16", type=lambda v: [int(c) for c in v.split(",")])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per scenario and run")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of each scenario not counted")
    parser.add_argument("--max-requests", type=int, default=20_000, help="at most this many per scenario and run")
    parser.add_argument("--redis-url", default=os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")
                        and os.environ["CELERY_BROKER_URL"] or "redis://127.0.0.1:6379")
    parser.add_argument("--flush-redis-db-0", action="store_true", help="allow flushing Redis database 0")
    parser.add_argument("--postgres-url", default=os.environ.get("DATABASE_URL", "").startswith("postgres")
                        and os.environ["DATABASE_URL"] or "postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    print(f"load average at start {load()}; {os.cpu_count()} cores", flush=True)
    results = []
    for kind in args.databases.split(","):
        if kind == "postgres" and not h.redis_reachable(args.redis_url):
            print(f"postgres: skipped, Redis at {args.redis_url} is not reachable")
            continue
        with tempfile.TemporaryDirectory(prefix=f"vigil-ingest-{kind}-") as tmp:
            results.append(run_database(kind, args, Path(tmp)))
    for result in results:
        report(result, args)
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()
