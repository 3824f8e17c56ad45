"""How the response went, measured from the incident's own record (issue 12 §1): the time to
acknowledge, to the first status update, to mitigate and to resolve, each from `triggered_at`, and
whether evidence was gathered before the first change.

A reopened incident keeps its first clock: `triggered_at` is not reset by a reopen, the first
acknowledgement, update and mitigation count (a later round does not make the response look
faster or slower than it was), and the time to resolve runs to the final resolution. The review
says how many times the incident was reopened, so a long time to resolve is read with that.

Evidence: incidents/workflow.py records on each `evidence_added` timeline line whether it came
before the first change (mitigation) as it was written; the review counts those verdicts instead of
working them out again, leaving out evidence removed afterwards.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from .models import Incident, TimelineEvent

# The timeline kinds that mark each milestone; the first of each counts (see the module docstring).
FIRST_OF = {"acknowledged": "acknowledged", "first_update": "status_update", "mitigated": "mitigated"}


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    at: datetime | None
    after: timedelta | None  # since the incident was triggered; None when it never happened


@dataclass(frozen=True)
class ResponseReview:
    triggered_at: datetime
    measures: tuple[Measure, ...]
    reopened: int
    evidence_before_change: int
    evidence_after_change: int

    @property
    def evidence_first(self) -> bool | None:
        """True: evidence was gathered before anything changed; False: only after; None: none at all."""
        if self.evidence_before_change:
            return True
        return False if self.evidence_after_change else None


LABELS = {
    "acknowledged": "Time to acknowledge",
    "first_update": "Time to first status update",
    "mitigated": "Time to mitigate",
    "resolved": "Time to resolve",
}


def response_review(*, incident: Incident, events: list[TimelineEvent] | None = None) -> ResponseReview:
    """`events`: the incident's timeline oldest first, when the caller has read it already."""
    if events is None:
        # With the incident: the related manager reads each row's incident_id, one query a row if deferred.
        events = list(incident.timeline.only("incident", "at", "kind", "data").order_by("at", "id"))
    first: dict[str, datetime] = {}
    last_resolved = None
    removed = {e.data.get("finding") for e in events if e.kind == "evidence_removed" and isinstance(e.data, dict)}
    before = after = reopened = 0
    for event in events:
        for key, kind in FIRST_OF.items():
            if event.kind == kind and key not in first:
                first[key] = event.at
        if event.kind == "resolved":
            last_resolved = event.at
        elif event.kind == "reopened":
            reopened += 1
        elif event.kind == "evidence_added" and isinstance(event.data, dict) and event.data.get("finding") not in removed:
            if event.data.get("before_first_change"):
                before += 1
            else:
                after += 1
    # Mitigating an unacknowledged incident acknowledges it without a line of its own.
    first.setdefault("acknowledged", incident.acknowledged_at)
    first.setdefault("mitigated", incident.mitigated_at)
    first["resolved"] = last_resolved or incident.resolved_at
    measures = tuple(
        Measure(key=key, label=label, at=first.get(key),
                after=first[key] - incident.triggered_at if first.get(key) else None)
        for key, label in LABELS.items()
    )
    return ResponseReview(triggered_at=incident.triggered_at, measures=measures, reopened=reopened,
                          evidence_before_change=before, evidence_after_change=after)


def duration_text(value: timedelta | None) -> str:
    """"1 h 05 min", "12 min", "40 s"; "—" for something that never happened."""
    if value is None:
        return "—"
    seconds = max(int(value.total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def evidence_text(review: ResponseReview) -> str:
    if review.evidence_first is None:
        return "No evidence was recorded."
    if review.evidence_first:
        later = f"; {review.evidence_after_change} more after" if review.evidence_after_change else ""
        return f"Yes: {review.evidence_before_change} piece(s) of evidence before the first change{later}."
    return f"No: all {review.evidence_after_change} piece(s) of evidence came after the first change."
