"""What the head of the incident page and its alerts section show: who has the incident, where its
escalation stands, the severities with their meanings, and each alert as it now stands.

Reads only. The pages are the notifications app's rows, read through the `incident.pages` reverse
relation (a database read: incidents never imports notifications).
"""
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User

from .display import pairs, what_the_alerts_say
from .models import Incident, IncidentAlertState, Severity
from .selectors import incident_escalation_plan

# notifications.models.Page.Reason.SHADOW: a copy for someone shadowing the person on call, who
# may add notes and evidence but is not responsible for the incident.
SHADOW_COPY = "shadow"
# Rows the page lists; the rest are counted. Firing alerts come first.
ALERT_ROWS_SHOWN = 50
# Annotations the row shows elsewhere (as its title or its runbook link).
SHOWN_ELSEWHERE = ("summary", "runbook_url")
# What the details section leaves out once the alert rows say it better, and as they now stand.
SUPERSEDED_DETAILS = ("alerts", "firing_count", "resolved_count", "alert_states")


@dataclass(frozen=True)
class EscalationPosition:
    step: int          # 1-based, the step paged last (0: none yet)
    steps: int
    loop: int          # how many times the policy has started over
    repeats: int       # how many times it may
    next_at: datetime | None
    paged_now: list[User]
    exhausted: bool


@dataclass(frozen=True)
class AlertRow:
    state: IncidentAlertState
    labels: list[tuple[str, str]]
    annotations: list[tuple[str, str]]


def incident_page_context(*, incident: Incident) -> dict:
    """The view's one call: everything the header and alerts include templates need."""
    states = incident.alert_states.order_by("status", "-last_seen_at", "-id")
    shown = list(states[:ALERT_ROWS_SHOWN])
    firing = sum(1 for row in shown if row.status == IncidentAlertState.Status.FIRING)
    total = len(shown) if len(shown) < ALERT_ROWS_SHOWN else states.count()
    if total > len(shown):
        firing = states.filter(status=IncidentAlertState.Status.FIRING).count()
    details = incident.details
    if shown and isinstance(details, dict):
        details = {key: value for key, value in details.items() if key not in SUPERSEDED_DETAILS}
    return {
        **what_the_alerts_say(details=details, links=incident.links),
        "severities": [(value, label.split(" — ", 1)[-1]) for value, label in Severity.choices],
        "escalation": escalation_position(incident=incident),
        "alert_rows": [_row(state) for state in shown],
        "alert_totals": {"all": total, "firing": firing, "resolved": total - firing, "hidden": total - len(shown)},
    }


def escalation_position(*, incident: Incident) -> EscalationPosition:
    plan = incident_escalation_plan(incident=incident)
    latest = incident.pages.filter(round=incident.paging_round).order_by("-created_at", "-id").first()
    paged_now = []
    if latest is not None and incident.status == Incident.Status.TRIGGERED:
        paged = incident.pages.filter(round=latest.round, loop=latest.loop, step=latest.step).exclude(
            reason=SHADOW_COPY).values("user_id")  # a shadow's copy is not a page they must answer
        paged_now = list(User.objects.filter(pk__in=paged).order_by("username"))
    return EscalationPosition(
        step=latest.step + 1 if latest else 0, steps=len(plan.steps), loop=latest.loop if latest else 0,
        repeats=plan.repeat_count, next_at=incident.next_escalation_at if incident.status == "triggered" else None,
        paged_now=paged_now,
        exhausted=incident.status == "triggered" and incident.next_escalation_at is None and bool(plan.steps)
        and incident.escalation_step >= len(plan.steps),
    )


def user_shadows_incident(*, user: User, incident: Incident) -> bool:
    """Whether the person got a shadow copy of the incident's pages: they may add notes and
    evidence, whatever their role in the team."""
    return user.is_authenticated and incident.pages.filter(user_id=user.pk, reason=SHADOW_COPY).exists()


def _row(state: IncidentAlertState) -> AlertRow:
    annotations = {k: v for k, v in state.annotations.items() if k not in SHOWN_ELSEWHERE} \
        if isinstance(state.annotations, dict) else {}
    return AlertRow(state=state, labels=pairs(state.labels), annotations=pairs(annotations))
