"""Reminders that keep a postmortem's lessons moving, through the person's own rules
(notifications/reminders.py), low urgency, by email when they have no rule for it:
the owner of an overdue action item (the postmortem's owner when the item has none, or its owner
has left the team), and the postmortem's owner when its review is overdue. Once per item (or
postmortem) per due date: moving the date arms the reminder again."""
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from incidents.models import ActionItem, Postmortem
from incidents.postmortem_links import postmortem_url
from incidents.services import timeline_add
from incidents.services.action_items import action_items_overdue, postmortem_reviews_overdue
from oncall.models import Membership

from .models import Reminder
from .reminders import person_remind

CHUNK = 500


def _chunks(queryset, size: int = CHUNK) -> Iterable[list]:
    # Read whole, then in chunks: the reminders write while we go, which an open server-side
    # cursor on the same connection would have to outlive. Overdue rows number in the thousands.
    rows = list(queryset)
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _already_reminded(keys: list[str]) -> set[str]:
    # One query per chunk: the beat task runs every few minutes over every overdue item, and the
    # dedup key alone would cost a refused insert per item per run.
    return set(Reminder.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))


def _in_team(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    teams, users = {t for t, _ in pairs}, {u for _, u in pairs}
    return set(Membership.objects.filter(team_id__in=teams, user_id__in=users).values_list("team_id", "user_id"))


def _usable(user: User | None, team_id: int, members: set[tuple[int, int]]) -> User | None:
    return user if user is not None and user.is_active and (team_id, user.pk) in members else None


def _remind(*, incident, user: User, key: str, subject: str, text: str, link: str, line: str, now: datetime,
            data: dict) -> bool:
    with transaction.atomic():
        reminder = person_remind(user=user, urgency="low", email_if_no_rule=True, dedup_key=key, now=now,
                                 subject=subject, text=text, link=link)
        if reminder is None:
            return False
        how = "" if reminder.deliveries.exists() else " by email (no usable low-urgency rule)"
        timeline_add(incident=incident, kind="reminder", at=now, data={**data, "user": user.pk, "reminder": reminder.pk},
                     text=f"Reminded {user.get_username()}{how}: {line}")
    return True


def action_item_key(item: ActionItem) -> str:
    return f"action-item-overdue:{item.pk}:{item.due_on}"


def review_key(postmortem: Postmortem) -> str:
    return f"postmortem-review-overdue:{postmortem.pk}:{postmortem.review_due_on}"


def action_items_remind_overdue(*, now: datetime | None = None) -> int:
    """Remind the owner of each open action item past its due date; returns how many were reminded."""
    now = now or timezone.now()
    reminded = 0
    for chunk in _chunks(action_items_overdue(today=timezone.localdate(now))):
        done = _already_reminded([action_item_key(item) for item in chunk])
        chunk = [item for item in chunk if action_item_key(item) not in done]
        members = _in_team({(i.team_id, u.pk) for i in chunk for u in (i.owner, i.postmortem.owner) if u})
        for item in chunk:
            reminded += _remind_item(item, members=members, now=now)
    return reminded


def _remind_item(item: ActionItem, *, members: set, now: datetime) -> bool:
    postmortem, incident = item.postmortem, item.postmortem.incident
    owner = _usable(item.owner, item.team_id, members)
    person = owner or _usable(postmortem.owner, item.team_id, members)
    if person is None:
        return False
    late = (timezone.localdate(now) - item.due_on).days
    about = f"#{incident.number} {incident.title}"
    if owner:
        text = (f"Your action item “{item.title}” from the postmortem of {about} was due {item.due_on:%Y-%m-%d} "
                f"({late} day{'s' if late != 1 else ''} ago). Finish it, move its date, or mark it won't do.")
    else:
        nobody = "has no owner" if item.owner is None else f"belongs to {item.owner.get_username()}, who cannot act on it"
        text = (f"The action item “{item.title}” from the postmortem of {about} was due {item.due_on:%Y-%m-%d} "
                f"and {nobody}; you own the postmortem, so it comes to you. Give it an owner.")
    return _remind(incident=incident, user=person, key=action_item_key(item), now=now,
                   subject=f"Action item overdue: {item.title}"[:200], text=text,
                   link=postmortem_url(postmortem, anchor=f"action-item-{item.pk}"),
                   line=f"action item “{item.title}” is overdue (due {item.due_on:%Y-%m-%d})"
                        + ("" if owner else "; it has no owner who can act on it") + ".",
                   data={"action_item": item.pk})


def postmortem_reviews_remind_overdue(*, now: datetime | None = None) -> int:
    """Remind the owner of each postmortem still in draft or review after its review date."""
    now = now or timezone.now()
    reminded = 0
    for chunk in _chunks(postmortem_reviews_overdue(today=timezone.localdate(now))):
        done = _already_reminded([review_key(pm) for pm in chunk])
        chunk = [pm for pm in chunk if review_key(pm) not in done]
        members = _in_team({(pm.team_id, pm.owner_id) for pm in chunk if pm.owner_id})
        for pm in chunk:
            owner = _usable(pm.owner, pm.team_id, members)
            if owner is None:
                continue  # the overdue page shows it with nobody named
            about = f"#{pm.incident.number} {pm.incident.title}"
            reminded += _remind(
                incident=pm.incident, user=owner, key=review_key(pm), now=now, data={"postmortem": pm.pk},
                subject=f"Postmortem review overdue: {about}"[:200],
                text=f"The postmortem of {about} is still {pm.get_status_display().lower()}; its review was due "
                     f"{pm.review_due_on:%Y-%m-%d}. Finish it and hold the review.",
                link=postmortem_url(pm), line=f"the postmortem review is overdue (due {pm.review_due_on:%Y-%m-%d}).")
    return reminded
