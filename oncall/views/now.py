"""Who is on call now, and next, in every schedule of the person's teams; and their own shifts."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Count
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
# Schedules per page: the on-call maths is per schedule, so a page of them costs the same for an
# organisation with 30 schedules and one with 3,000.
SCHEDULES_PER_PAGE = 50


@login_required
@require_safe
def oncall_now(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    mine = schedules.user_shifts(user=request.user, start=now, end=now + timedelta(days=TIMELINE_DAYS))
    return render(request, "oncall/now.html", {**oncall_page_context(request, now), "now": now, "my_shifts": mine[:10]})


def oncall_page_context(request: HttpRequest, now: datetime) -> dict:
    """The teams' on-call tables of the on-call and schedule list pages: one page of schedules,
    optionally of one team (`?team=<id>&page=<n>`)."""
    visible_teams = list(teams_visible_to(request.user).order_by("name"))
    team = next((t for t in visible_teams if str(t.pk) == request.GET.get("team")), None)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    teams, more = teams_with_oncall(request.user, now, team=team, page=page, per_page=SCHEDULES_PER_PAGE)
    return {"teams": teams, "team_choices": visible_teams, "team_filter": team, "page_number": page,
            "has_more": more}


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
    current_shadows: str = ""  # "dana, erin": beside the person on call, never paged for real
    gap_warnings: tuple[str, ...] = ()  # "Nobody on call Tue 02:00–06:00 (in 2 days)", the week ahead


def teams_with_oncall(user: User, now: datetime, *, team=None, page: int = 1,
                      per_page: int = SCHEDULES_PER_PAGE) -> tuple[list[tuple], bool]:
    """([(team, [OnCallRow, ...])], whether more pages follow) for one page of the schedules the
    person can see, ordered by team and name, in a fixed number of queries. Teams with no
    schedule show on the first page."""
    teams = teams_visible_to(user).annotate(schedule_count=Count("schedules")).order_by("name")
    visible = schedules.schedules_visible_to(user).order_by("team__name", "name", "id")
    if team is not None:
        teams, visible = teams.filter(pk=team.pk), visible.filter(team_id=team.pk)
    start = (page - 1) * per_page
    found = list(visible[start:start + per_page + 1])
    more, found = len(found) > per_page, found[:per_page]
    teams = [t for t in teams if any(s.team_id == t.pk for s in found) or (page == 1 and t.schedule_count == 0)]
    oncall = coverage.schedules_oncall_now_and_next(
        schedules.schedules_visible_to(user).filter(pk__in=[s.pk for s in found]), at=now)
    ids = {shift.person for o in oncall.values() for shift in (o.current, o.next) if shift}
    shadows = schedules.schedules_shadows_at({pk: o.current for pk, o in oncall.items()}, at=now)
    names = _names(ids | {person for people in shadows.values() for person in people})
    readiness = contacts.users_readiness(user_ids=list(ids))
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
            current_shadows=", ".join(names.get(person, "?") for person in shadows.get(s.pk, [])),
            gap_warnings=gap_warnings(oncall[s.pk].gaps, now=now, zone=ZoneInfo(s.time_zone))))
    return [(team, [r for r in rows if r.schedule.team_id == team.pk]) for team in teams], more


def gap_warnings(gaps, *, now: datetime, zone: ZoneInfo, shown: int = 3) -> tuple[str, ...]:
    warnings = [coverage.gap_warning(gap, now=now, zone=zone) for gap in gaps[:shown]]
    if len(gaps) > shown:
        more = len(gaps) - shown
        warnings.append(f"… and {more} more stretch{pluralize(more, 'es')} with nobody on call this week")
    return tuple(warnings)


def _names(ids) -> dict:
    return {u.pk: person_label(u) for u in User.objects.filter(pk__in=list(ids))}
