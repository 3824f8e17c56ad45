"""What a page needs to know about the person looking at an incident."""
from django import template

from oncall.access import user_can_respond

register = template.Library()


@register.filter
def can_respond_to(user, incident) -> bool:
    """Whether `user` may change `incident` (responder or manager of its team). One question per
    team per request: the answers are kept on the request's user object."""
    if not getattr(user, "is_authenticated", False):
        return False
    answers = user.__dict__.setdefault("_vigil_can_respond", {})
    if incident.team_id not in answers:
        answers[incident.team_id] = user_can_respond(user=user, team_id=incident.team_id)
    return answers[incident.team_id]
