"""Calendar subscription feeds (RFC 5545): a schedule's shifts, or one person's, for any calendar app.

No login: the secret token in the URL is the credential, checked against its hash; a revoked or
wrong token, or one that belongs to another schedule or person, is a plain 404.
"""
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event

from .forms import person_label
from .models import Schedule, Shadow
from .rotation import Shift
from .schedules import calendar_feed_find, schedule_shadows, schedule_shifts, shadows_beside, user_shifts

PAST, FUTURE = timedelta(days=7), timedelta(days=60)
# Shifts are read from further back than they are shown, so a shift that began before the window
# keeps its real start, and with it its UID, instead of a start that moves every day.
LOOK_BACK = timedelta(days=31)
REFRESH = timedelta(hours=1)
CONTENT_TYPE = "text/calendar; charset=utf-8"


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """[now - 7 days, now + 60 days], widened to whole UTC days so the edges hold still all day."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - PAST, day + FUTURE + timedelta(days=1)


def _shown(shifts: list[Shift], start: datetime) -> list[Shift]:
    return [s for s in shifts if s.end > start]


@require_safe
def schedule_feed(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    feed = calendar_feed_find(token=token)
    if feed is None or feed.schedule_id != pk:
        raise Http404("No such calendar feed.")
    schedule = feed.schedule
    now = timezone.now()
    start, end = feed_window(now)
    shifts = _shown(schedule_shifts(schedule=schedule, start=start - LOOK_BACK, end=end)["final"], start)
    specs = schedule_shadows([schedule.pk], start=start - LOOK_BACK, end=end).get(schedule.pk, [])
    shadows = {shift: shadows_beside(specs, shift) for shift in shifts}
    people = {s.person for s in shifts} | {p for ps in shadows.values() for p in ps}
    names = {u.pk: person_label(u) for u in User.objects.filter(pk__in=people)}
    calendar = _calendar(name=f"On call: {schedule.name}", uid=f"schedule-{schedule.pk}",
                         description=f"Who is on call for {schedule.name} ({schedule.team}), from Vigil.")
    for shift in shifts:
        who = names.get(shift.person, "someone")
        beside = ", ".join(names.get(p, "someone") for p in shadows[shift])
        summary = f"On call: {schedule.name} ({who}" + (f", shadow: {beside})" if beside else ")")
        calendar.add_component(_event(schedule, shift, summary=summary, who=who, stamp_at=now, shadows=beside))
    return _response(calendar, start, end)


@require_safe
def person_feed(request: HttpRequest, user_id: int, token: str) -> HttpResponse:
    feed = calendar_feed_find(token=token)
    if feed is None or feed.user_id != user_id or not feed.user.is_active:
        raise Http404("No such calendar feed.")
    user = feed.user
    now = timezone.now()
    start, end = feed_window(now)
    pairs = [(sch, s) for sch, s in user_shifts(user=user, start=start - LOOK_BACK, end=end) if s.end > start]
    calendar = _calendar(name=f"On call: {person_label(user)}", uid=f"person-{user.pk}",
                         description=f"{person_label(user)}'s on-call shifts in every schedule, from Vigil.")
    for schedule, shift in pairs:
        calendar.add_component(_event(schedule, shift, summary=f"{schedule.name}: you are on call",
                                      who=person_label(user), stamp_at=now))
    for shadow in Shadow.objects.filter(user=user, ends_at__gt=start, starts_at__lt=end).select_related(
            "schedule", "shadowing", "layer"):
        calendar.add_component(_shadow_event(shadow, you=person_label(user), stamp_at=now))
    return _response(calendar, start, end)


def _calendar(*, name: str, uid: str, description: str) -> Calendar:
    calendar = Calendar.new(name=name, prodid="-//Vigil//On-call schedules//EN", uid=f"{uid}@{_host()}",
                            description=description, refresh_interval=REFRESH)
    calendar.add("method", "PUBLISH")
    # Older clients (Outlook, Google) read the X- names rather than RFC 7986's.
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def _event(schedule: Schedule, shift: Shift, *, summary: str, who: str, stamp_at: datetime, shadows: str = "") -> Event:
    zone = ZoneInfo(schedule.time_zone)
    stamp = f"{shift.start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    if shift.is_override:
        note = f"An override: {who} takes this shift instead of the regular rotation."
    else:
        note = f"{who} is on call by the regular rotation."
    if shadows:
        note += f"\nShadow: {shadows}, copied on the pages of this shift, not responsible for them."
    url = settings.PUBLIC_URL + reverse("oncall:schedule", args=[schedule.pk])
    return Event.new(
        uid=f"shift-{schedule.pk}-{shift.person}-{stamp}@{_host()}",
        stamp=stamp_at, start=shift.start.astimezone(zone), end=shift.end.astimezone(zone),
        summary=summary, description=f"{note}\nSchedule: {schedule.name} ({schedule.time_zone})\n{url}",
        url=url, categories=["On call", "Override"] if shift.is_override else ["On call"],
    )


def _shadow_event(shadow: Shadow, *, you: str, stamp_at: datetime) -> Event:
    """A shadow shift in the shadow's own feed: not a shift of theirs, so said apart."""
    schedule, zone = shadow.schedule, ZoneInfo(shadow.schedule.time_zone)
    beside = person_label(shadow.shadowing) if shadow.shadowing else "whoever is on call"
    beside += f" on {shadow.layer}" if shadow.layer else ""
    url = settings.PUBLIC_URL + reverse("oncall:schedule", args=[schedule.pk])
    return Event.new(
        uid=f"shadow-{shadow.pk}@{_host()}", stamp=stamp_at, start=shadow.starts_at.astimezone(zone),
        end=shadow.ends_at.astimezone(zone), summary=f"{schedule.name}: you shadow {beside}",
        description=f"{you} shadows {beside}: a copy of every page, not responsible for them.\n"
                    f"Schedule: {schedule.name} ({schedule.time_zone})\n{url}",
        url=url, categories=["On call", "Shadow"],
    )


def _response(calendar: Calendar, start: datetime, end: datetime) -> HttpResponse:
    # VTIMEZONE blocks that cover the window with a year to spare either side, not since 1970.
    calendar.add_missing_timezones(first_date=(start - timedelta(days=366)).date(),
                                   last_date=(end + timedelta(days=366)).date())
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=300"
    return response


def _host() -> str:
    return urlsplit(settings.PUBLIC_URL).hostname or "vigil"
