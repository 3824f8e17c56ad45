"""The schedule page's timeline: a server-drawn bar chart of the next 14 days, one row for the
final schedule and one per layer, each block placed at left%/width% by classes (timeline_place),
as the Content-Security-Policy allows no inline styles.

`timeline_for` reads; `timeline_layout` is the drawing, pure values in and out."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from .. import coverage, schedules
from ..forms import person_label
from ..models import Layer, Schedule
from ..rotation import OVERRIDE, Shift, resolve_local
from ..schedules import LayerLabel
from ..timeline_place import place
from .now import TIMELINE_DAYS, gap_warnings

PALETTE_SIZE = 8
# Below these widths (per cent of 14 days) a block shows no name, or no times.
NAME_MIN_WIDTH, TIMES_MIN_WIDTH = 2.5, 9.0


@dataclass
class Block:
    left: str
    width: str
    label: str
    times: str
    title: str
    css: str
    place: str = ""
    href: str = ""
    override: bool = False


@dataclass(frozen=True)
class People:
    """How the timeline names and colours each person on it, by user id."""

    names: dict[int, str]  # full, for tooltips and the list of shifts
    short: dict[int, str]  # first names: blocks are narrow
    colours: dict[int, int]


def timeline_for(schedule: Schedule, layers: list[Layer], now: datetime, *, me: int, can_take: bool) -> dict:
    """The timeline of the 14 local days from today, read in a fixed number of queries."""
    zone = ZoneInfo(schedule.time_zone)
    first_day = now.astimezone(zone).date()
    days = [first_day + timedelta(days=i) for i in range(TIMELINE_DAYS + 1)]
    # Local midnights: on a DST day the column is 23 or 25 hours wide, as the day really is.
    edges = [resolve_local(datetime.combine(day, time()), zone) for day in days]
    shifts = schedules.schedule_timeline(schedule=schedule, start=edges[0], end=edges[-1])
    # A shift's source is its layer's index among all of the schedule's layers, read with the shifts;
    # `layers` (read a moment earlier, for the page) only lends the rotation order for colours.
    labels = schedules.schedule_layer_labels([schedule.pk]).get(schedule.pk, [])
    rotation_order = [p.user_id for layer in layers for p in layer.participants.all()]
    specs = schedules.schedule_shadows([schedule.pk], start=edges[0], end=edges[-1]).get(schedule.pk, [])
    shadows = {s: schedules.shadows_beside(specs, s) for s in shifts["final"]}
    people = User.objects.filter(pk__in={s.person for s in shifts["final"]} | set(rotation_order)
                                 | {p for beside in shadows.values() for p in beside})
    colours: dict[int, int] = {}
    for person in rotation_order + [s.person for s in shifts["final"]]:
        colours.setdefault(person, len(colours) % PALETTE_SIZE)
    who = People(names={u.pk: person_label(u) for u in people},
                 short={u.pk: u.first_name or u.get_username() for u in people}, colours=colours)
    return timeline_layout(shifts=shifts, labels=labels, people=who, days=days, edges=edges, now=now, zone=zone,
                           me=me, can_take=can_take, shadows=shadows)


def timeline_layout(*, shifts: dict, labels: list[LayerLabel], people: People, days: list[date],
                    edges: list[datetime], now: datetime, zone: ZoneInfo, me: int, can_take: bool,
                    shadows: dict[Shift, list[int]] | None = None) -> dict:
    """Blocks, day columns and the "now" line for `shifts` (schedules.schedule_timeline's answer)
    over the local days `days`, whose midnights are `edges` (one more than the days). `shadows`:
    who shadows each final shift, shown apart from the person on call."""
    shadows = shadows or {}
    chart = _Chart(start=edges[0], end=edges[-1], zone=zone, people=people)
    final = [chart.block(s, s.start, s.end, href=f"#shift-{i}", source=f" · {_source_name(s, labels)}")
             for i, s in enumerate(shifts["final"])]
    final += [chart.block(None, a, b) for a, b in shifts["gaps"]]
    rows = [{"name": "Final schedule", "final": True, "blocks": sorted(final, key=lambda b: float(b.left))}]
    for label, layer_shifts in reversed(list(zip(labels, shifts["layers"]))):
        rows.append({"name": label.name, "final": False,
                     "blocks": [chart.block(s, s.start, s.end, source=f" · {label.name}") for s in layer_shifts]})
    listed = [{
        "anchor": f"shift-{i}", "shift": s, "who": people.names.get(s.person, "?"), "source": _source_name(s, labels),
        "shadows": ", ".join(people.names.get(p, "?") for p in shadows.get(s, ())),
        "mine": s.person == me, "can_take": can_take and s.person != me and s.end > now,
        "start_iso": s.start.isoformat(), "end_iso": s.end.isoformat(),
    } for i, s in enumerate(shifts["final"])]
    ahead = coverage.gaps_within(shifts["gaps"], start=now, end=now + coverage.GAPS_AHEAD)
    return {
        "start": chart.start, "end": chart.end, "rows": rows, "shifts": listed,
        "days": [{"place": chart.place(a, b), "label": f"{d:%a} {d.day}", "weekend": d.weekday() >= 5}
                 for d, a, b in zip(days, edges, edges[1:])],
        "now": place(chart.pct(now)) if chart.start <= now < chart.end else None,
        "current": next((row for row in listed if row["shift"].covers(now)), None),
        "gaps": len(final) - len(shifts["final"]),
        "gap_warnings": gap_warnings(ahead, now=now, zone=zone, shown=TIMELINE_DAYS),
    }


@dataclass(frozen=True)
class _Chart:
    """The time span drawn, and how its people look on it."""

    start: datetime
    end: datetime
    zone: ZoneInfo
    people: People

    def pct(self, t: datetime) -> float:
        return (t - self.start) / (self.end - self.start) * 100

    def place(self, a: datetime, b: datetime) -> str:
        return place(self.pct(a), self.pct(b) - self.pct(a))

    def block(self, s: Shift | None, a: datetime, b: datetime, *, href: str = "", source: str = "") -> Block:
        """One shift (or, for None, a stretch nobody covers) from a to b."""
        left, width = self.pct(a), self.pct(b) - self.pct(a)
        zone, people = self.zone, self.people
        when = f"{a.astimezone(zone):%a %d %b %H:%M} – {b.astimezone(zone):%a %d %b %H:%M}"
        who = people.names.get(s.person, "?") if s else "Nobody on call"
        css = "gap" if s is None else f"who-{people.colours.get(s.person, 0)}" + (" override" if s.is_override else "")
        label = people.short.get(s.person, "?") if s else who
        times = f"{a.astimezone(zone):%a %H:%M} – {b.astimezone(zone):%a %H:%M}"
        return Block(left=f"{left:.3f}", width=f"{width:.3f}", label=label if width >= NAME_MIN_WIDTH else "",
                     times=times if width >= TIMES_MIN_WIDTH else "", title=f"{who}{source}: {when} ({zone.key})",
                     css=css, place=place(left, width), href=href, override=bool(s and s.is_override))


def _source_name(s: Shift, labels: list[LayerLabel]) -> str:
    if s.source == OVERRIDE:
        return "Override"
    return labels[s.source].name if s.source < len(labels) else ""
