"""The full hand-off report page of a schedule, for any period (default: the last completed shift),
and the counts the schedule page's hand-off section loads."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from oncall.schedules import schedules_visible_to

from .period import period_from_query
from .report import HandoffPeriodError, handoff_report
from .section import shift_summaries
from .shifts import MAX_PERIOD

PICKER_FORMAT = "%Y-%m-%dT%H:%M"


def _picker(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime(PICKER_FORMAT)


@login_required
@require_safe
def handoff_page(request: HttpRequest, pk: int) -> HttpResponse:
    # Another team's schedule is a 404, as on the schedule page itself.
    schedule = get_object_or_404(schedules_visible_to(request.user), pk=pk)
    zone, now = ZoneInfo(schedule.time_zone), timezone.now()
    context = {"schedule": schedule, "zone": zone, "max_days": MAX_PERIOD.days,
               "week_from": _picker(now - timedelta(days=7), zone), "week_to": _picker(now, zone)}
    try:
        start, end = period_from_query(request.GET, schedule=schedule, zone=zone, now=now)
    except HandoffPeriodError as e:
        context |= {"error": e.message, "from": request.GET.get("from", "")[:40], "to": request.GET.get("to", "")[:40]}
        return render(request, "notifications/handoff/page.html", context, status=400)
    report = handoff_report(schedule=schedule, start=start, end=end, now=now)
    context |= {"report": report, "from": _picker(start, zone), "to": _picker(end, zone)}
    return render(request, "notifications/handoff/page.html", context)


@login_required
@require_safe
def handoff_summary(request: HttpRequest, pk: int) -> HttpResponse:
    """The schedule page's hand-off section, filled in (empty for an empty schedule)."""
    schedule = get_object_or_404(schedules_visible_to(request.user), pk=pk)
    summaries = shift_summaries(schedule=schedule, now=timezone.now())
    return render(request, "notifications/handoff/_summary.html", {"schedule": schedule, **summaries})
