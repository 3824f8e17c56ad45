"""The figures computed in Python over the period's rows: SQLite has no percentile_cont and no
per-row time zones. One query for the incidents, one for the pages, whatever their number."""
from collections import defaultdict
from datetime import UTC
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from incidents.models import Incident

from .figures import (
    BREAKDOWNS, MEASURES, NIGHT_ENDS, NIGHT_STARTS, Group, ResponderLoad, response_rows, spread_of,
)
from .filters import week_of


class _Tally:
    def __init__(self) -> None:
        self.incidents = 0
        self.escalated = 0
        self.durations: dict[str, list[float]] = {m: [] for m in MEASURES}

    def add(self, escalated: bool, durations: dict[str, float | None]) -> None:
        self.incidents += 1
        self.escalated += bool(escalated)
        for measure, seconds in durations.items():
            if seconds is not None:
                self.durations[measure].append(seconds)

    def group(self, key) -> Group:
        return Group(key=key, incidents=self.incidents, escalated=self.escalated,
                     **{m: spread_of(self.durations[m]) for m in MEASURES})


def _since(start, end) -> float | None:
    return None if end is None else (end - start).total_seconds()


def response_groups(incidents: QuerySet[Incident]) -> tuple[Group | None, dict[str, list[Group]]]:
    overall = _Tally()
    tallies: dict[str, dict] = {name: defaultdict(_Tally) for name in BREAKDOWNS}
    rows = response_rows(incidents)
    for team_id, service_id, severity, triggered, acknowledged, mitigated, resolved, escalated in rows:
        durations = {"acknowledge": _since(triggered, acknowledged),
                     "mitigate": _since(triggered, mitigated or resolved),
                     "resolve": _since(triggered, resolved)}
        keys = {"week": week_of(triggered.astimezone(UTC).date()), "service": service_id, "team": team_id,
                "severity": severity}
        overall.add(escalated, durations)
        for name, key in keys.items():
            tallies[name][key].add(escalated, durations)
    by = {name: [tally.group(key) for key, tally in groups.items()] for name, groups in tallies.items()}
    return (overall.group(None) if overall.incidents else None), by


def is_night(hour: int) -> bool:
    return hour >= NIGHT_STARTS or hour < NIGHT_ENDS


def responder_rows(pages: QuerySet) -> list[ResponderLoad]:
    counts: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    zones: dict[str, ZoneInfo] = {}
    rows = pages.values_list(
        "user_id", "user__username", "user__oncall_profile__time_zone", "created_at", "step", "loop")
    for user_id, username, zone_name, created_at, step, loop in rows:
        zone = zones.setdefault(zone_name or "UTC", ZoneInfo(zone_name or "UTC"))
        tally = counts[(user_id, username)]
        tally[0] += 1
        tally[1] += is_night(created_at.astimezone(zone).hour)
        tally[2] += step >= 1 or loop > 0
    return [ResponderLoad(user_id=user_id, username=username, pages=total, night_pages=night, second_step_pages=later)
            for (user_id, username), (total, night, later) in counts.items()]
