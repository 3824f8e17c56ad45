"""Alert intake throughput, through the real WSGI stack and the real database.

    .venv/bin/python bench/ingest.py [--alerts 2000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigil_bench .venv/bin/python bench/ingest.py

Prints, side by side: the baseline (a bare INSERT of an alert row through the ORM, and an
HTTP round trip to /healthz through the same test client), new incidents (every alert has its
own key), a storm (every alert has one key: one row update each) and PagerDuty events.
"""
import argparse
import json
import statistics
import time

from _setup import django_for_bench


def measure(label: str, count: int, fn) -> dict:
    samples = []
    start = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    samples.sort()
    return {"label": label, "per_s": count / total, "p50_ms": statistics.median(samples) * 1000,
            "p99_ms": samples[int(len(samples) * 0.99) - 1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=2000)
    args = parser.parse_args()
    database = django_for_bench()

    from django.test import Client

    from incidents.models import Alert, Incident
    from incidents.services import integration_create
    from oncall.models import Team

    team = Team.objects.create(name=f"bench-{time.time()}", slug=f"bench-{time.time_ns()}")
    service = team.services.create(name="bench")
    _, generic_token = integration_create(service=service, kind="generic", name="g",
                                          config={"rate_limit_per_minute": 10**6})
    _, pd_token = integration_create(service=service, kind="pagerduty", name="pd",
                                     config={"rate_limit_per_minute": 10**6})
    client = Client()
    url = f"/integrations/{generic_token}/"

    def post(path, body):
        response = client.post(path, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 202, response.content

    n = args.alerts
    rows = [
        measure("baseline: ORM insert of one alert row", n, lambda i: Alert.objects.create(
            service=service, dedup_key=f"b{i}", summary="baseline", payload={"i": i})),
        measure("baseline: GET /healthz round trip", n, lambda i: client.get("/healthz")),
        measure("generic: new incident per alert", n, lambda i: post(url, {"title": f"Disk full {i}", "dedup_key": f"n{i}"})),
        measure("generic: storm, one key", n, lambda i: post(url, {"title": "Disk full", "dedup_key": "storm", "details": {"i": i}})),
        measure("pagerduty: trigger, one key", n, lambda i: post("/v2/enqueue", {
            "routing_key": pd_token, "event_action": "trigger", "dedup_key": "pd-storm",
            "payload": {"summary": "CPU high", "source": "web1", "severity": "critical"}})),
    ]
    storm = Incident.objects.get(service=service, dedup_key="storm")
    print(f"database: {database}; {n} requests per row; one client, one thread")
    print(f"{'scenario':44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for row in rows:
        print(f"{row['label']:44} {row['per_s']:9.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f}")
    print(f"storm incident: alert_count={storm.alert_count}, raw alerts stored={storm.alerts.count()}, "
          f"timeline lines={storm.timeline.count()}")


if __name__ == "__main__":
    main()
