"""The figures aggregated by PostgreSQL: the rows never leave the database, so the page costs the
same few queries for a hundred incidents or a million."""
from contextlib import contextmanager

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from incidents.models import Incident

from .figures import (
    BREAKDOWNS, MEASURES, NIGHT_ENDS, NIGHT_STARTS, Group, ResponderLoad, Spread, escalated_pages, response_rows,
    rounded,
)

COLUMNS = ("team_id", "service_id", "severity", "triggered_at", "acknowledged_at", "mitigated_at", "resolved_at",
           "escalated")
# GROUPING(week, service_id, team_id, severity) sets a bit, first column highest, for each column
# a row is NOT grouped by: which breakdown the row belongs to.
BREAKDOWN_OF_GROUPING = {0b0111: "week", 0b1011: "service", 0b1101: "team", 0b1110: "severity", 0b1111: None}


def _spread_sql(column: str) -> str:
    # Both percentiles from one aggregate: one sort of the group's values instead of two.
    return f"count({column}), avg({column}), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {column})"


RESPONSE_SQL = f"""
-- date_part, not EXTRACT: since PostgreSQL 14 EXTRACT answers in numeric, whose arithmetic cost
-- half of this query's time at 100,000 incidents; date_part answers in float8 directly.
WITH base ({", ".join(COLUMNS)}) AS ({{rows}}),
durations AS (
    SELECT team_id, service_id, severity, escalated,
           date_trunc('week', triggered_at AT TIME ZONE 'UTC')::date AS week,
           date_part('epoch', acknowledged_at - triggered_at) AS acknowledge,
           date_part('epoch', COALESCE(mitigated_at, resolved_at) - triggered_at) AS mitigate,
           date_part('epoch', resolved_at - triggered_at) AS resolve
    FROM base
)
SELECT GROUPING(week, service_id, team_id, severity), week, service_id, team_id, severity,
       count(*), count(*) FILTER (WHERE escalated),
       {", ".join(_spread_sql(m) for m in MEASURES)}
FROM durations
GROUP BY GROUPING SETS ((week), (service_id), (team_id), (severity), ())
"""


@contextmanager
def reporting_settings():
    """For one transaction: no JIT, whose compiling (over a second, measured by bench/analytics.py)
    costs more than these queries take to run, and sorts for percentiles kept in memory."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)")
        yield cursor


def response_groups(incidents: QuerySet[Incident]) -> tuple[Group | None, dict[str, list[Group]]]:
    try:
        rows_sql, params = response_rows(incidents).query.sql_with_params()
    except EmptyResultSet:  # someone in no team: Django knows there is nothing without asking
        return None, {name: [] for name in BREAKDOWNS}
    with reporting_settings() as cursor:
        cursor.execute(RESPONSE_SQL.format(rows=rows_sql), params)
        rows = cursor.fetchall()
    overall, by = None, {name: [] for name in BREAKDOWNS}
    for grouping, week, service_id, team_id, severity, count, escalated, *spreads in rows:
        breakdown = BREAKDOWN_OF_GROUPING[grouping]
        key = {"week": week, "service": service_id, "team": team_id, "severity": severity, None: None}[breakdown]
        measures = {m: _spread(*spreads[3 * k:3 * k + 3]) for k, m in enumerate(MEASURES)}
        group = Group(key=key, incidents=count, escalated=escalated, **measures)
        if breakdown is None:
            overall = group if count else None
        else:
            by[breakdown].append(group)
    return overall, by


def _spread(count: int, mean: float | None, percentiles: list[float] | None) -> Spread:
    if not count:
        return Spread()
    median, p90 = percentiles
    return Spread(count=count, mean=rounded(mean), median=rounded(median), p90=rounded(p90))


class HourAt(Func):
    """The hour on a wall clock whose zone is itself a column: `date_part('hour', t AT TIME ZONE z)`."""

    template = "date_part('hour', %(expressions)s)"
    arg_joiner = " AT TIME ZONE "
    output_field = IntegerField()


def responder_rows(pages: QuerySet) -> list[ResponderLoad]:
    hour = HourAt(F("created_at"), Coalesce(F("user__oncall_profile__time_zone"), Value("UTC")))
    with reporting_settings():
        rows = list(pages.annotate(hour=hour).values("user_id", "user__username").annotate(
            pages=Count("pk"),
            night=Count("pk", filter=Q(hour__gte=NIGHT_STARTS) | Q(hour__lt=NIGHT_ENDS)),
            later=Count("pk", filter=escalated_pages()),
        ).order_by())
    return [ResponderLoad(user_id=r["user_id"], username=r["user__username"], pages=r["pages"],
                          night_pages=r["night"], second_step_pages=r["later"]) for r in rows]
