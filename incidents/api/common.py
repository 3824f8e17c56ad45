"""What the resources of incidents' API share: roles, error responses, and how a change was made."""
from config.api_kit import error_responses
from oncall.models import ApiToken, Membership

from ..models import TimelineEvent


RESPONDER = Membership.Role.RESPONDER
MANAGER = Membership.Role.MANAGER
LIST_ERRORS = error_responses(400, 401, 404)
READ_ERRORS = error_responses(401, 404)
CREATE_ERRORS = error_responses(400, 401, 403, 415)
UPDATE_ERRORS = error_responses(400, 401, 403, 404, 415)


def via_of(request) -> str:
    """Timeline entries say how a change was made: with a token ("api") or from a browser session."""
    return TimelineEvent.Via.API if isinstance(request.auth, ApiToken) else TimelineEvent.Via.WEB
