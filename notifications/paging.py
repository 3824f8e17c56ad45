"""Paging people: one Page per person, position and round, with the deliveries their own
notification rules ask for."""
from datetime import datetime, timedelta

from django.contrib.auth.models import User

from incidents.models import Incident
from incidents.services import timeline_add
from oncall.models import NotificationRule

from .models import Delivery, Page
from .slack.incident_channel import incident_channel_invite_later


def page_people(
    *, incident: Incident, users: list[User], step: int, reason: str, label: str, now: datetime,
) -> tuple[list[Delivery], list[User]]:
    """One page per person (at most once per position and round) with the deliveries their rules
    ask for. Returns the new deliveries and everyone who has a usable rule."""
    deliveries: list[Delivery] = []
    reached: list[User] = []
    for user in users:
        rules = _usable_rules(user=user, urgency=incident.urgency)
        if not rules:
            timeline_add(incident=incident, kind="warning", at=now,
                         text=f"{user.get_username()} has no verified contact method for {incident.urgency}-urgency "
                              f"pages ({label}): they cannot be reached.", data={"user": user.pk})
            continue
        reached.append(user)
        deliveries += _page(incident=incident, user=user, rules=rules, step=step, reason=reason, now=now,
                            line=f"Paging {user.get_username()} ({label})")
    if reached:
        incident_channel_invite_later(incident_id=incident.pk)
    return deliveries, reached


def copy_to_shadows(
    *, incident: Incident, shadows: list[User], paged: list[User], step: int, label: str, now: datetime,
) -> list[Delivery]:
    """A copy of the step's pages for each shadow, on their own rules, once per position and
    round like a page. Nobody counts on a shadow: one without a usable rule is simply not copied
    (no warning, no fallback), and someone paged for real at this step gets no copy on top."""
    responsible = {u.pk for u in paged}
    deliveries: list[Delivery] = []
    for user in shadows:
        rules = _usable_rules(user=user, urgency=incident.urgency) if user.pk not in responsible else []
        if rules:
            deliveries += _page(incident=incident, user=user, rules=rules, step=step, reason=Page.Reason.SHADOW,
                                now=now, line=f"Shadow copy to {user.get_username()} ({label})", kind="shadow_copied")
    return deliveries


def _page(*, incident: Incident, user: User, rules: list[NotificationRule], step: int, reason: str, now: datetime,
          line: str, kind: str = "paged") -> list[Delivery]:
    page, created = Page.objects.get_or_create(
        incident=incident, user=user, step=step, loop=incident.escalation_loop, round=incident.paging_round,
        defaults={"created_at": now, "reason": reason})
    if not created:
        return []
    made = Delivery.objects.bulk_create([
        Delivery(page=page, contact_method=rule.contact_method, rule=rule, kind=rule.contact_method.kind,
                 due_at=now + timedelta(minutes=rule.delay_minutes))
        for rule in rules
    ])
    timeline_add(incident=incident, kind=kind, at=now, actor=None,
                 text=f"{line}: " + ", ".join(
                     f"{d.kind} {'now' if d.due_at <= now else 'at +' + str(int((d.due_at - now).total_seconds() // 60)) + ' min'}"
                     for d in made),
                 data={"user": user.pk, "step": step, "loop": incident.escalation_loop,
                       "round": incident.paging_round, "reason": reason})
    return made


def _usable_rules(*, user: User, urgency: str) -> list[NotificationRule]:
    return list(NotificationRule.objects.filter(
        user_id=user.pk, urgency=urgency, contact_method__verified_at__isnull=False,
        contact_method__disabled_at__isnull=True,
    ).select_related("contact_method").order_by("delay_minutes", "id"))
