"""Everything the analytics page, its CSV downloads and the API show, computed once: the figures
with the names of what they are about, laid out as tables with the same rows for every reader."""
from dataclasses import dataclass
from functools import cached_property
from datetime import date

from django.contrib.auth.models import User

from incidents.selectors import services_visible_to
from oncall.access import teams_visible_to

from .figures import MEASURES, Group, ResponderLoad, ResponseFigures, responder_load, response_figures
from .filters import AnalyticsFilters, analytics_incidents


class Report:
    """The figures for one person and one choice of filters, each part computed when first read
    (a download of one table needs one query, the page all of them)."""

    def __init__(self, *, user: User, filters: AnalyticsFilters):
        self.user = user
        self.filters = filters
        self.incidents = analytics_incidents(user=user, filters=filters)

    @cached_property
    def figures(self) -> ResponseFigures:
        return response_figures(incidents=self.incidents, weeks=self.filters.period.weeks())

    @cached_property
    def responders(self) -> list[ResponderLoad]:
        return responder_load(incidents=self.incidents)

    @cached_property
    def services(self) -> dict[int, str]:
        ids = [g.key for g in self.figures.by["service"]]
        return dict(services_visible_to(self.user).filter(pk__in=ids).values_list("pk", "name"))

    @cached_property
    def teams(self) -> dict[int, str]:
        ids = [g.key for g in self.figures.by["team"]]
        return dict(teams_visible_to(self.user).filter(pk__in=ids).values_list("pk", "name"))

    def label(self, breakdown: str, key) -> str:
        if breakdown == "week":
            return key.isoformat()
        if breakdown == "service":
            return self.services.get(key, f"service {key}")
        if breakdown == "team":
            return self.teams.get(key, f"team {key}")
        return str(key)


def analytics_report(*, user: User, filters: AnalyticsFilters) -> Report:
    return Report(user=user, filters=filters)


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "count"  # "text", "count" or "seconds"
    # On the page, consecutive columns of one measure share a cell ("MTTA mean / median / p90"),
    # so that a row fits a phone as a short card; the CSV keeps a column each.
    measure: str = ""

    @property
    def csv_header(self) -> str:
        return f"{self.header} (seconds)" if self.kind == "seconds" else self.header


@dataclass(frozen=True)
class Cell:
    header: str
    text: str
    numeric: bool


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[list]

    def display_headers(self) -> list[Cell]:
        return [Cell(header, header, kind != "text") for header, kind, _ in self._merged(self.columns)]

    def display_rows(self) -> list[list[Cell]]:
        return [[Cell(header, " / ".join(display(v, kind) for v in values), kind != "text")
                 for header, kind, values in self._merged(self.columns, row)] for row in self.rows]

    @staticmethod
    def _merged(columns: list[Column], row: list | None = None) -> list[tuple[str, str, list]]:
        merged: list[tuple[str, str, list]] = []
        for k, column in enumerate(columns):
            value = row[k] if row is not None else None
            if column.measure and merged and merged[-1][0].startswith(column.measure + " "):
                header, kind, values = merged.pop()
                stat = column.header.removeprefix(column.measure + " ")
                merged.append((f"{header} / {stat}", kind, values + [value]))
            else:
                merged.append((column.header, column.kind, [value]))
        return merged


STATS = ("mean", "median", "p90")
SHORT = {"acknowledge": "MTTA", "mitigate": "Time to mitigate", "resolve": "MTTR"}
BREAKDOWN_TABLES = {"weeks": ("week", "Week (from Monday)", "By week"),
                    "services": ("service", "Service", "By service"),
                    "teams": ("team", "Team", "By team"),
                    "severities": ("severity", "Severity", "By severity")}
TABLE_NAMES = (*BREAKDOWN_TABLES, "responders")


def group_columns(first: str) -> list[Column]:
    return [Column(first, "text"), Column("Incidents"), Column("Reached a second step"),
            *(Column(f"{SHORT[m]} {stat}", "seconds", SHORT[m]) for m in MEASURES for stat in STATS)]


def group_values(group: Group) -> list:
    return [group.incidents, group.escalated,
            *(getattr(getattr(group, m), stat) for m in MEASURES for stat in STATS)]


def report_table(report: Report, name: str) -> Table:
    if name == "responders":
        return Table(name, "On-call load: pages per responder",
                     [Column("Responder", "text"), Column("Pages"), Column("At night (22:00–07:00 their time)"),
                      Column("At a second step")],
                     [[r.username, r.pages, r.night_pages, r.second_step_pages] for r in report.responders])
    breakdown, first, title = BREAKDOWN_TABLES[name]
    return Table(name, title, group_columns(first),
                 [[report.label(breakdown, g.key), *group_values(g)] for g in report.figures.by[breakdown]])


def display(value, kind: str) -> str:
    if kind == "seconds":
        return "—" if value is None else duration_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def duration_text(seconds: float) -> str:
    """4m 30s, 2h 05m, 3d 4h, 15m: two units at most, enough to compare at a glance."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {s:02d}s" if s else f"{minutes}m"
    hours, m = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {m:02d}m" if m else f"{hours}h"
    days, h = divmod(hours, 24)
    return f"{days}d {h}h" if h else f"{days}d"
