"""Who is on call, for many schedules at once, and a long final schedule for one.

    .venv/bin/python bench/oncall.py [--schedules 1000]

Builds N schedules of 3 layers (weekly, daily and 12-hour rotations, with daily and weekly
restrictions) and a few overrides each, then prints side by side:
- baseline: loading the same rows with the same prefetches, no maths;
- who is on call in every schedule at one instant (time and SQL query count, which must not grow
  with N: it is also measured for N/10 schedules);
- the rotation maths alone for all N;
- who is on call and the gaps of the next 7 days in every schedule (what /api/v1/oncall/ answers),
  with its query count for N and N/10 schedules;
- a 90-day final schedule for one schedule.
Goal: all N answered in under 1 s, gaps included.
"""
import argparse
import random
import time
from datetime import date, datetime, time as clock, timedelta, timezone

from _setup import django_for_bench


def build(n: int):
    from django.contrib.auth.models import User

    from oncall.models import Layer, LayerParticipant, Membership, Override, Restriction, Schedule, Team

    rnd = random.Random(7)
    stamp = time.time_ns()
    team = Team.objects.create(name=f"bench {stamp}", slug=f"bench-{stamp}")
    users = User.objects.bulk_create([User(username=f"b{stamp}-{i}") for i in range(30)])
    Membership.objects.bulk_create([Membership(team=team, user=u) for u in users])
    zones = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC", "Australia/Lord_Howe"]
    schedules = Schedule.objects.bulk_create(
        [Schedule(team=team, name=f"s{i}", time_zone=rnd.choice(zones)) for i in range(n)])
    layers, participants, restrictions, overrides = [], [], [], []
    units = [("weeks", 1), ("days", 1), ("hours", 12)]
    for s in schedules:
        for position, (unit, length) in enumerate(units):
            layers.append(Layer(schedule=s, position=position, turn_unit=unit, turn_length=length,
                                handoff_time=clock(rnd.randrange(24)), start_date=date(2024, 1, 1) + timedelta(days=rnd.randrange(600))))
    layers = Layer.objects.bulk_create(layers)
    for layer in layers:
        for position, user in enumerate(rnd.sample(users, 4)):
            participants.append(LayerParticipant(layer=layer, user=user, position=position))
        if layer.position == 1:
            restrictions.append(Restriction(layer=layer, kind="daily", start_time=clock(8), end_time=clock(20)))
        if layer.position == 2:
            restrictions.append(Restriction(layer=layer, kind="weekly", start_weekday=4, start_time=clock(18),
                                            end_weekday=0, end_time=clock(8)))
    LayerParticipant.objects.bulk_create(participants)
    Restriction.objects.bulk_create(restrictions)
    now = datetime.now(timezone.utc)
    for s in schedules:
        for _ in range(3):
            start = now + timedelta(hours=rnd.randrange(-72, 72))
            overrides.append(Override(schedule=s, user=rnd.choice(users), starts_at=start,
                                      ends_at=start + timedelta(hours=rnd.randrange(1, 48))))
    Override.objects.bulk_create(overrides)
    return team, schedules


def timed(fn):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
    return result, elapsed, len(queries.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=1000)
    args = parser.parse_args()
    database = django_for_bench()

    from oncall import rotation
    from oncall.coverage import schedules_oncall_with_gaps
    from oncall.models import Schedule
    from oncall.schedules import schedule_maths, schedule_rows, schedule_shifts, schedules_oncall_at

    team, built = build(args.schedules)
    qs = Schedule.objects.filter(team=team)
    small = Schedule.objects.filter(pk__in=[s.pk for s in built[: max(1, args.schedules // 10)]])
    at = datetime.now(timezone.utc)

    def load_only():
        return schedule_rows([s.pk for s in qs.order_by()], start=at, end=at + timedelta(microseconds=1))

    _, base_s, base_q = timed(load_only)
    answers, all_s, all_q = timed(lambda: schedules_oncall_at(qs, at=at))
    _, _, small_q = timed(lambda: schedules_oncall_at(small, at=at))
    loaded = schedule_maths(qs, start=at, end=at + timedelta(microseconds=1))
    _, maths_s, _ = timed(lambda: [rotation.oncall_at(layers=m.layers, overrides=m.overrides, tz=m.tz, at=at) for m in loaded])
    with_gaps, gaps_s, gaps_q = timed(lambda: schedules_oncall_with_gaps(qs, at=at))
    _, _, small_gaps_q = timed(lambda: schedules_oncall_with_gaps(small, at=at))
    result, shifts_s, shifts_q = timed(lambda: schedule_shifts(schedule=built[0], start=at, end=at + timedelta(days=90)))

    covered = sum(1 for shift in answers.values() if shift)
    print(f"database: {database}; {args.schedules} schedules x 3 layers, restrictions, 3 overrides each")
    print(f"{'measure':58} {'seconds':>8} {'queries':>8}")
    print(f"{'baseline: read the same rows, no maths':58} {base_s:8.3f} {base_q:8d}")
    print(f"{'who is on call in every schedule at one instant':58} {all_s:8.3f} {all_q:8d}")
    print(f"{'  same for ' + str(small.count()) + ' schedules (queries must not grow)':58} {'':>8} {small_q:8d}")
    print(f"{'rotation maths alone for every schedule':58} {maths_s:8.3f} {0:8d}")
    print(f"{'on call and gaps of the next 7 days, every schedule':58} {gaps_s:8.3f} {gaps_q:8d}")
    print(f"{'  same for ' + str(small.count()) + ' schedules (queries must not grow)':58} {'':>8} {small_gaps_q:8d}")
    print(f"{'90-day final schedule for one schedule':58} {shifts_s:8.3f} {shifts_q:8d}")
    holed = sum(1 for found in with_gaps.values() if found.gaps)
    print(f"on call somewhere: {covered}/{len(answers)}; with a gap in the next 7 days: {holed}/{len(with_gaps)}; "
          f"90-day final schedule: {len(result['final'])} shifts")
    print("goal: all schedules answered in under 1 s:", "met" if all_s < 1 else "NOT met")
    print("goal: all schedules' gaps answered in under 1 s:", "met" if gaps_s < 1 else "NOT met")


if __name__ == "__main__":
    main()
