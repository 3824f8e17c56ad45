"""Do the lists cost the same at any history size? (issue 15 §3)

Fills a throwaway PostgreSQL database with 10,000 incidents, measures every list page, grows the
history to 1,000,000 incidents (`--large`), and measures again: the web incident list (open tab,
all, resolved, and a page 200 pages (5,000 rows) deep reached by its keyset token), the API's incident list
(first page and a deep cursor), the API's services list, and the on-call page with 3,000
schedules. Each figure is the median of `--repeat` requests through Django's test client, with
the request's query count; the ratio is large ÷ small (goal: within ±20 %).

The incidents are inserted with one `INSERT … SELECT generate_series` statement per batch, so
filling a million takes about a minute; the database is dropped at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/lists.py \\
        [--small 10000] [--large 1000000] [--schedules 3000] [--repeat 7]
"""
import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._setup import django_for_bench  # noqa: E402

OPEN = 30  # the newest incidents are still open: a busy organisation's few dozen, at any history size


def throwaway_database(server_url: str) -> tuple[str, callable]:
    parts = urlsplit(server_url)
    name = f"vigil_bench_lists_{uuid.uuid4().hex[:8]}"
    admin = dict(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                 password=parts.password or None, dbname=(parts.path or "/postgres").lstrip("/") or "postgres")
    conn = psycopg2.connect(**admin)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{name}"')

    def drop():
        from django.db import connections
        connections.close_all()
        conn.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()
    return parts._replace(path=f"/{name}").geturl(), drop


def fill_incidents(*, team, services, start: int, end: int) -> None:
    """Incidents numbered start+1..end, one a minute back in time, nearly all resolved."""
    from django.db import connection

    service_ids = [s.pk for s in services]
    with connection.cursor() as cursor:
        for low in range(start, end, 100_000):
            high = min(end, low + 100_000)
            cursor.execute(f"""
                INSERT INTO incidents_incident (
                    team_id, number, service_id, title, dedup_key, status, severity, urgency,
                    triggered_at, acknowledged_at, mitigated_at, resolved_at, alert_count, last_alert_at,
                    source, details, links, next_escalation_at, escalation_step, escalation_loop,
                    paging_round, created_at, updated_at)
                SELECT %s, g, (ARRAY{service_ids})[1 + g %% {len(service_ids)}], 'Disk full on db' || g,
                    'key-' || g,
                    CASE WHEN g <= {OPEN} THEN 'triggered' ELSE 'resolved' END,
                    'SEV' || (1 + g %% 5), 'high',
                    now() - make_interval(mins => g), now() - make_interval(mins => g) + interval '3 minutes',
                    NULL, CASE WHEN g <= {OPEN} THEN NULL ELSE now() - make_interval(mins => g) + interval '40 minutes' END,
                    1 + g %% 7, now() - make_interval(mins => g), 'bench', '{{}}', '[]', NULL, 0, 0, 0,
                    now() - make_interval(mins => g), now()
                FROM generate_series(%s, %s) AS g""", [team.pk, low + 1, high])
        cursor.execute("ANALYZE incidents_incident")


def blocks_touched(queries) -> int:
    """Buffer blocks the request's SELECTs touched (PostgreSQL's EXPLAIN ANALYZE, BUFFERS): how
    much of the tables a list reads, which unlike time does not depend on what else the machine
    is doing."""
    from django.db import connection

    total = 0
    with connection.cursor() as cursor:
        for q in queries:
            if q["sql"].lstrip().upper().startswith("SELECT"):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + q["sql"])
                plan = cursor.fetchone()[0][0]["Plan"]
                if EXPLAIN:
                    print(f"{plan.get('Shared Hit Blocks', 0) + plan.get('Shared Read Blocks', 0):6} blocks: {q['sql'][:400]}")
                total += plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    return total


def measure(client, url: str, repeat: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: templates, the first connection
    times = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times), len(queries), blocks_touched(queries.captured_queries)


DEPTH = 5000
EXPLAIN = os.environ.get("BENCH_EXPLAIN") == "1"  # print each query with the blocks it touched


def pages(client, token: str) -> list[tuple[str, str]]:
    """(label, url) of every list measured, with deep positions found at this history size."""
    from config.keyset import _token
    from incidents.models import Incident

    # The same depth at both sizes, so the ratio compares like with like: 5,000 rows (200 pages)
    # in; an OFFSET list would read all of them.
    deep = Incident.objects.order_by("-triggered_at", "-id")[DEPTH - 1:DEPTH].get()
    deep_token = _token(deep, "triggered_at")
    return [
        ("web: open incidents", "/?status=open"),
        ("web: all incidents, first page", "/?status=all"),
        ("web: resolved, first page", "/?status=resolved"),
        ("web: all, 200 pages deep", f"/?status=all&older={deep_token}"),
        ("web: on-call page (3,000 schedules)", "/oncall/"),
        ("api: incidents, first page", "/api/v1/incidents/"),
        ("api: open incidents", "/api/v1/incidents/?status=triggered"),
        ("api: services", "/api/v1/services/"),
    ]


def run_all(client, api, repeat: int) -> dict[str, tuple[float, int]]:
    out = {}
    for label, url in pages(client, ""):
        out[label] = measure(api if url.startswith("/api/") else client, url, repeat)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--schedules", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        sys.exit("bench/lists.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    url, drop = throwaway_database(server)
    os.environ["DATABASE_URL"] = url
    try:
        print(f"Database: {django_for_bench()}")
        from django.test import Client

        from oncall.models import Schedule
        from tests.factories import ApiClient, MembershipFactory, ServiceFactory, TeamFactory, UserFactory

        team = TeamFactory(name="Big")
        user = UserFactory(username="reader")
        MembershipFactory(team=team, user=user, role="responder")
        services = [ServiceFactory(team=team, name=f"service-{i}") for i in range(20)]
        Schedule.objects.bulk_create([Schedule(team=team, name=f"Rota {i:04d}", time_zone="UTC")
                                      for i in range(args.schedules)])
        client, api = Client(), ApiClient(user)
        client.force_login(user)

        fill_incidents(team=team, services=services, start=0, end=args.small)
        small = run_all(client, api, args.repeat)
        started = time.perf_counter()
        fill_incidents(team=team, services=services, start=args.small, end=args.large)
        print(f"Grew the history to {args.large:,} incidents in {time.perf_counter() - started:.0f} s")
        large = run_all(client, api, args.repeat)
    finally:
        drop()

    print(f"\nMedian of {args.repeat} requests: ms (queries) and the buffer blocks its queries touched, "
          f"{args.small:,} → {args.large:,} incidents")
    print(f"{'list':38}{args.small:>14,}{args.large:>14,}{'ratio':>7}{'blocks':>9}{'blocks':>9}{'ratio':>7}")
    for label in small:
        (a, qa, ba), (b, qb, bb) = small[label], large[label]
        print(f"{label:38}{a:9.1f} ({qa:2}){b:9.1f} ({qb:2}){b / a:7.2f}{ba:9}{bb:9}{bb / max(ba, 1):7.2f}")
    print(f"Load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
