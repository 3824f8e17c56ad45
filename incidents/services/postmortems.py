"""Writes of postmortems (issue 12 §1): one per incident, made when a SEV1 or SEV2 is resolved (by
`incident_resolve`, in its transaction) or on request; its owner, its Markdown sections, and its
review `draft → in review → reviewed → closed`. Each change writes a timeline line on the incident
with its author, so the incident's page tells the postmortem's story too.

Imported as `incidents.services.postmortems`, not through the package: it reads the commander rule
of incidents/status_updates.py, which itself imports the package.

Review due dates are counted from the day of resolution in the owner's zone (their profile's, else
UTC; teams have no zone of their own): SEV1 three calendar days, SEV2 five business days, others ten
business days, business days being Monday to Friday (public holidays are not known to Vigil).
"""
import logging
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from oncall.access import RESPONDING_ROLES
from oncall.models import Membership
from oncall.viewer_zone import zone_named

from ..models import ActionItem, Incident, Postmortem, Severity
from ..models.postmortem import SECTIONS
from ..postmortem_draft import draft_sections
from ..status_updates import incident_commander
from .errors import AlreadyHandled, IncidentError, InvalidTransition
from .lifecycle import timeline_add

logger = logging.getLogger(__name__)
Status = Postmortem.Status
SECTION_NAMES = tuple(name for name, _ in SECTIONS)
SECTION_LIMIT = 50_000
# Severities whose resolution opens a postmortem by itself; the others get one on request.
AUTOMATIC_FOR = (Severity.SEV1, Severity.SEV2)
# (days, business days only) until the review is due, by severity.
REVIEW_WITHIN = {Severity.SEV1: (3, False), Severity.SEV2: (5, True)}
REVIEW_WITHIN_OTHERS = (10, True)
# Where a postmortem may go from each status. A closed one can be opened again as a draft: a
# lesson found later belongs in it rather than in a second document.
NEXT = {
    Status.DRAFT: (Status.IN_REVIEW,),
    Status.IN_REVIEW: (Status.DRAFT, Status.REVIEWED),
    Status.REVIEWED: (Status.IN_REVIEW, Status.CLOSED),
    Status.CLOSED: (Status.DRAFT,),
}
# Sections are written while a draft or in review; a reviewed or closed one is moved back first.
EDITABLE = (Status.DRAFT, Status.IN_REVIEW)


def review_due_on(*, severity: str, resolved_on: date) -> date:
    days, business_only = REVIEW_WITHIN.get(severity, REVIEW_WITHIN_OTHERS)
    if not business_only:
        return resolved_on + timedelta(days=days)
    day = resolved_on
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def zone_of(user: User | None) -> ZoneInfo:
    """The person's zone from their profile; UTC for nobody or no profile."""
    profile = getattr(user, "oncall_profile", None) if user is not None else None
    return zone_named(profile.time_zone if profile else None) or ZoneInfo("UTC")


def default_owner(*, incident: Incident, by: User | None) -> User | None:
    """The incident's commander (named, else the acknowledger), else whoever resolved it, else the
    person asking."""
    return incident_commander(incident) or incident.resolved_by or by


def postmortem_create(*, incident: Incident, by: User | None, via: str) -> tuple[Postmortem, bool]:
    """The incident's postmortem, made now with a first draft unless it has one: (postmortem, created).
    Only a resolved incident gets a new one; one made before a reopen is kept."""
    with transaction.atomic():
        # The incident row's lock: two people (or a resolve and a person) asking at once make one.
        locked = (Incident.objects.select_for_update(of=("self",)).select_related("service", "resolved_by")
                  .get(pk=incident.pk))
        existing = Postmortem.objects.filter(incident=locked).first()
        if existing is not None:
            return existing, False
        if locked.status != Incident.Status.RESOLVED:
            raise InvalidTransition(f"Incident #{locked.number} is {locked.status}; a postmortem is written once "
                                    "it is resolved.")
        owner = default_owner(incident=locked, by=by)
        zone = zone_of(owner)
        postmortem = Postmortem.objects.create(
            incident=locked, team_id=locked.team_id, owner=owner, created_by=by,
            review_due_on=review_due_on(severity=locked.severity,
                                        resolved_on=(locked.resolved_at or timezone.now()).astimezone(zone).date()),
            **draft_sections(incident=locked, zone=zone),
        )
        timeline_add(incident=locked, kind="postmortem_created", actor=by, via=via,
                     text=f"Postmortem started; owner {owner or 'nobody yet'}, "
                          f"review due {postmortem.review_due_on:%Y-%m-%d}",
                     data={"postmortem": postmortem.pk, "owner": owner.pk if owner else None})
    return postmortem, True


def postmortem_create_if_major(*, incident: Incident, by: User | None, via: str) -> Postmortem | None:
    """Called by incident_resolve inside its transaction: a SEV1 or SEV2 gets its postmortem at once."""
    if incident.severity not in AUTOMATIC_FOR:
        return None
    try:
        with transaction.atomic():
            return postmortem_create(incident=incident, by=by, via=via)[0]
    except Exception:
        # Resolving is what the responder came to do; a draft that cannot be written (a bug, odd
        # timeline data) must not undo it. The savepoint drops the half-made postmortem, and the
        # incident page still offers "Write a postmortem".
        logger.exception("could not start the postmortem of incident %s", incident.pk)
        return None


_KEEP = object()


def postmortem_update(
    *, postmortem: Postmortem, by: User | None, via: str, sections: dict[str, str] | None = None,
    owner: User | None | object = _KEEP,
) -> Postmortem:
    """Change some sections and/or the owner (a responder or manager of the team). Unknown section
    names, over-long text or an owner outside the team are refused before anything is written."""
    sections = dict(sections or {})
    unknown = sorted(set(sections) - set(SECTION_NAMES))
    if unknown:
        raise IncidentError(f"Unknown section {', '.join(unknown)}; use {', '.join(SECTION_NAMES)}.")
    for name, text in sections.items():
        if not isinstance(text, str):
            raise IncidentError(f"Section {name} must be text.")
        if len(text) > SECTION_LIMIT:
            raise IncidentError(f"Section {name} is limited to {SECTION_LIMIT:,} characters.")
    if owner is not _KEEP and owner is not None and not Membership.objects.filter(
            team_id=postmortem.team_id, user=owner, role__in=RESPONDING_ROLES).exists():
        raise IncidentError(f"The owner must be a responder or manager of team {postmortem.team}.")
    with transaction.atomic():
        locked = (Postmortem.objects.select_for_update(of=("self",)).select_related("owner", "incident")
                  .get(pk=postmortem.pk))
        changed = [name for name, text in sections.items() if getattr(locked, name) != text]
        if changed and locked.status not in EDITABLE:
            raise InvalidTransition(f"This postmortem is {locked.get_status_display().lower()}; move it back to "
                                    "in review to change its sections.")
        new_owner = locked.owner if owner is _KEEP else owner
        fields = {name: sections[name] for name in changed}
        if new_owner != locked.owner:
            if locked.status == Status.CLOSED:
                raise InvalidTransition("This postmortem is closed; reopen it to change its owner.")
            fields["owner"] = new_owner
            timeline_add(incident=locked.incident, kind="postmortem_owner", actor=by, via=via,
                         text=f"Postmortem owner: {new_owner or 'nobody'} (was {locked.owner or 'nobody'})",
                         data={"postmortem": locked.pk, "owner": new_owner.pk if new_owner else None})
        if changed:
            labels = dict(SECTIONS)
            timeline_add(incident=locked.incident, kind="postmortem_edited", actor=by, via=via,
                         text="Postmortem edited: " + ", ".join(labels[name] for name in changed),
                         data={"postmortem": locked.pk, "sections": changed})
        if fields:
            for name, value in fields.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*fields, "updated_at"])
    return locked


def postmortem_status_set(*, postmortem: Postmortem, to: str, by: User | None, via: str) -> Postmortem:
    """Move the review along (or back). Closing needs every action item to have an owner."""
    if to not in Status.values:
        raise IncidentError(f"Unknown postmortem status {to!r}; use one of {', '.join(Status.values)}.")
    current = postmortem.status
    if to not in NEXT[current]:
        allowed = " or ".join(Status(s).label.lower() for s in NEXT[current])
        raise InvalidTransition(f"A postmortem {Status(current).label.lower()} can move to {allowed}, "
                                f"not to {Status(to).label.lower()}.")
    if to == Status.CLOSED:
        unowned = list(ActionItem.objects.filter(postmortem=postmortem, owner__isnull=True)
                       .order_by("id").values_list("title", flat=True))
        if unowned:
            raise IncidentError("Give every action item an owner before closing; without one: "
                                + "; ".join(f"“{title}”" for title in unowned) + ".")
    now = timezone.now()
    changes = {"status": to, "updated_at": now}
    if to == Status.REVIEWED:
        changes["reviewed_at"] = now
    elif to in (Status.IN_REVIEW, Status.DRAFT):
        changes["reviewed_at"] = None
    changes["closed_at"] = now if to == Status.CLOSED else None
    with transaction.atomic():
        if not Postmortem.objects.filter(pk=postmortem.pk, status=current).update(**changes):
            fresh = Postmortem.objects.get(pk=postmortem.pk)
            raise AlreadyHandled(f"The postmortem changed meanwhile: it is {fresh.get_status_display().lower()} now. "
                                 "Reload it and try again.")
        timeline_add(incident=postmortem.incident, kind="postmortem_status", actor=by, via=via,
                     text=f"Postmortem: {Status(current).label.lower()} → {Status(to).label.lower()}",
                     data={"postmortem": postmortem.pk, "from": current, "to": to})
    return Postmortem.objects.select_related("incident", "owner", "team").get(pk=postmortem.pk)


def review_overdue(postmortem: Postmortem, *, today: date | None = None) -> bool:
    """Past its review date and not yet reviewed (the date is a whole day in the viewer's zone)."""
    return (postmortem.status in (Status.DRAFT, Status.IN_REVIEW)
            and postmortem.review_due_on < (today or timezone.localdate()))
