"""Report pages over a large history: the analytics page (and the pages listed in PAGES) at
10,000 and 100,000 incidents, on PostgreSQL.

    .venv/bin/python bench/analytics.py [--incidents 10000,100000] [--postgres-url postgres://…]

Creates a throwaway PostgreSQL database (from --postgres-url, else DATABASE_URL, else the local
server), migrates it, and fills it in batches (bulk_create) with a year of realistic incidents:
5 teams, 20 services, 40 people in five time zones, severities SEV1–SEV5, acknowledgement,
mitigation and resolution times drawn from long-tailed distributions, a timeline line for each
transition, a page to the person on call (at any hour, so some at night on their clock) and,
for about one incident in six, a second-step page. At each size it fetches every page in PAGES
through Django's test client, logged in as a member of every team (a real team-scoped query, not
a superuser's), and prints the median time of 5 fetches after one warm-up and the SQL query count.
The database is dropped at the end.

Goal: the analytics page under 1 s at 100,000 incidents, with a query count that does not grow.
To measure another page, add one line to PAGES.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import process as h  # noqa: E402  (the same throwaway databases as the tests)

TODAY = datetime.now(UTC).date()
YEAR_AGO = TODAY - timedelta(weeks=52)
# (label, url): each measured the same way at each size; "{team}" in a url becomes the id of one
# of the 5 teams (20,000 of the 100,000 incidents).
PAGES = [
    ("analytics, last 12 weeks (default)", "/analytics/"),
    ("analytics, the whole year", f"/analytics/?from={YEAR_AGO}&to={TODAY}"),
    ("analytics, one team, the whole year", f"/analytics/?from={YEAR_AGO}&to={TODAY}&team={{team}}"),
    ("analytics API, response times, the whole year", f"/api/v1/analytics/response-times/?from={YEAR_AGO}&to={TODAY}"),
    ("analytics CSV, responders, the whole year", f"/analytics/responders.csv?from={YEAR_AGO}&to={TODAY}"),
    ("postmortem list", "/postmortems/"),
    ("postmortem list, reviewed ones", "/postmortems/?status=reviewed"),
    ("overdue action items and reviews", "/postmortems/overdue/"),
    ("hand-off report, a month", f"/oncall/schedules/{{schedule}}/handoff/?from={TODAY - timedelta(days=30)}&to={TODAY}"),
    ("hand-off report API, a month",
     f"/api/v1/schedules/{{schedule}}/handoff/?from={TODAY - timedelta(days=30)}&to={TODAY}"),
]
BATCH = 5000
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney"]
SEVERITIES = (["SEV1"] * 2 + ["SEV2"] * 8 + ["SEV3"] * 40 + ["SEV4"] * 30 + ["SEV5"] * 20)


class World:
    def __init__(self):
        from django.contrib.auth.models import User

        from incidents.models import Service
        from oncall.models import Membership, Profile, Team

        stamp = time.time_ns()
        self.rnd = random.Random(12)
        self.teams = Team.objects.bulk_create([Team(name=f"Team {k}", slug=f"team-{stamp}-{k}") for k in range(5)])
        self.services = Service.objects.bulk_create(
            [Service(team=self.teams[k % 5], name=f"service-{k}") for k in range(20)])
        self.people = User.objects.bulk_create([User(username=f"person-{k}") for k in range(40)])
        Profile.objects.bulk_create([Profile(user=u, time_zone=ZONES[k % 5]) for k, u in enumerate(self.people)])
        Membership.objects.bulk_create([Membership(team=self.teams[k % 5], user=u) for k, u in enumerate(self.people)])
        self.viewer = User.objects.create(username="viewer")
        Membership.objects.bulk_create([Membership(team=t, user=self.viewer) for t in self.teams])
        self.numbers = {t.pk: 0 for t in self.teams}
        self.count = 0
        # Team 0's weekly rotation through its people: the hand-off report's schedule.
        from datetime import time as clock

        from oncall.schedules import layer_create, schedule_create

        self.schedule = schedule_create(team=self.teams[0], name="Primary", time_zone="Europe/Berlin")
        layer_create(schedule=self.schedule, start_date=YEAR_AGO, handoff_time=clock(9),
                     participants=[p for k, p in enumerate(self.people) if k % 5 == 0])

    def add(self, n: int) -> None:
        for start in range(0, n, BATCH):
            self._batch(min(BATCH, n - start))
        from django.db.models import Case, IntegerField, Value, When

        from oncall.models import Team

        Team.objects.update(last_incident_number=Case(
            *(When(pk=pk, then=Value(number)) for pk, number in self.numbers.items()), output_field=IntegerField()))

    def _batch(self, n: int) -> None:
        from incidents.models import Incident, TimelineEvent
        from notifications.models import Page

        rnd, now = self.rnd, datetime.now(UTC)
        incidents, plans = [], []
        for _ in range(n):
            self.count += 1
            service = rnd.choice(self.services)
            self.numbers[service.team_id] += 1
            triggered = now - timedelta(seconds=rnd.uniform(600, 52 * 7 * 86400))
            ack = triggered + timedelta(seconds=rnd.lognormvariate(5.0, 1.0)) if rnd.random() < 0.97 else None
            mitigated = ack + timedelta(seconds=rnd.lognormvariate(7.0, 1.0)) if ack and rnd.random() < 0.6 else None
            resolved = (mitigated or ack) + timedelta(seconds=rnd.lognormvariate(7.5, 1.2)) if ack and rnd.random() < 0.95 else None
            status = "resolved" if resolved else "mitigated" if mitigated else "acknowledged" if ack else "triggered"
            incidents.append(Incident(
                team_id=service.team_id, service=service, number=self.numbers[service.team_id], title=f"Alert {self.count}",
                dedup_key=f"k{self.count}", status=status, severity=rnd.choice(SEVERITIES), triggered_at=triggered,
                created_at=triggered, acknowledged_at=ack, mitigated_at=mitigated, resolved_at=resolved,
                alert_count=1, last_alert_at=triggered))
            team_people = [p for k, p in enumerate(self.people) if self.teams[k % 5].pk == service.team_id]
            plans.append((rnd.choice(team_people), rnd.choice(team_people), (ack - triggered).total_seconds() > 300 if ack else True))
        Incident.objects.bulk_create(incidents, batch_size=1000)
        events, pages = [], []
        for incident, (first, second, escalated) in zip(incidents, plans):
            events.append(TimelineEvent(incident=incident, at=incident.triggered_at, kind="triggered", via="integration"))
            pages.append(Page(incident=incident, user=first, step=0, created_at=incident.triggered_at))
            if escalated:
                pages.append(Page(incident=incident, user=second, step=1,
                                  created_at=incident.triggered_at + timedelta(minutes=5)))
            for kind, at in (("acknowledged", incident.acknowledged_at), ("mitigated", incident.mitigated_at),
                             ("resolved", incident.resolved_at)):
                if at:
                    events.append(TimelineEvent(incident=incident, at=at, kind=kind, actor=first, via="web"))
        TimelineEvent.objects.bulk_create(events, batch_size=2000)
        Page.objects.bulk_create(pages, batch_size=2000)
        self._postmortems([i for i, (first, _s, _e) in zip(incidents, plans)
                           if i.resolved_at and i.severity in ("SEV1", "SEV2")], [p[0] for p in plans])

    def _postmortems(self, resolved, owners) -> None:
        """A postmortem for every resolved SEV1/SEV2 (as Vigil makes them), in every state, each with
        two action items, some overdue."""
        from incidents.models import ActionItem, Postmortem

        rnd, statuses = self.rnd, ["draft", "in_review", "reviewed", "closed"]
        postmortems = Postmortem.objects.bulk_create([
            Postmortem(incident=i, team_id=i.team_id, owner=rnd.choice(owners), status=rnd.choice(statuses),
                       review_due_on=i.resolved_at.date() + timedelta(days=5), summary=f"What happened in {i.title}",
                       timeline="- triggered\n- acknowledged\n- resolved", created_at=i.resolved_at)
            for i in resolved], batch_size=1000)
        ActionItem.objects.bulk_create([
            ActionItem(postmortem=pm, team_id=pm.team_id, title=f"Follow-up {k} of {pm.incident.title}",
                       owner=pm.owner if k else None, due_on=pm.review_due_on + timedelta(days=7 * k),
                       status=rnd.choice(["open", "in_progress", "done"]))
            for pm in postmortems for k in range(2)], batch_size=2000)


def measure(client, url: str, runs: int = 5) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    status = client.get(url).status_code  # warm-up: sessions, content types, the database's caches
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t0)
    return statistics.median(times), len(queries.captured_queries), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", default="10000,100000", help="sizes to measure at, comma-separated, growing")
    parser.add_argument("--postgres-url", default=os.environ.get("DATABASE_URL", "").startswith("postgres")
                        and os.environ["DATABASE_URL"] or "postgres://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    sizes = [int(s) for s in args.incidents.split(",")]
    with tempfile.TemporaryDirectory(prefix="vigil-bench-analytics-") as tmp:
        dbs = h.Databases(Path(tmp) / "dbs", postgres_url=args.postgres_url)
        try:
            os.environ["DATABASE_URL"] = dbs.new()
            os.environ["VIGIL_VAR_DIR"] = str(Path(tmp) / "var")
            from _setup import django_for_bench

            database = django_for_bench()
            rows = run(sizes)
        finally:
            from django.db import connections

            connections.close_all()
            dbs.close()
    print(f"\ndatabase: {database}; median of 5 fetches after a warm-up, logged in as a member of all 5 teams")
    print(f"{'page':52} {'incidents':>10} {'seconds':>8} {'queries':>8}")
    for label, size, seconds, queries, status in rows:
        note = "" if status == 200 else f"  (answered {status})"
        print(f"{label:52} {size:>10,} {seconds:8.3f} {queries:8d}{note}")
    worst = max(seconds for label, size, seconds, _, _ in rows if label.startswith("analytics") and size == sizes[-1])
    print(f"goal: every analytics page under 1 s at {sizes[-1]:,} incidents:", "met" if worst < 1 else "NOT met")


def run(sizes: list[int]) -> list[tuple]:
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test client's host name in
    world = World()
    client = Client()
    client.force_login(world.viewer)
    rows = []
    for size in sizes:
        t0 = time.perf_counter()
        world.add(size - world.count)
        print(f"filled to {size:,} incidents in {time.perf_counter() - t0:.1f} s", flush=True)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        for label, url in PAGES:
            seconds, queries, status = measure(client, url.format(team=world.teams[0].pk, schedule=world.schedule.pk))
            rows.append((label, size, seconds, queries, status))
            print(f"  {label}: {seconds:.3f} s, {queries} queries", flush=True)
    return rows


if __name__ == "__main__":
    main()
