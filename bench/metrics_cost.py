"""What the Prometheus metrics cost on the paging path, in process: escalate + deliver of one
page, with METRICS_ENABLED on and off (config/metrics.py's switch), alternating, same database.

    .venv/bin/python bench/metrics_cost.py [--pages 200] [--rounds 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vigil_bench .venv/bin/python bench/metrics_cost.py

Multiprocess mode is on (a temporary PROMETHEUS_MULTIPROC_DIR), as under `manage.py serve`, so a
counter increment is the mmap write production makes. Pages go by email to the console channel
(no provider, no per-number limit), so the figure is Vigil's own work: the escalation, the claim,
the timeline lines, and, with metrics on, the counters plus the one query that decides whether a
page is its incident's first (for the trigger-to-first-page histogram). Baseline: the same path
with metrics off, and the raw cost of one counter increment and one histogram observation.
"""
import argparse
import os
import statistics
import tempfile
import time

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="vigil-bench-metrics-")
from _setup import django_for_bench  # noqa: E402  (after the variable: prometheus-client reads it at import)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200, help="pages per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each, alternating")
    args = parser.parse_args()
    database = django_for_bench()

    from django.conf import settings
    from django.utils import timezone

    from config.metrics import FIRST_PAGE_SECONDS, PAGES
    from incidents.services import incident_trigger
    from notifications import delivery
    from notifications.escalation import escalate
    from notifications.models import Delivery
    from oncall import contacts, policies
    from tests.factories import MembershipFactory, ServiceFactory

    service = ServiceFactory(name="bench")
    user = MembershipFactory(team=service.team).user
    method = contacts.contact_method_create(user=user, kind="email", value="bench@example.com")
    method.verified_at = timezone.now()
    method.save(update_fields=["verified_at"])
    contacts.notification_rule_create(user=user, urgency="high", contact_method=method, delay_minutes=0)
    service.escalation_policy = policies.policy_create(team=service.team, name="bench", steps=[
        {"delay_minutes": 30, "targets": [{"kind": "user", "id": user.pk}]}])
    service.save(update_fields=["escalation_policy"])

    samples: dict[str, list[float]] = {"on": [], "off": []}
    counter = 0
    for round_ in range(args.rounds * 2):
        mode = "on" if round_ % 2 == 0 else "off"
        settings.METRICS_ENABLED = mode == "on"
        for _ in range(args.pages):
            counter += 1
            incident, _ = incident_trigger(service=service, title=f"bench {counter}", dedup_key=f"bench-{counter}")
            t0 = time.perf_counter()
            [made] = escalate(incident_id=incident.pk)
            outcome = delivery.deliver(delivery_id=made.pk)
            samples[mode].append(time.perf_counter() - t0)
            assert outcome == "sent", outcome
    settings.METRICS_ENABLED = True
    assert Delivery.objects.filter(status="sent").count() == counter

    def raw(fn, n=20000) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - t0) / n * 1e6

    child = PAGES.labels(channel="email", outcome="sent")
    histogram = FIRST_PAGE_SECONDS.labels(channel="email")
    print(f"Paging path (escalate + deliver of one page) on {database}, {args.pages} pages x {args.rounds} "
          f"rounds each, alternating; multiprocess mode on")
    print(f"{'':26} {'p50 ms':>8} {'mean ms':>8} {'p90 ms':>8}")
    for mode in ("off", "on"):
        data = sorted(samples[mode])
        print(f"metrics {mode:<18} {statistics.median(data) * 1000:8.2f} {statistics.mean(data) * 1000:8.2f} "
              f"{data[int(len(data) * 0.9)] * 1000:8.2f}")
    diff = statistics.median(samples["on"]) - statistics.median(samples["off"])
    print(f"difference of medians: {diff * 1000:+.2f} ms per page "
          f"({diff / statistics.median(samples['off']) * 100:+.1f}%)")
    print(f"baseline: one counter increment {raw(child.inc):.1f} µs, one histogram observation "
          f"{raw(lambda: histogram.observe(3.0)):.1f} µs")


if __name__ == "__main__":
    main()
