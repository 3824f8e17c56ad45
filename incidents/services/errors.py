"""What incidents' services raise for a request they refuse; the API kit maps VigilError to HTTP."""
from config.errors import VigilError


class IncidentError(VigilError):
    """A request that cannot be carried out; the message is shown to the person who asked."""


class AlreadyHandled(IncidentError):
    """Someone else got there first (two people pressing Acknowledge at once)."""

    status_code = 409


class InvalidTransition(IncidentError):
    pass
