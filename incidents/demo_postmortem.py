"""The demo's resolved SEV1 (issue 12): a whole response over the last hour — paged, acknowledged, a
commander, status updates, evidence before the first change, a pinned Slack message, a rollback,
verification, resolution — whose postmortem was made by the resolve and pre-filled from it. A new
user finds it in the incident list ("Resolved") and under Postmortems. Called by seed_demo;
idempotent.

The steps go through the real services, so every row and timeline line is what a real response
writes; only their times are then set back to when the story says they happened (services stamp
"now"), before the resolve, so the postmortem's draft reads the story's times.
"""
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Max
from django.utils import timezone

from .models import (
    ActionItem, Incident, IncidentFinding, IncidentRole, IncidentTask, Postmortem, Service, Severity, StatusUpdate,
    TimelineEvent,
)
from .services.action_items import action_item_add
from .services import incident_acknowledge, incident_mitigate, incident_resolve, incident_trigger, timeline_add
from .status_updates import status_update_post
from .workflow import (
    incident_action_choose, incident_finding_add, incident_role_assign, incident_task_add, incident_task_toggle,
)

DEDUP_KEY = "demo-payments-503"
TITLE = "Card payments fail with HTTP 503"
WEB = TimelineEvent.Via.WEB
Kind = IncidentFinding.Kind
# When the story began, before the resolve (which happens at seeding time).
STARTED_AGO = timedelta(minutes=52)


def seed_resolved_major_incident(*, service: Service, demo: User, responders: list[User]) -> Incident:
    """Found by its dedup key whatever became of it since: seeding again adds nothing."""
    existing = Incident.objects.filter(service=service, dedup_key=DEDUP_KEY).order_by("-triggered_at").first()
    if existing is not None:
        return existing
    start = timezone.now() - STARTED_AGO
    helper = responders[0] if responders else demo
    incident, _ = incident_trigger(
        service=service, title=TITLE, dedup_key=DEDUP_KEY, severity=Severity.SEV1, source="demo",
        via=TimelineEvent.Via.INTEGRATION, at=start,
        details={"query": 'sum(rate(http_requests_total{job="payments-gateway",code="503"}[1m]))'},
    )
    steps = _Story(incident=incident, start=start)
    incident = incident_acknowledge(incident=incident, by=demo, via=WEB)
    steps.at(3)
    incident_role_assign(incident=incident, role=IncidentRole.Role.COMMANDER, user=demo, by=demo, via=WEB)
    steps.at(4)
    incident_finding_add(incident=incident, kind=Kind.SYMPTOM, by=demo, via=WEB,
                         text="Every card payment answers 503; PayPal and invoices still work.")
    steps.at(6)
    incident_finding_add(incident=incident, kind=Kind.SCOPE, by=helper, via=WEB,
                         text="All regions since 10:02 UTC; about 1,800 failed checkouts so far.")
    steps.at(8)
    status_update_post(incident=incident, by=demo, via=WEB,
                       conditions="Card payments fail everywhere; other payment methods work.",
                       actions="Investigating this morning's payments-gateway v5.4.0 deploy.",
                       needs="Someone with access to the card processor's dashboard.")
    steps.at(9)
    incident_finding_add(incident=incident, kind=Kind.EVIDENCE, by=helper, via=WEB,
                         text="503 rate jumps from 0 to 100% at 10:02, one minute after the v5.4.0 deploy.",
                         url="https://grafana.example.com/d/payments-gateway")
    steps.at(11)
    incident_finding_add(incident=incident, kind=Kind.EVIDENCE, by=demo, via=WEB,
                         text='Gateway log: "TLS handshake failed: client certificate expired" to the processor.',
                         url="https://logs.example.com/payments-gateway?q=handshake")
    steps.at(12)
    timeline_add(incident=incident, kind="slack_pin", actor=helper, via=TimelineEvent.Via.SLACK,
                 text="v5.4.0 ships a new client certificate bundle; the old one is still on the v5.3.2 hosts.",
                 data={"slack_channel": "C0DEMO", "slack_ts": "0", "author": helper.get_username()})
    steps.at(13)
    incident_finding_add(incident=incident, kind=Kind.HYPOTHESIS, owner=helper, by=demo, via=WEB,
                         text="v5.4.0's certificate bundle holds an expired client certificate.")
    steps.at(14)
    rollback = incident_finding_add(incident=incident, kind=Kind.CANDIDATE_ACTION, by=demo, via=WEB,
                                    text="Roll payments-gateway back to v5.3.2.")
    steps.at(15)
    incident_action_choose(finding=rollback, chosen=True, by=demo, via=WEB)
    steps.at(16)
    task = incident_task_add(incident=incident, title="Roll back payments-gateway to v5.3.2", owner=helper,
                             by=demo, via=WEB)
    steps.at(16)
    incident_task_toggle(task=task, done=True, by=helper, via=WEB)
    steps.at(23)
    incident_mitigate(incident=incident, by=demo, via=WEB, note="Rolled back to v5.3.2; card payments succeed again.")
    steps.at(24)
    status_update_post(incident=incident, by=demo, via=WEB,
                       conditions="Card payments work again since 10:26 UTC.",
                       actions="Rolled back; renewing the certificate before v5.4.0 goes out again.")
    steps.at(26)
    incident_finding_add(incident=incident, kind=Kind.VERIFICATION, by=helper, via=WEB,
                         text="503 rate back to 0 for 20 minutes; 40 test payments succeeded.")
    steps.at(46)
    steps.settle()
    incident = incident_resolve(incident=incident, by=demo, via=WEB,
                                note="Expired client certificate in v5.4.0; rolled back and renewed the certificate.")
    _follow_ups(incident=incident, demo=demo, helper=helper)
    return incident


def _follow_ups(*, incident: Incident, demo: User, helper: User) -> None:
    """The postmortem's first action items: one due soon, one later, one nobody has taken yet (so
    the postmortem shows why it cannot be closed)."""
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is None:
        return
    today = timezone.localdate()
    for title, owner, days, priority in (
        ("Ship v5.4.1 with the renewed client certificate", demo, 2, ActionItem.Priority.HIGH),
        ("Alert 30 days before any client certificate expires", helper, 14, ActionItem.Priority.HIGH),
        ("Run a test card payment in a canary stage before every gateway rollout", None, 30,
         ActionItem.Priority.MEDIUM),
    ):
        action_item_add(postmortem=postmortem, by=demo, title=title, owner=owner,
                        due_on=today + timedelta(days=days), priority=priority)


class _Story:
    """Sets the rows each step wrote back to the minute the story gives it."""

    def __init__(self, *, incident: Incident, start: datetime):
        self.incident, self.start = incident, start
        self.seen = incident.timeline.aggregate(last=Max("id"))["last"] or 0

    def at(self, minutes: int) -> None:
        when = self.start + timedelta(minutes=minutes)
        fresh = self.incident.timeline.filter(id__gt=self.seen)
        self.seen = max(fresh.values_list("id", flat=True), default=self.seen)
        fresh.update(at=when)

    def settle(self) -> None:
        """The rows behind the timeline lines take their lines' times."""
        events = list(self.incident.timeline.order_by("id"))
        for event in events:
            data = event.data if isinstance(event.data, dict) else {}
            if "finding" in data:
                IncidentFinding.objects.filter(pk=data["finding"]).update(created_at=event.at)
            if "status_update" in data:
                StatusUpdate.objects.filter(pk=data["status_update"]).update(created_at=event.at,
                                                                            published_at=event.at)
            if event.kind == "task_added":
                IncidentTask.objects.filter(pk=data["task"]).update(created_at=event.at)
            if event.kind == "task_done":
                IncidentTask.objects.filter(pk=data["task"]).update(done_at=event.at)
            if event.kind == "role_assigned":
                IncidentRole.objects.filter(incident=self.incident, role=data["role"]).update(assigned_at=event.at)
        first = {kind: next((e.at for e in events if e.kind == kind), None) for kind in ("acknowledged", "mitigated")}
        Incident.objects.filter(pk=self.incident.pk).update(
            acknowledged_at=first["acknowledged"], mitigated_at=first["mitigated"])
        self.incident.refresh_from_db()
