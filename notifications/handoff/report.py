"""What happened on a shift (or any period of a schedule): built from a constant number of queries
whatever the period holds, and returned as plain values that the page, the email and the API all
render.

Night pages are counted in Python over the period's pages, each in its person's own zone: a
month of one team's pages is a few thousand rows at most, and zoneinfo settles DST the same way on
SQLite and PostgreSQL.
"""
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

from config.errors import VigilError
from incidents.models import Incident
from incidents.services.action_items import open_action_items
from oncall.models import Schedule
from oncall.schedules.maths import schedule_maths

from . import selectors
from .shifts import MAX_PERIOD, oncall_spans

# Rows listed per section; the counts above each list are exact whatever the period holds.
LIST_LIMIT = 200
NIGHT_STARTS, NIGHT_ENDS = time(22), time(7)


class HandoffPeriodError(VigilError):
    pass


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    zone: ZoneInfo


@dataclass(frozen=True)
class ShiftLine:
    person: Person
    start: datetime
    end: datetime


@dataclass(frozen=True)
class IncidentLine:
    id: int
    number: int
    title: str
    service: str
    severity: str
    status: str
    triggered_at: datetime
    acknowledged_by: str
    resolved_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in Incident.OPEN_STATUSES


@dataclass(frozen=True)
class PageLine:
    person: Person
    at: datetime
    local: datetime  # `at` in the person's own zone
    night: bool
    incident_id: int
    incident_number: int
    incident_title: str


@dataclass(frozen=True)
class PersonPages:
    person: Person
    pages: int
    night_pages: int


@dataclass(frozen=True)
class ActionItemLine:
    id: int
    title: str
    owner: str
    due_on: date | None
    priority: str
    status: str
    incident_number: int
    overdue: bool


@dataclass(frozen=True)
class ShiftReport:
    schedule_id: int
    schedule_name: str
    time_zone: str
    start: datetime
    end: datetime
    shifts: tuple[ShiftLine, ...]
    incidents: tuple[IncidentLine, ...]
    incidents_total: int
    still_open_total: int
    pages: tuple[PageLine, ...]
    pages_total: int
    night_pages_total: int
    pages_by_person: tuple[PersonPages, ...]
    action_items: tuple[ActionItemLine, ...]
    action_items_total: int

    @property
    def still_open(self) -> tuple[IncidentLine, ...]:
        return tuple(i for i in self.incidents if i.is_open)

    @property
    def quiet(self) -> bool:
        """Nothing happened: no incident and no page (open action items do not count)."""
        return not self.incidents_total and not self.pages_total


def is_night(local: datetime) -> bool:
    return local.time() >= NIGHT_STARTS or local.time() < NIGHT_ENDS


def period_check(*, start: datetime, end: datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise HandoffPeriodError("from and to need a time zone offset.")
    if end <= start:
        raise HandoffPeriodError("to must be after from.")
    if end - start > MAX_PERIOD:
        raise HandoffPeriodError(f"A report covers at most {MAX_PERIOD.days} days; ask for a shorter period.")


def _label(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _person(user, zone) -> Person:
    return Person(id=user.pk, name=_label(user), zone=zone)


def handoff_report(*, schedule: Schedule, start: datetime, end: datetime, now: datetime | None = None) -> ShiftReport:
    """The hand-off report of `schedule` over [start, end): who was on call, the incidents it
    answered for, the pages its people had (night ones by their own clocks), the team's open action
    items and the incidents still open. About ten queries, however long or busy the period."""
    period_check(start=start, end=end)
    today = timezone.localdate(now or timezone.now(), ZoneInfo(schedule.time_zone))
    [maths] = schedule_maths(Schedule.objects.filter(pk=schedule.pk), start=start, end=end)
    spans = oncall_spans(maths, start=start, end=end)
    ids = {s.person for s in spans}
    people = {pk: _person(user, zone) for pk, (user, zone) in selectors.people_by_id(ids).items()}
    spans = [s for s in spans if s.person in people]  # a person deleted since is nobody to tell
    page_rows = list(selectors.pages_in_period(schedule=schedule, people=ids, start=start, end=end).order_by(
        "created_at", "id").values_list("user_id", "created_at", "incident_id", "incident__number", "incident__title"))
    pages = []
    for user_id, at, incident_id, number, title in page_rows:
        person = people[user_id]
        local = at.astimezone(person.zone)
        pages.append(PageLine(person=person, at=at, local=local, night=is_night(local), incident_id=incident_id,
                              incident_number=number, incident_title=title))
    period = selectors.in_period(schedule=schedule, people=ids, start=start, end=end)
    incidents = Incident.objects.filter(period, team_id=schedule.team_id)
    counts = selectors.incident_counts(schedule=schedule, periods={"period": period})["period"]
    incident_lines = [
        IncidentLine(id=i.pk, number=i.number, title=i.title, service=i.service.name, severity=i.severity,
                     status=i.status, triggered_at=i.triggered_at, resolved_at=i.resolved_at,
                     acknowledged_by=_label(i.acknowledged_by))
        for i in incidents.select_related("service", "acknowledged_by").order_by("-triggered_at", "-id")[:LIST_LIMIT]
    ]
    items = open_action_items(teams=[schedule.team_id])
    item_lines = [
        ActionItemLine(id=a.pk, title=a.title, owner=_label(a.owner),
                       due_on=a.due_on, priority=a.priority, status=a.status,
                       incident_number=a.postmortem.incident.number,
                       overdue=a.due_on is not None and a.due_on < today)
        for a in items[:LIST_LIMIT]
    ]
    by_person = [PersonPages(person=p, pages=sum(1 for x in pages if x.person is p),
                             night_pages=sum(1 for x in pages if x.person is p and x.night))
                 for p in dict.fromkeys(people[s.person] for s in spans)]
    return ShiftReport(
        schedule_id=schedule.pk, schedule_name=schedule.name, time_zone=schedule.time_zone, start=start, end=end,
        shifts=tuple(ShiftLine(person=people[s.person], start=s.start, end=s.end) for s in spans),
        incidents=tuple(incident_lines), incidents_total=counts["total"], still_open_total=counts["open"],
        pages=tuple(pages[:LIST_LIMIT]), pages_total=len(pages), night_pages_total=sum(p.night for p in pages),
        pages_by_person=tuple(by_person), action_items=tuple(item_lines),
        action_items_total=len(item_lines) if len(item_lines) < LIST_LIMIT else items.count(),
    )
