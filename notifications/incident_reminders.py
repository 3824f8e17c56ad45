"""Incident news for single people, through their own rules (notifications/reminders.py): the
commander when a status update is overdue, the people who took or follow an incident when it is
resolved, and the major-incident policy's people when an incident becomes SEV1 or SEV2."""
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import Incident
from incidents.services import timeline_add
from incidents.severity_policy import MAJOR_SEVERITIES, UPDATE_EVERY
from incidents.status_updates import incident_commander, incident_subscribers, incidents_update_overdue
from oncall.policies import step_users_at

from .reminders import person_remind
from .status_update_publish import incident_url

OVERDUE_BATCH = 200


def status_updates_remind_overdue(*, now: datetime | None = None) -> int:
    """Remind each overdue incident's commander, once per overdue window (the key holds the due
    time, which only a new update moves). Returns how many were reminded."""
    now = now or timezone.now()
    reminded = 0
    for incident in incidents_update_overdue(now=now)[:OVERDUE_BATCH]:
        commander = incident_commander(incident)
        if commander is None or not commander.is_active:
            continue
        due_at = incident.last_update_at + UPDATE_EVERY[incident.severity]
        late = int((now - due_at).total_seconds() // 60)
        with transaction.atomic():
            reminder = person_remind(
                user=commander, dedup_key=f"status-update-due:{incident.pk}:{due_at.timestamp():.0f}", now=now,
                subject=f"Status update overdue: #{incident.number} {incident.title}",
                text=f"#{incident.number} {incident.title} ({incident.severity}): the next status update was due "
                     f"{late} min ago. Post conditions, actions and needs.",
                link=incident_url(incident.pk), email_if_no_rule=True)
            if reminder is not None:
                how = "" if reminder.deliveries.exists() else " by email (no usable low-urgency rule)"
                timeline_add(incident=incident, kind="reminder", at=now,
                             data={"user": commander.pk, "reminder": reminder.pk},
                             text=f"Reminded {commander.get_username()}{how}: the status update is overdue.")
                reminded += 1
    return reminded


def incident_resolved_tell(*, incident_id: int) -> int:
    """Tell the acknowledger and the subscribers, once per resolution, that the incident is
    resolved; not the person who resolved it, nor anyone who turned this off. Returns how many."""
    incident = Incident.objects.select_related("service", "resolved_by").filter(pk=incident_id).first()
    if incident is None or incident.status != Incident.Status.RESOLVED or incident.resolved_at is None:
        return 0
    people = User.objects.filter(
        Q(pk=incident.acknowledged_by_id) | Q(pk__in=incident_subscribers(incident=incident).values("pk")),
        Q(is_superuser=True) | Q(memberships__team_id=incident.team_id),  # still allowed to see it
        is_active=True,
    ).exclude(oncall_profile__notify_on_resolve=False).distinct()
    if incident.resolved_by_id:
        people = people.exclude(pk=incident.resolved_by_id)
    who = f" by {incident.resolved_by.get_username()}" if incident.resolved_by else ""
    told = 0
    for person in people:
        told += person_remind(
            user=person, dedup_key=f"resolved:{incident.pk}:{incident.resolved_at.timestamp():.0f}:{person.pk}",
            subject=f"Resolved: #{incident.number} {incident.title}",
            text=f"#{incident.number} {incident.title} on {incident.service.name} was resolved{who}.",
            link=incident_url(incident.pk), email_if_no_rule=True) is not None
    return told


def major_incident_page(*, incident_id: int, now: datetime | None = None) -> int:
    """Page the first step of the service's major-incident policy, once per incident, when the
    incident is SEV1 or SEV2. High urgency, through the people's own rules, and unlike the
    escalation's pages not cancelled by the acknowledgement: they are called in to help, not to
    take the page. Returns how many people were paged."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
        if incident is None or incident.severity not in MAJOR_SEVERITIES or not incident.is_open:
            return 0
        policy = incident.service.major_incident_policy
        first = policy.steps.order_by("position").first() if policy is not None else None
        if first is None or incident.timeline.filter(kind="major_incident_paged").exists():
            return 0
        paged, unreachable = [], []
        for person in (u for u in step_users_at(step=first, at=now) if u.is_active):
            reminder = person_remind(
                user=person, urgency="high", dedup_key=f"major-incident:{incident.pk}:{person.pk}", now=now,
                subject=f"{incident.severity} declared: #{incident.number} {incident.title}",
                text=f"{incident.severity} on {incident.service.name}: #{incident.number} {incident.title}. "
                     f"You are on the major-incident policy {policy.name}; join the response.",
                link=incident_url(incident.pk))
            if reminder is not None:
                (paged if reminder.deliveries.exists() else unreachable).append(person)
        text = f"{incident.severity}: paged major-incident policy {policy.name}: " + (
            ", ".join(p.get_username() for p in paged) or "nobody (no one at its first step could be reached)") + "."
        if unreachable:
            text += " No usable high-urgency rule: " + ", ".join(p.get_username() for p in unreachable) + "."
        timeline_add(incident=incident, kind="major_incident_paged", at=now, text=text,
                     data={"escalation_policy": policy.pk, "users": [p.pk for p in paged]})
    return len(paged)
