"""A postmortem's action items (DESIGN §5): the lessons carried into work, each with an owner from
the postmortem's team, a due date, a priority, a status and a ticket. Every write is one
transaction and one line on the incident's timeline naming who made it; a refused request
(IncidentError, a 400 with the problem named) stores nothing.

The reads other features share live here too: the open items of some teams (the hand-off report,
a person's profile), the overdue ones (the overdue page, the reminders), and the items without an
owner that keep a postmortem from being closed."""
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from oncall.models import Membership, Team

from ..display import web_link
from ..models import ActionItem, IncidentTask, Postmortem, TimelineEvent
from .errors import IncidentError
from .lifecycle import timeline_add

Status = ActionItem.Status
Priority = ActionItem.Priority
TITLE_LIMIT = 500
URL_LIMIT = 1000
# Enough for the longest real postmortem; a runaway script must not fill the page.
MAX_ITEMS_PER_POSTMORTEM = 100
EDITABLE = ("title", "owner", "due_on", "priority", "ticket_url")


# --- checks: each names the problem, before anything is written -------------------------------

def _title(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise IncidentError("An action item needs a title: what will be done.")
    if len(value) > TITLE_LIMIT:
        raise IncidentError(f"An action item's title is limited to {TITLE_LIMIT} characters.")
    return value


def _owner(owner: User | None, postmortem: Postmortem) -> User | None:
    if owner is None:
        return None
    if not owner.is_active or not Membership.objects.filter(team_id=postmortem.team_id, user=owner).exists():
        raise IncidentError(f"The owner must be a member of team {postmortem.team}; "
                            f"{owner.get_username()} is not.")
    return owner


def _priority(value: str) -> str:
    if value not in Priority.values:
        raise IncidentError(f"Unknown priority {value!r}; use one of {', '.join(Priority.values)}.")
    return value


def _status(value: str) -> str:
    if value not in Status.values:
        raise IncidentError(f"Unknown status {value!r}; use one of {', '.join(Status.values)}.")
    return value


def _ticket_url(value: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > URL_LIMIT or not web_link(value) or any(c.isspace() for c in value)):
        raise IncidentError(f"The ticket link must be a web address starting with https:// or http:// "
                            f"(at most {URL_LIMIT} characters).")
    return value


def _due_on(value: date | None) -> date | None:
    if value is not None and not isinstance(value, date):
        raise IncidentError("The due date must be a date (YYYY-MM-DD).")
    return value


def _describe(item: ActionItem) -> str:
    owner = item.owner.get_username() if item.owner else "no owner"
    due = f", due {item.due_on:%Y-%m-%d}" if item.due_on else ""
    return f"{item.title} ({owner}{due}, {item.get_priority_display().lower()} priority)"


def _open_postmortem_needs_owner(postmortem: Postmortem, owner: User | None) -> None:
    # A closed postmortem has an owner on every item (closing checks it); it stays that way.
    if owner is None and postmortem.status == Postmortem.Status.CLOSED:
        raise IncidentError("The postmortem is closed: each of its action items needs an owner.")


# --- writes -------------------------------------------------------------------------------------

def action_item_add(
    *, postmortem: Postmortem, by: User | None, title: str, priority: str = Priority.MEDIUM,
    owner: User | None = None, due_on: date | None = None, ticket_url: str = "",
    incident_task: IncidentTask | None = None, via: str = TimelineEvent.Via.WEB,
) -> ActionItem:
    """Add an action item to the postmortem; `incident_task`: the incident's open task it comes from."""
    title, priority = _title(title), _priority(priority)
    owner, due_on, ticket_url = _owner(owner, postmortem), _due_on(due_on), _ticket_url(ticket_url)
    _open_postmortem_needs_owner(postmortem, owner)
    if incident_task is not None and incident_task.incident_id != postmortem.incident_id:
        raise IncidentError("That task belongs to another incident.")
    with transaction.atomic():
        # The postmortem row's lock serialises the count check (and a task's conversion) with other writers.
        Postmortem.objects.select_for_update().filter(pk=postmortem.pk).get()
        if ActionItem.objects.filter(postmortem=postmortem).count() >= MAX_ITEMS_PER_POSTMORTEM:
            raise IncidentError(f"A postmortem holds at most {MAX_ITEMS_PER_POSTMORTEM} action items.")
        if incident_task is not None and ActionItem.objects.filter(incident_task=incident_task).exists():
            raise IncidentError(f"The task “{incident_task.title}” is already an action item.")
        item = ActionItem.objects.create(
            postmortem=postmortem, team_id=postmortem.team_id, title=title, owner=owner, due_on=due_on,
            priority=priority, ticket_url=ticket_url, created_by=by, incident_task=incident_task)
        origin = " from the task of the response" if incident_task else ""
        timeline_add(incident=postmortem.incident, kind="action_item_added", actor=by, via=via,
                     text=f"Action item added{origin}: {_describe(item)}",
                     data={"action_item": item.pk, "owner": owner.pk if owner else None})
    return item


def action_item_update(
    *, item: ActionItem, by: User | None, changes: dict, via: str = TimelineEvent.Via.WEB,
) -> ActionItem:
    """Change any of title, owner, due_on, priority, ticket_url (and status, see
    action_item_status_set) in one go; unchanged values write nothing."""
    unknown = sorted(set(changes) - {*EDITABLE, "status"})
    if unknown:
        raise IncidentError(f"An action item has no field {', '.join(unknown)}; "
                            f"change {', '.join(EDITABLE)} or status.")
    postmortem = item.postmortem
    checked = {}
    if "title" in changes:
        checked["title"] = _title(changes["title"])
    if "owner" in changes:
        checked["owner"] = _owner(changes["owner"], postmortem)
        _open_postmortem_needs_owner(postmortem, checked["owner"])
    if "due_on" in changes:
        checked["due_on"] = _due_on(changes["due_on"])
    if "priority" in changes:
        checked["priority"] = _priority(changes["priority"])
    if "ticket_url" in changes:
        checked["ticket_url"] = _ticket_url(changes["ticket_url"])
    with transaction.atomic():
        current = ActionItem.objects.select_for_update(of=("self",)).select_related("owner").get(pk=item.pk)
        changed = {k: v for k, v in checked.items() if getattr(current, k) != v}
        if changed:
            before = _describe(current)
            for field, value in changed.items():
                setattr(current, field, value)
            current.save(update_fields=list(changed))
            timeline_add(incident=postmortem.incident, kind="action_item_changed", actor=by, via=via,
                         text=f"Action item changed: {_describe(current)} (was {before})",
                         data={"action_item": current.pk, "fields": sorted(changed)})
        if "status" in changes:
            current = action_item_status_set(item=current, by=by, status=changes["status"], via=via)
    return current


def action_item_status_set(
    *, item: ActionItem, by: User | None, status: str, via: str = TimelineEvent.Via.WEB,
) -> ActionItem:
    """Open, in progress, done or won't do. Done and won't do stamp completed_at with the time of
    that decision; back to open or in progress clears it."""
    status = _status(status)
    finished = status not in ActionItem.OPEN_STATUSES
    with transaction.atomic():
        current = ActionItem.objects.select_for_update().get(pk=item.pk)
        if current.status == status:
            return current
        was = current.get_status_display().lower()
        current.status = status
        current.completed_at = timezone.now() if finished else None
        current.save(update_fields=["status", "completed_at"])
        timeline_add(incident=item.postmortem.incident, kind="action_item_status", actor=by, via=via,
                     text=f"Action item {current.get_status_display().lower()} (was {was}): {current.title}",
                     data={"action_item": current.pk, "status": status})
    return current


# --- reads --------------------------------------------------------------------------------------

def postmortem_action_items(postmortem: Postmortem) -> QuerySet[ActionItem]:
    """The items as the postmortem page lists them: by due date (none last), with their people."""
    return (ActionItem.objects.filter(postmortem=postmortem).select_related("owner", "incident_task")
            .order_by(F("due_on").asc(nulls_last=True), "id"))


def action_items_without_owner(postmortem: Postmortem) -> QuerySet[ActionItem]:
    """Items nobody owns: a postmortem cannot be closed while there is one (the close refuses)."""
    return ActionItem.objects.filter(postmortem=postmortem, owner__isnull=True)


def open_action_items(*, teams: QuerySet[Team] | list, owner: User | None = None) -> QuerySet[ActionItem]:
    """Open and in-progress items of `teams` (a queryset of teams, or ids), optionally one person's;
    overdue (the earliest due) first, undated last."""
    items = ActionItem.objects.filter(team__in=teams, status__in=ActionItem.OPEN_STATUSES)
    if owner is not None:
        items = items.filter(owner=owner)
    return (items.select_related("owner", "team", "postmortem__incident")
            .order_by(F("due_on").asc(nulls_last=True), "id"))


def action_items_overdue(*, teams: QuerySet[Team] | list | None = None, today: date | None = None) -> QuerySet[ActionItem]:
    """Open items whose due date has passed (before `today`); of every team when `teams` is None."""
    today = today or timezone.localdate()
    items = ActionItem.objects.filter(status__in=ActionItem.OPEN_STATUSES, due_on__lt=today)
    if teams is not None:
        items = items.filter(team__in=teams)
    return items.select_related("owner", "team", "postmortem__incident", "postmortem__owner").order_by("due_on", "id")


def postmortem_reviews_overdue(*, teams: QuerySet[Team] | list | None = None,
                               today: date | None = None) -> QuerySet[Postmortem]:
    """Postmortems still in draft or in review after their review date."""
    today = today or timezone.localdate()
    postmortems = Postmortem.objects.filter(
        status__in=(Postmortem.Status.DRAFT, Postmortem.Status.IN_REVIEW), review_due_on__lt=today)
    if teams is not None:
        postmortems = postmortems.filter(team__in=teams)
    return postmortems.select_related("owner", "team", "incident").order_by("review_due_on", "id")


def incident_tasks_to_offer(postmortem: Postmortem) -> QuerySet[IncidentTask]:
    """The incident's tasks still open and not yet made action items: follow-ups the postmortem
    page offers to turn into action items."""
    return (IncidentTask.objects.filter(incident_id=postmortem.incident_id, done_at__isnull=True,
                                        action_item__isnull=True)
            .select_related("owner").order_by("created_at", "id"))
