"""The hand-off section of a schedule's page (oncall/page_sections.py): the last completed shift
and the current one so far, in counts, with links to their full reports.

The section costs the schedule page no query: it loads its counts on its own (htmx, with a plain
link to the full report without JavaScript), so a month of pages never slows the schedule down.
The counts come from one reading of the schedule, one of its people, one of their pages and one of
the incidents, whatever the shifts held."""
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


@dataclass(frozen=True)
class _Shift:
    person: int
    incoming: int | None
    start: datetime
    end: datetime


def _name(people: dict, pk: int | None) -> str:
    if pk not in people:
        return ""
    user = people[pk][0]
    return user.get_full_name() or user.get_username()


def _summaries(schedule: Schedule, shifts: dict[str, _Shift]) -> dict[str, ShiftSummary]:
    people = selectors.people_by_id({p for s in shifts.values() for p in (s.person, s.incoming) if p})
    counts = selectors.incident_counts(schedule=schedule, periods={
        name: selectors.in_period(schedule=schedule, people={s.person}, start=s.start, end=s.end)
        for name, s in shifts.items()})
    pages = list(selectors.pages_in_period(
        schedule=schedule, people={s.person for s in shifts.values()}, start=min(s.start for s in shifts.values()),
        end=max(s.end for s in shifts.values())).values_list("user_id", "created_at"))
    out = {}
    for name, s in shifts.items():
        zone = people[s.person][1] if s.person in people else ZoneInfo("UTC")
        mine = [at for user_id, at in pages if user_id == s.person and s.start <= at < s.end]
        out[name] = ShiftSummary(
            start=s.start, end=s.end, person=_name(people, s.person), incoming=_name(people, s.incoming),
            incidents=counts[name]["total"], still_open=counts[name]["open"], pages=len(mine),
            night_pages=sum(is_night(at.astimezone(zone)) for at in mine))
    return out


def schedule_handoff_section(request: HttpRequest, schedule: Schedule) -> Section:
    return Section("notifications/handoff/_section.html", {"schedule": schedule})


def shift_summaries(*, schedule: Schedule, now: datetime) -> dict[str, ShiftSummary]:
    """{"last": the last completed shift, "current": the one under way until `now`}, either left
    out when there is none; empty for an empty schedule."""
    [maths] = schedule_maths(Schedule.objects.filter(pk=schedule.pk), start=now - 2 * MAX_PERIOD - timedelta(days=1),
                             end=now + timedelta(minutes=1))
    shifts = {}
    if last := last_shift_end(maths, at=now):
        shifts["last"] = _Shift(person=last.outgoing, incoming=last.incoming, start=last.started_at, end=last.at)
    if (current := span_at(maths, at=now)) and current.end > current.start:
        shifts["current"] = _Shift(person=current.person, incoming=None, start=current.start, end=current.end)
    return _summaries(schedule, shifts) if shifts else {}
