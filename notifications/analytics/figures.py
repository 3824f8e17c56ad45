"""The figures, as plain values, whichever database computed them (see the package docstring).

Durations are seconds from the incident's trigger: to its acknowledgement, to its mitigation (or
its resolution, for one resolved without a mitigation step: the impact was over by then), and to
its resolution. An incident not yet acknowledged, mitigated or resolved counts in `incidents` but
not in that measure's spread. An escalation "reached a second step" when someone was paged at a
step after the first, or in a later loop of the policy: the first page went unanswered.
"""
import math
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from incidents.models import Incident

from ..models import Page

MEASURES = ("acknowledge", "mitigate", "resolve")
MEASURE_NAMES = {"acknowledge": "time to acknowledge", "mitigate": "time to mitigate", "resolve": "time to resolve"}
BREAKDOWNS = ("week", "service", "team", "severity")
NIGHT_STARTS, NIGHT_ENDS = 22, 7  # 22:00–07:00 on the person's own clock
# Both paths round to the millisecond: PostgreSQL's float averages and Python's may differ in
# the last bits, never in the third decimal of a second.
DECIMALS = 3


@dataclass(frozen=True)
class Spread:
    count: int = 0
    mean: float | None = None
    median: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: `key` is a week's Monday, a service or team id, a severity, or None
    for all the incidents."""

    key: date | int | str | None
    incidents: int = 0
    escalated: int = 0
    acknowledge: Spread = field(default_factory=Spread)
    mitigate: Spread = field(default_factory=Spread)
    resolve: Spread = field(default_factory=Spread)


@dataclass(frozen=True)
class ResponseFigures:
    overall: Group
    by: dict[str, list[Group]]  # breakdown -> rows (weeks in order; the others by incidents, most first)


@dataclass(frozen=True)
class ResponderLoad:
    user_id: int
    username: str
    pages: int
    night_pages: int
    second_step_pages: int


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the two closest ranks of the
    sorted values, the same arithmetic in the same order."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, DECIMALS)


def spread_of(values: list[float]) -> Spread:
    if not values:
        return Spread()
    return Spread(count=len(values), mean=rounded(math.fsum(values) / len(values)),
                  median=rounded(percentile_cont(values, 0.5)), p90=rounded(percentile_cont(values, 0.9)))


def escalated_pages() -> Q:
    return Q(step__gte=1) | Q(loop__gt=0)


def response_rows(incidents: QuerySet[Incident]) -> QuerySet:
    """What both paths read of each incident, in this order."""
    reached_second_step = Exists(Page.objects.filter(escalated_pages(), incident_id=OuterRef("pk")))
    return incidents.annotate(escalated=reached_second_step).values_list(
        "team_id", "service_id", "severity", "triggered_at", "acknowledged_at", "mitigated_at", "resolved_at",
        "escalated").order_by()


def response_figures(*, incidents: QuerySet[Incident], weeks: list[date]) -> ResponseFigures:
    """Counts and spreads of every measure for all `incidents` and per week, service, team and
    severity, in one query. Weeks with no incident are rows of zeros, so that a chart's axis has
    no holes."""
    if connection.vendor == "postgresql":
        from .postgres import response_groups
    else:
        from .python_path import response_groups
    overall, by = response_groups(incidents)
    present = {g.key: g for g in by["week"]}
    by["week"] = [present.get(week, Group(key=week)) for week in weeks]
    for name in ("service", "team", "severity"):
        by[name].sort(key=lambda g: (-g.incidents, str(g.key)))
    return ResponseFigures(overall=overall or Group(key=None), by=by)


def responder_load(*, incidents: QuerySet[Incident]) -> list[ResponderLoad]:
    """Pages per person for `incidents`, most paged first, with those sent at night on the
    person's own clock (their profile's zone; UTC without one) and those of a later step."""
    if connection.vendor == "postgresql":
        from .postgres import responder_rows
    else:
        from .python_path import responder_rows
    # A shadow's copy is nobody's load: the shadow was never responsible for it.
    loads = responder_rows(Page.objects.filter(incident__in=incidents.values("pk")).exclude(reason=Page.Reason.SHADOW))
    return sorted(loads, key=lambda load: (-load.pages, load.username))
