"""/analytics/: the response analytics page and each of its tables as CSV."""
import csv
from typing import NamedTuple
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from incidents.models import Severity
from incidents.selectors import services_visible_to
from oncall.access import teams_visible_to

from .charts import Series, bar_chart, column_chart, line_chart
from .filters import AnalyticsFilterError, parse_filters
from .report import TABLE_NAMES, Report, analytics_report, duration_text, report_table

TOP_ROWS = 12  # bars per chart; the tables below them have every row


class Chart(NamedTuple):
    title: str
    svg: str


@login_required
@require_safe
def analytics_page(request: HttpRequest) -> HttpResponse:
    options = {"teams": list(teams_visible_to(request.user)),
               "services": list(services_visible_to(request.user).select_related("team")),
               "severities": Severity.values}
    try:
        filters = parse_filters(user=request.user, params=request.GET, today=timezone.now().date())
    except AnalyticsFilterError as refused:
        return render(request, "notifications/analytics.html", {
            **options, "error": refused.message, "selected": request.GET}, status=400)
    report = analytics_report(user=request.user, filters=filters)
    query = urlencode(filters.as_query())
    tables = [report_table(report, name) for name in TABLE_NAMES]
    return render(request, "notifications/analytics.html", {
        **options, "report": report, "selected": filters.as_query(), "summary": summary(report),
        "charts": page_charts(report), "tables": [(t, f"{t.name}.csv?{query}") for t in tables],
    })


@login_required
@require_safe
def analytics_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLE_NAMES:
        raise Http404("No such table.")
    try:
        filters = parse_filters(user=request.user, params=request.GET, today=timezone.now().date())
    except AnalyticsFilterError as refused:
        return HttpResponse(refused.message, status=400, content_type="text/plain; charset=utf-8")
    found = report_table(analytics_report(user=request.user, filters=filters), table)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"vigil-{table}-{filters.period.start}-{filters.period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([column.csv_header for column in found.columns])
    for row in found.rows:
        writer.writerow([spreadsheet_safe(v) for v in row])
    return response


def spreadsheet_safe(value):
    """A name that starts like a formula (=, +, -, @) would run as one when the file is opened
    in a spreadsheet: a quote in front keeps it text. Numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def summary(report: Report) -> list[tuple[str, str]]:
    overall = report.figures.overall
    share = f" ({round(100 * overall.escalated / overall.incidents)}%)" if overall.incidents else ""
    night = sum(r.night_pages for r in report.responders)

    def median(spread) -> str:
        return duration_text(spread.median) if spread.median is not None else "—"

    return [("Incidents", str(overall.incidents)), ("Reached a second step", f"{overall.escalated}{share}"),
            ("MTTA, median", median(overall.acknowledge)), ("Time to mitigate, median", median(overall.mitigate)),
            ("MTTR, median", median(overall.resolve)),
            ("Pages at night", f"{night} of {sum(r.pages for r in report.responders)}")]


def page_charts(report: Report) -> dict[str, Chart]:
    weeks = report.figures.by["week"]
    week_labels = [f"{g.key.day} {g.key:%b}" for g in weeks]
    services = report.figures.by["service"][:TOP_ROWS]
    responders = report.responders[:TOP_ROWS]
    durations = {"durations": True, "value_text": duration_text}
    drawn = {
        "weeks": ("Incidents per week", column_chart, {"labels": week_labels, "series": [
            Series("Incidents", [g.incidents for g in weeks]),
            Series("Reached a second step", [g.escalated for g in weeks])]}),
        "acknowledge": ("Time to acknowledge per week", line_chart, {**durations, "labels": week_labels, "series": [
            Series("Median", [g.acknowledge.median for g in weeks]),
            Series("p90", [g.acknowledge.p90 for g in weeks])]}),
        "resolve": ("Time to mitigate and to resolve per week (medians)", line_chart, {
            **durations, "labels": week_labels, "series": [Series("Mitigate", [g.mitigate.median for g in weeks]),
                                                           Series("Resolve", [g.resolve.median for g in weeks])]}),
        "services": ("Incidents per service", bar_chart, {
            "labels": [report.label("service", g.key) for g in services],
            "series": [Series("Incidents", [g.incidents for g in services]),
                       Series("Reached a second step", [g.escalated for g in services])]}),
        "responders": ("Pages per responder", bar_chart, {
            "labels": [r.username for r in responders],
            "series": [Series("Pages", [r.pages for r in responders]),
                       Series("At night", [r.night_pages for r in responders])]}),
    }
    # The markup is built from numbers and escaped names only (charts.py escapes every text).
    return {name: Chart(title, mark_safe(draw(chart_id=f"chart-{name}", title=title, **options)))  # noqa: S308
            for name, (title, draw, options) in drawn.items()}
