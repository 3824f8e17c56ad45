"""The hand-off section of a schedule's page (oncall/page_sections.py): the last completed shift
and the current one so far, in counts, with links to their full reports.

Counts only, from one reading of the schedule: the schedule page stays a fixed, small number of
queries whatever the shifts held."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone

from oncall.models import Schedule
from oncall.page_sections import Section
from oncall.schedules.maths import schedule_maths

from . import selectors
from .report import is_night
from .shifts import MAX_PERIOD, last_shift_end, span_at


@dataclass(frozen=True)
class ShiftSummary:
    start: datetime
    end: datetime
    person: str
    incoming: str
    incidents: int
    still_open: int
    pages: int
    night_pages: int

    @property
    def quiet(self) -> bool:
        return not self.incidents and not self.pages


def _name(people: dict, pk: int | None) -> str:
    if pk not in people:
        return ""
    user = people[pk][0]
    return user.get_full_name() or user.get_username()


def _summary(schedule: Schedule, people: dict, *, person: int, incoming: int | None, start: datetime,
             end: datetime) -> ShiftSummary:
    counts = selectors.incident_counts(selectors.incidents_in_period(
        schedule=schedule, people={person}, start=start, end=end))
    pages = list(selectors.pages_in_period(schedule=schedule, people={person}, start=start, end=end).values_list(
        "created_at", flat=True))
    zone = people[person][1] if person in people else ZoneInfo("UTC")
    return ShiftSummary(start=start, end=end, person=_name(people, person), incoming=_name(people, incoming),
                        incidents=counts["total"], still_open=counts["open"], pages=len(pages),
                        night_pages=sum(is_night(at.astimezone(zone)) for at in pages))


def schedule_handoff_section(request: HttpRequest, schedule: Schedule) -> Section | None:
    now = timezone.now()
    [maths] = schedule_maths(Schedule.objects.filter(pk=schedule.pk), start=now - 2 * MAX_PERIOD - timedelta(days=1),
                             end=now + timedelta(minutes=1))
    last, current = last_shift_end(maths, at=now), span_at(maths, at=now)
    if last is None and current is None:
        return None  # an empty schedule has no shifts to report on
    people = selectors.people_by_id({p for p in (last and last.outgoing, last and last.incoming,
                                                 current and current.person) if p})
    context = {"schedule": schedule, "last": None, "current": None}
    if last:
        context["last"] = _summary(schedule, people, person=last.outgoing, incoming=last.incoming,
                                   start=last.started_at, end=last.at)
    if current and current.end > current.start:
        context["current"] = _summary(schedule, people, person=current.person, incoming=None,
                                      start=current.start, end=current.end)
    return Section("notifications/handoff/_section.html", context)
