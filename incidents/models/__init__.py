"""The incidents app's models: core.py (services, integrations, incidents, alerts, the timeline,
maintenance, changes), response.py (roles, findings, tasks, status updates and followers of the
Communicate → Learn → Act workflow), postmortem.py (postmortems and their action items); outgoing webhooks' own models live in incidents/outgoing/."""
from .core import (  # noqa: F401
    Alert,
    ChangeEvent,
    Incident,
    IncidentAlertState,
    Integration,
    MaintenanceWindow,
    Service,
    Severity,
    TimelineEvent,
    Urgency,
)
from .postmortem import ActionItem, Postmortem  # noqa: F401
from .response import IncidentFinding, IncidentRole, IncidentSubscription, IncidentTask, StatusUpdate  # noqa: F401

from ..outgoing.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: E402,F401  (outgoing webhooks)
