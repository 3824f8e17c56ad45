"""Where an alert request's time goes, in process: statements and a cProfile of the intake view
through Django's test client, and of the engine's tasks each new incident sends.

    .venv/bin/python bench/ingest_profile.py [--requests 300] [--top 25]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigil_bench .venv/bin/python bench/ingest_profile.py

Prints, for a new incident, a storm alert (same key) and the tasks a new incident queues: the
SQL statements of one request (after warm-up), the CPU per request, and the functions with the
most cumulative time. bench/ingest.py measures the same paths through gunicorn.
"""
import argparse
import cProfile
import io
import json
import pstats
import time

from _setup import django_for_bench


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    database = django_for_bench()

    import notifications.tasks  # noqa: F401  (registers the tasks the requests send)
    from celery import current_app
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from incidents.models import Service
    from incidents.services import integration_create
    from oncall.models import Team

    team = Team.objects.create(name=f"profile-{time.time_ns()}", slug=f"profile-{time.time_ns()}")
    service = Service.objects.create(team=team, name="profile")
    _, token = integration_create(service=service, kind="generic", name="g", config={"rate_limit_per_minute": 10**6})
    sent: list[tuple[str, list, dict]] = []
    current_app.send_task = lambda name, args=None, kwargs=None, **kw: sent.append((name, list(args or []), kwargs or {}))
    client, url = Client(), f"/integrations/{token}/"
    run = f"{time.time_ns()}"

    def post(n: int, key: str) -> None:
        response = client.post(url, data=json.dumps({"title": f"Disk full {n}", "dedup_key": key}),
                               content_type="application/json")
        assert response.status_code == 202, response.content

    scenarios = {"new incident": lambda n: post(n, f"{run}-{n}"), "storm alert": lambda n: post(n, f"{run}-storm")}
    print(f"database: {database}")
    queued: list[tuple[str, list, dict]] = []
    for label, request in scenarios.items():
        for n in range(20):
            request(10**6 + n)
        sent.clear()
        with CaptureQueriesContext(connection) as queries:
            request(2 * 10**6)
        print(f"\n{label}: {len(queries.captured_queries)} statements, tasks sent {[name for name, *_ in sent]}")
        for q in queries.captured_queries:
            print(f"   {q['sql'][:150]}")
        started = time.process_time()
        for n in range(args.requests):
            request(3 * 10**6 + n)
        print(f"{label}: {1000 * (time.process_time() - started) / args.requests:.2f} ms CPU each, no profiler")
        profile(label, lambda: [request(n) for n in range(args.requests)], args)
        queued += sent
    tasks = [task for task in queued if task[0] in current_app.tasks][:args.requests]
    profile(f"the {len(tasks)} tasks those requests sent, run in process", lambda: [
        current_app.tasks[name].apply(args=task_args, kwargs=task_kwargs) for name, task_args, task_kwargs in tasks],
        args, count=max(1, len(tasks)))


def profile(label: str, work, args, count: int | None = None) -> None:
    count = count or args.requests
    profiler = cProfile.Profile()
    started = time.process_time()
    profiler.enable()
    work()
    profiler.disable()
    cpu = time.process_time() - started
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(f"\n{label}: {1000 * cpu / count:.2f} ms CPU each (under cProfile) over {count}")
    print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


if __name__ == "__main__":
    main()
