"""Communicating about an incident: status updates (conditions, actions, needs), who follows the
incident, and when the next update is due. Fan-out to Slack and email is the notifications app's
(task "notifications.status_update_publish"), kicked after commit."""
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.celery import send_after_commit

from .models import Incident, IncidentRole, IncidentSubscription, StatusUpdate
from .services import IncidentError, timeline_add
from .severity_policy import UPDATE_EVERY

FIELD_LIMIT = 5000


def incident_commander(incident: Incident) -> User | None:
    """Who runs the incident and owes the next update: the commander named in the panel, else the
    acknowledger (DESIGN §5: the acknowledger by default)."""
    named = IncidentRole.objects.filter(incident=incident, role=IncidentRole.Role.COMMANDER).select_related("user").first()
    return named.user if named else incident.acknowledged_by


def status_update_post(
    *, incident: Incident, by: User | None, via: str, conditions: str, actions: str, needs: str = "",
) -> StatusUpdate:
    """Record an update, write it to the timeline, and have it carried to the incident's Slack
    channel and subscribers once committed. Restarts the next-update timer."""
    conditions, actions, needs = (conditions or "").strip(), (actions or "").strip(), (needs or "").strip()
    missing = [name for name, value in (("conditions", conditions), ("actions", actions)) if not value]
    if missing:
        raise IncidentError(f"A status update needs {' and '.join(missing)}: "
                            "say what is happening and what is being done.")
    for name, value in (("conditions", conditions), ("actions", actions), ("needs", needs)):
        if len(value) > FIELD_LIMIT:
            raise IncidentError(f"{name.capitalize()} is limited to {FIELD_LIMIT:,} characters.")
    with transaction.atomic():
        update = StatusUpdate.objects.create(incident=incident, author=by, via=via, conditions=conditions,
                                             actions=actions, needs=needs)
        timeline_add(incident=incident, kind="status_update", actor=by, via=via, at=update.created_at,
                     text=status_update_text(update), data={"status_update": update.pk})
        send_after_commit("notifications.status_update_publish", args=[update.pk])
    return update


def status_update_text(update: StatusUpdate) -> str:
    lines = [f"Conditions: {update.conditions}", f"Actions: {update.actions}"]
    if update.needs:
        lines.append(f"Needs: {update.needs}")
    return "\n".join(lines)


def incident_subscribe(*, incident: Incident, user: User) -> IncidentSubscription:
    """Follow an incident's updates and resolution. Callers check the person may see it."""
    try:
        with transaction.atomic():
            subscription, _ = IncidentSubscription.objects.get_or_create(incident=incident, user=user)
    except IntegrityError:  # the same person subscribing twice at once
        subscription = IncidentSubscription.objects.get(incident=incident, user=user)
    return subscription


def incident_unsubscribe(*, incident: Incident, user: User) -> bool:
    return IncidentSubscription.objects.filter(incident=incident, user=user).delete()[0] > 0


# --- Reads ---------------------------------------------------------------------------------------

def incident_status_updates(*, incident: Incident) -> QuerySet[StatusUpdate]:
    return incident.status_updates.select_related("author").order_by("-created_at", "-id")


def incident_subscribers(*, incident: Incident) -> QuerySet[User]:
    """Followers who may still see the incident: someone who left the team hears no more of it."""
    return User.objects.filter(incident_subscriptions__incident=incident, is_active=True).filter(
        Q(is_superuser=True) | Q(memberships__team_id=incident.team_id)).distinct().order_by("pk")


def update_due_at(*, incident: Incident, last_update_at: datetime | None = None) -> datetime | None:
    """When the next status update is due: the severity's cadence after the last update, or after
    the acknowledgement before the first. None for a closed incident, a severity without cadence,
    or one nobody has taken yet (its pages are the news)."""
    every = UPDATE_EVERY.get(incident.severity)
    if every is None or incident.status == Incident.Status.RESOLVED:
        return None
    if last_update_at is None:
        last_update_at = incident.status_updates.aggregate(last=Max("created_at"))["last"]
    since = last_update_at or incident.acknowledged_at
    return since + every if since else None


def incidents_update_overdue(*, now: datetime) -> QuerySet[Incident]:
    """Open incidents whose next status update is past due, in one query, each annotated with
    `last_update_at` (the last update, else the acknowledgement)."""
    overdue = Q()
    for severity, every in UPDATE_EVERY.items():
        if every is not None:
            overdue |= Q(severity=severity, last_update_at__lte=now - every)
    return Incident.objects.filter(status__in=Incident.OPEN_STATUSES).annotate(
        last_update_at=Coalesce(Max("status_updates__created_at"), "acknowledged_at"),
    ).filter(overdue).select_related("acknowledged_by", "team", "service")


@dataclass(frozen=True)
class UpdateDue:
    at: datetime
    overdue: bool
    minutes: int  # until due, or past it when overdue


def update_due(*, incident: Incident, now: datetime | None = None) -> UpdateDue | None:
    due = update_due_at(incident=incident)
    if due is None:
        return None
    now = now or timezone.now()
    seconds = (due - now).total_seconds()
    # Rounded up while counting down ("due in 1 min" until it is due), down once overdue.
    minutes = int(-(-seconds // 60)) if seconds > 0 else int(-seconds // 60)
    return UpdateDue(at=due, overdue=seconds <= 0, minutes=minutes)


def status_updates_context(*, incident: Incident, user: User, can_respond: bool) -> dict:
    """What incidents/_status_updates.html needs on the incident page."""
    every = UPDATE_EVERY.get(incident.severity)
    return {
        "status_updates_template": "incidents/_status_updates.html",
        "status_updates": list(incident_status_updates(incident=incident)[:20]),
        "update_due": update_due(incident=incident),
        "update_every": every,
        "update_every_minutes": int(every.total_seconds() // 60) if every else None,
        "commander": incident_commander(incident),
        "subscribed": IncidentSubscription.objects.filter(incident=incident, user=user).exists(),
        "subscriber_count": incident.subscriptions.count(),
        "can_post_update": can_respond,
    }
