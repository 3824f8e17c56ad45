"""Where a response stands: the guided Communicate → Learn → Act panel of the incident page.

`panel_state` is pure (facts in, checklist and next thing to do out) so that the order of the
steps is decided in one tested place; `panel_context` reads what the template needs."""
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.models import User
from django.db.models import QuerySet

from oncall.models import Membership

from .display import web_link
from .models import Alert, Incident, IncidentFinding, IncidentRole, IncidentTask
from .selectors import service_recent_changes

Kind = IncidentFinding.Kind
Role = IncidentRole.Role
# Learn shows the service's alerts from this long before the incident: the warnings that came first.
ALERTS_BEFORE = timedelta(hours=6)


@dataclass(frozen=True)
class PanelFacts:
    status: str
    acknowledged: bool
    severity: str
    roles: frozenset[str] = frozenset()
    # The acknowledger is the commander until someone else is named.
    commander_by_default: bool = False
    findings: frozenset[str] = frozenset()  # the kinds recorded at least once
    hypothesis_owned: bool = False
    action_chosen: bool = False
    tasks_total: int = 0
    tasks_open: int = 0
    status_updated: bool = False  # a status update was posted


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    done: bool
    # Optional items show their state but never become "the next thing to do".
    optional: bool = False


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    items: tuple[Item, ...]
    why: str = ""  # what the step is for, in plain words: shown to first-timers, and to anyone who asks

    @property
    def done(self) -> bool:
        return all(item.done for item in self.items if not item.optional)

    @property
    def done_count(self) -> int:
        return sum(item.done for item in self.items if not item.optional)

    @property
    def required_count(self) -> int:
        return sum(not item.optional for item in self.items)


@dataclass(frozen=True)
class PanelState:
    steps: tuple[Step, ...]
    next: Item | None
    items: dict[str, Item] = field(default_factory=dict)


WHY = {
    "communicate": "Tell people you have it: acknowledging stops the paging and tells the team someone is on it. "
                   "Set the severity (when unsure, the higher one) and post the first status update, "
                   "so nobody has to ask what is going on.",
    "learn": "Gather evidence before changing anything. Note what users see and how far it reaches, check what "
             "changed recently (deploys, configuration) and read the service's runbook. A change made in a hurry "
             "can hide the cause or make things worse.",
    "act": "Mitigate first: stop the impact, even before the cause is known (roll back, fail over, scale up). "
           "Then verify the impact is really over, and resolve with a short summary of what was wrong and what "
           "fixed it: the postmortem starts from it.",
}

# Once the impact is over, what is left is to check and close; gathering is for the postmortem.
AFTER_MITIGATION = ("verify", "resolve")


def panel_state(facts: PanelFacts) -> PanelState:
    resolved = facts.status == Incident.Status.RESOLVED
    mitigated = resolved or facts.status == Incident.Status.MITIGATED
    steps = (
        Step("communicate", "Communicate", why=WHY["communicate"], items=(
            Item("acknowledge", "Acknowledge", facts.acknowledged or mitigated),
            Item("severity", "Decide the severity (when unsure, the higher one)", bool(facts.severity)),
            Item("commander", "Name the commander",
                 Role.COMMANDER in facts.roles or facts.commander_by_default),
            Item("scribe", "Name a scribe", Role.SCRIBE in facts.roles, optional=True),
            Item("communications", "Name a communications lead", Role.COMMUNICATIONS in facts.roles, optional=True),
            Item("status_update", "Post the first status update (conditions, actions, needs)", facts.status_updated),
        )),
        Step("learn", "Learn", why=WHY["learn"], items=(
            Item("symptom", "Describe the symptoms", Kind.SYMPTOM in facts.findings),
            Item("scope", "Size the scope and impact", Kind.SCOPE in facts.findings),
            Item("evidence", "Attach evidence before changing anything", Kind.EVIDENCE in facts.findings),
            Item("hypothesis", "State a hypothesis with an owner", facts.hypothesis_owned),
        )),
        Step("act", "Act", why=WHY["act"], items=(
            Item("action", "List candidate actions and choose one", facts.action_chosen),
            Item("tasks", "Finish the tasks", facts.tasks_total > 0 and facts.tasks_open == 0, optional=True),
            Item("mitigate", "Mitigate: stop the impact", mitigated),
            Item("verify", "Verify the impact is over", Kind.VERIFICATION in facts.findings),
            Item("resolve", "Resolve with a summary", resolved),
        )),
    )
    items = {item.key: item for step in steps for item in step.items}
    candidates = [item for item in items.values() if not item.optional and not item.done]
    if resolved:
        candidates = []
    elif mitigated:
        candidates = [item for item in candidates if item.key in AFTER_MITIGATION]
    return PanelState(steps=steps, next=candidates[0] if candidates else None, items=items)


def panel_facts(*, incident: Incident, roles: list[IncidentRole], findings: list[IncidentFinding],
                tasks: list[IncidentTask], status_updated: bool = False) -> PanelFacts:
    return PanelFacts(
        status=incident.status, acknowledged=incident.acknowledged_at is not None, severity=incident.severity,
        roles=frozenset(role.role for role in roles), commander_by_default=incident.acknowledged_by_id is not None,
        findings=frozenset(f.kind for f in findings),
        hypothesis_owned=any(f.kind == Kind.HYPOTHESIS and f.owner_id for f in findings),
        action_chosen=any(f.chosen for f in findings),
        tasks_total=len(tasks), tasks_open=sum(task.done_at is None for task in tasks),
        status_updated=status_updated,
    )


def service_alerts_before(*, incident: Incident, hours: timedelta = ALERTS_BEFORE) -> QuerySet[Alert]:
    """The service's alerts in the hours before this incident, its own excepted."""
    return (Alert.objects.filter(service_id=incident.service_id, received_at__lt=incident.triggered_at,
                                 received_at__gte=incident.triggered_at - hours)
            .exclude(incident=incident).order_by("-received_at")[:20])


def responders_of(incident: Incident) -> QuerySet[User]:
    return User.objects.filter(
        memberships__team_id=incident.team_id, is_active=True,
        memberships__role__in=(Membership.Role.RESPONDER, Membership.Role.MANAGER)).order_by("username").distinct()


def panel_context(*, incident: Incident, can_respond: bool, retry: dict | None = None,
                  first_timer: bool = False) -> dict:
    """What incidents/_panel.html needs, under one key. `retry`: a refused form to show again,
    with its error and what was typed (incidents/views/panel.py). `first_timer`: the viewer's first
    real incident (selectors.user_is_first_timer): every step open, each saying why it matters."""
    roles = list(IncidentRole.objects.filter(incident=incident).select_related("user"))
    findings = list(IncidentFinding.objects.filter(incident=incident).select_related("owner", "created_by"))
    tasks = list(IncidentTask.objects.filter(incident=incident).select_related("owner"))
    state = panel_state(panel_facts(incident=incident, roles=roles, findings=findings, tasks=tasks,
                                    status_updated=incident.status_updates.exists()))
    held = {role.role: role for role in roles}
    by_kind = {kind: [f for f in findings if f.kind == kind] for kind in Kind.values}
    return {"panel": {
        "state": state,
        "roles": [{"key": key, "label": label, "held": held.get(key),
                   # The acknowledger is the commander until someone else is named.
                   "default": incident.acknowledged_by if key == Role.COMMANDER else None}
                  for key, label in Role.choices],
        "findings": by_kind,
        "kinds": dict(Kind.choices),
        "tasks": tasks,
        "people": list(responders_of(incident)) if can_respond else [],
        "changes": service_recent_changes(service=incident.service, before=incident.triggered_at),
        "alerts_before": service_alerts_before(incident=incident),
        "first_change_at": incident.mitigated_at,
        "runbook_url": web_link(incident.service.runbook_url),
        "can_mitigate": incident.status in (Incident.Status.TRIGGERED, Incident.Status.ACKNOWLEDGED),
        "can_resolve": incident.is_open,
        "retry": retry or {},
        "first_timer": first_timer,
    }}
