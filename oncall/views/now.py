"""Who is on call now, and next, in every schedule of the person's teams; and their own shifts."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_safe

from .. import contacts, coverage, schedules
from ..access import teams_visible_to
from ..forms import person_label
from ..models import Schedule
from ..rotation import Shift

# How far ahead the page lists the person's own shifts (and the schedule page draws its timeline).
TIMELINE_DAYS = 14


@login_required
@require_safe
def oncall_now(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    teams = teams_with_oncall(request.user, now)
    mine = schedules.user_shifts(user=request.user, start=now, end=now + timedelta(days=TIMELINE_DAYS))
    return render(request, "oncall/now.html", {"teams": teams, "now": now, "my_shifts": mine[:10]})


@dataclass
class OnCallRow:
    schedule: Schedule
    current: Shift | None
    next: Shift | None
    current_name: str = ""
    next_name: str = ""
    current_pageable: bool = True
    next_pageable: bool = True
    current_why: str = ""
    next_why: str = ""
    gap_warnings: tuple[str, ...] = ()  # "Nobody on call Tue 02:00–06:00 (in 2 days)", the week ahead


def teams_with_oncall(user: User, now: datetime) -> list[tuple]:
    """[(team, [OnCallRow, ...])] for every team the person can see, in a fixed number of queries."""
    teams = list(teams_visible_to(user).order_by("name"))
    visible = schedules.schedules_visible_to(user)
    found = list(visible.order_by("name"))
    oncall = coverage.schedules_oncall_now_and_next(visible, at=now)
    ids = {shift.person for o in oncall.values() for shift in (o.current, o.next) if shift}
    names, readiness = _names(ids), contacts.users_readiness(user_ids=list(ids))
    rows = []
    for s in found:
        current, following = oncall[s.pk].current, oncall[s.pk].next
        rows.append(OnCallRow(
            schedule=s, current=current, next=following,
            current_name=names.get(current.person, "?") if current else "",
            next_name=names.get(following.person, "?") if following else "",
            current_pageable=current is None or readiness[current.person].has_usable_rule,
            next_pageable=following is None or readiness[following.person].has_usable_rule,
            current_why=" ".join(readiness[current.person].problems) if current else "",
            next_why=" ".join(readiness[following.person].problems) if following else "",
            gap_warnings=gap_warnings(oncall[s.pk].gaps, now=now, zone=ZoneInfo(s.time_zone))))
    return [(team, [r for r in rows if r.schedule.team_id == team.pk]) for team in teams]


def gap_warnings(gaps, *, now: datetime, zone: ZoneInfo, shown: int = 3) -> tuple[str, ...]:
    warnings = [coverage.gap_warning(gap, now=now, zone=zone) for gap in gaps[:shown]]
    if len(gaps) > shown:
        more = len(gaps) - shown
        warnings.append(f"… and {more} more stretch{pluralize(more, 'es')} with nobody on call this week")
    return tuple(warnings)


def _names(ids) -> dict:
    return {u.pk: person_label(u) for u in User.objects.filter(pk__in=list(ids))}
