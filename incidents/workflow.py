"""Writes of the Communicate → Learn → Act workflow (DESIGN §5): roles, findings (symptoms, scope,
evidence, hypotheses, candidate actions, verification) and tasks. Each function is one verb,
keyword-only, one transaction and one timeline line with its author and channel; undoing a step
(unassigning, removing, reopening a task) writes its own line too, so the timeline tells the
whole story to the postmortem."""
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from oncall.models import Membership

from .display import web_link
from .models import Incident, IncidentFinding, IncidentRole, IncidentTask
from .services import IncidentError, timeline_add

Kind = IncidentFinding.Kind
Role = IncidentRole.Role
MAX_TEXT = 5_000
MAX_URL = 2_000
# Enough for the longest real response; a runaway script must not fill the page.
MAX_ROWS_PER_INCIDENT = 200


def _member(*, incident: Incident, user: User | None, what: str) -> None:
    if user is None:
        return
    if not Membership.objects.filter(team_id=incident.team_id, user=user).exclude(role=Membership.Role.VIEWER).exists():
        raise IncidentError(f"The {what} must be a responder or manager of team {incident.team}.")


def _text(value: str, *, what: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise IncidentError(f"The {what} needs some text.")
    if len(value) > limit:
        raise IncidentError(f"The {what} is limited to {limit:,} characters.")
    return value


def _url(value: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > MAX_URL or not web_link(value)):
        raise IncidentError(f"A link must be a web address starting with https:// or http:// "
                            f"(at most {MAX_URL:,} characters).")
    return value


def incident_role_assign(*, incident: Incident, role: str, user: User | None, by: User | None, via: str) -> IncidentRole | None:
    """Give a role to a team member, replacing whoever held it; user=None leaves it unassigned."""
    if role not in Role.values:
        raise IncidentError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    _member(incident=incident, user=user, what=Role(role).label.lower())
    label = Role(role).label
    with transaction.atomic():
        # The incident row's lock: two people naming a commander at once take turns, the last one holds it.
        Incident.objects.select_for_update().filter(pk=incident.pk).get()
        current = IncidentRole.objects.filter(incident=incident, role=role).select_related("user").first()
        previous = current.user if current else None
        if previous == user:
            return current
        if user is None:
            current.delete()
            timeline_add(incident=incident, kind="role_unassigned", actor=by, via=via,
                         text=f"{label}: {previous} no longer", data={"role": role, "user": previous.pk})
            return None
        held, _ = IncidentRole.objects.update_or_create(
            incident=incident, role=role, defaults={"user": user, "assigned_by": by, "assigned_at": timezone.now()})
        timeline_add(incident=incident, kind="role_assigned", actor=by, via=via,
                     text=f"{label}: {user}" + (f" (was {previous})" if previous else ""),
                     data={"role": role, "user": user.pk, "previous": previous.pk if previous else None})
    return held


def incident_finding_add(
    *, incident: Incident, kind: str, text: str, by: User | None, via: str, url: str = "", owner: User | None = None,
) -> IncidentFinding:
    """Record a symptom, the scope, a piece of evidence, a hypothesis (owned by someone: the
    author when nobody else is named), a candidate action or a verification."""
    if kind not in Kind.values:
        raise IncidentError(f"Unknown kind {kind!r}; use one of {', '.join(Kind.values)}.")
    label = Kind(kind).label
    text = _text(text, what=label.lower())
    url = _url(url)
    if kind == Kind.HYPOTHESIS:
        owner = owner or by
        _member(incident=incident, user=owner, what="hypothesis owner")
    elif owner is not None:
        raise IncidentError(f"Only a hypothesis has an owner, not a {label.lower()}.")
    with transaction.atomic():
        # The incident row's lock serialises the count check with other writers of this incident.
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if IncidentFinding.objects.filter(incident=incident).count() >= MAX_ROWS_PER_INCIDENT:
            raise IncidentError(f"An incident holds at most {MAX_ROWS_PER_INCIDENT} findings; remove some first.")
        now = timezone.now()
        finding = IncidentFinding.objects.create(
            incident=incident, kind=kind, text=text, url=url, owner=owner, created_by=by, created_at=now)
        data = {"finding": finding.pk, "kind": kind, "url": url}
        if owner:
            data["owner"] = owner.pk
        if kind == Kind.EVIDENCE:
            data["before_first_change"] = locked.mitigated_at is None
        timeline_add(incident=incident, kind=f"{kind}_added", actor=by, via=via, at=now, data=data,
                     text=f"{label}: {text}" + (f"\n{url}" if url else "") + (f"\nOwner: {owner}" if owner else ""))
    return finding


def incident_finding_remove(*, finding: IncidentFinding, by: User | None, via: str) -> None:
    """Undo a finding recorded by mistake; the timeline keeps what it said."""
    with transaction.atomic():
        deleted, _ = IncidentFinding.objects.filter(pk=finding.pk).delete()
        if not deleted:
            return
        timeline_add(incident=finding.incident, kind=f"{finding.kind}_removed", actor=by, via=via,
                     text=f"Removed {finding.get_kind_display().lower()}: {finding.text}",
                     data={"finding": finding.pk, "kind": finding.kind})


def incident_action_choose(*, finding: IncidentFinding, chosen: bool, by: User | None, via: str) -> IncidentFinding:
    """Mark the candidate action the responders take (another chosen one is un-chosen), or undo it."""
    if finding.kind != Kind.CANDIDATE_ACTION:
        raise IncidentError("Only a candidate action can be chosen.")
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=finding.incident_id).get()
        finding.refresh_from_db()
        if finding.chosen == chosen:
            return finding
        if chosen:
            IncidentFinding.objects.filter(incident_id=finding.incident_id, chosen=True).update(chosen=False)
        IncidentFinding.objects.filter(pk=finding.pk).update(chosen=chosen)
        timeline_add(incident=finding.incident, kind="action_chosen" if chosen else "action_unchosen", actor=by,
                     via=via, text=("Chosen action: " if chosen else "No longer the chosen action: ") + finding.text,
                     data={"finding": finding.pk})
    finding.refresh_from_db()
    return finding


def incident_task_add(*, incident: Incident, title: str, owner: User | None, by: User | None, via: str) -> IncidentTask:
    title = _text(title, what="task", limit=500)
    _member(incident=incident, user=owner, what="task owner")
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).get()
        if IncidentTask.objects.filter(incident=incident).count() >= MAX_ROWS_PER_INCIDENT:
            raise IncidentError(f"An incident holds at most {MAX_ROWS_PER_INCIDENT} tasks; remove some first.")
        task = IncidentTask.objects.create(incident=incident, title=title, owner=owner, created_by=by)
        timeline_add(incident=incident, kind="task_added", actor=by, via=via,
                     text=f"Task: {title}" + (f" (owner {owner})" if owner else ""),
                     data={"task": task.pk, "owner": owner.pk if owner else None})
    return task


def incident_task_toggle(*, task: IncidentTask, done: bool, by: User | None, via: str) -> IncidentTask:
    """Mark a task done, or open again (the undo); a repeat of the current state changes nothing."""
    now = timezone.now()
    with transaction.atomic():
        changed = IncidentTask.objects.filter(pk=task.pk, done_at__isnull=done).update(done_at=now if done else None)
        if changed:
            timeline_add(incident=task.incident, kind="task_done" if done else "task_reopened", actor=by, via=via,
                         at=now, text=("Done: " if done else "Not done after all: ") + task.title,
                         data={"task": task.pk})
    task.refresh_from_db()
    return task


def incident_task_remove(*, task: IncidentTask, by: User | None, via: str) -> None:
    with transaction.atomic():
        deleted, _ = IncidentTask.objects.filter(pk=task.pk).delete()
        if deleted:
            timeline_add(incident=task.incident, kind="task_removed", actor=by, via=via,
                         text=f"Removed task: {task.title}", data={"task": task.pk})
