"""What a page needs to know about the person looking at an incident."""
from django import template

from oncall.access import responding_team_ids

register = template.Library()


@register.filter
def can_respond_to(user, incident) -> bool:
    """Whether `user` may change `incident` (responder or manager of its team). The person's
    memberships are read once per request, so a list of many incidents costs one query."""
    if not getattr(user, "is_authenticated", False):
        return False
    if "_vigil_responding_teams" not in user.__dict__:
        user.__dict__["_vigil_responding_teams"] = responding_team_ids(user)
    teams = user.__dict__["_vigil_responding_teams"]
    return teams is None or incident.team_id in teams
