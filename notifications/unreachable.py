"""Nobody reachable is itself an alarm. When a step reaches no one (no policy, nobody on call,
nobody with a usable notification rule), the team's managers are paged on their own rules and the
incident shows since when nobody has been paged, until a step reaches someone."""
from datetime import datetime

from django.contrib.auth.models import User

from incidents.models import Incident
from incidents.services import timeline_add
from oncall.models import Membership

from .models import Delivery, Page
from .paging import page_people


def page_managers_instead(*, incident: Incident, step: int, label: str, now: datetime) -> list[Delivery]:
    """`label` names what reached nobody ("step 2", "no escalation policy"). Once per paging round: further empty steps of the round leave the managers' own rules
    (their repeats and delays) to do the nagging."""
    Incident.objects.filter(pk=incident.pk, status=Incident.Status.TRIGGERED, paging_round=incident.paging_round,
                            unreachable_since__isnull=True).update(unreachable_since=now)
    team = incident.team.name
    if Page.objects.filter(incident=incident, round=incident.paging_round, reason=Page.Reason.FALLBACK).exists():
        timeline_add(incident=incident, kind="unreachable", at=now,
                     text=f"Nobody can be reached ({label}); the managers of {team} have already been paged.",
                     data={"round": incident.paging_round})
        return []
    managers = list(User.objects.filter(
        is_active=True, memberships__team_id=incident.team_id, memberships__role=Membership.Role.MANAGER,
    ).order_by("username"))
    deliveries, reached = page_people(incident=incident, users=managers, step=step, reason=Page.Reason.FALLBACK,
                                      label=f"fallback: nobody reachable at {label}", now=now)
    if reached:
        names = ", ".join(u.get_username() for u in reached)
        text = f"Nobody can be reached ({label}); paging the managers of {team} instead: {names}."
    elif managers:
        text = (f"Nobody can be reached ({label}), and no manager of {team} has a usable notification rule "
                f"for {incident.urgency}-urgency pages either: nobody has been paged.")
    else:
        text = f"Nobody can be reached ({label}), and {team} has no manager to fall back on: nobody has been paged."
    timeline_add(incident=incident, kind="unreachable", at=now, text=text,
                 data={"managers": [u.pk for u in reached], "round": incident.paging_round})
    return deliveries
