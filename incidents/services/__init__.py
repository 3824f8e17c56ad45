"""Every write to incidents, a module per seam: lifecycle.py (open, acknowledge, mitigate, resolve,
reopen, notes, severity), paging.py (restarting paging on purpose), catalog.py (services and
integrations), maintenance.py. Callers import from here."""
from .errors import (
    AlreadyHandled,
    IncidentError,
    InvalidTransition,
)
from .lifecycle import (
    incident_acknowledge,
    incident_mitigate,
    incident_note_add,
    incident_reopen,
    incident_resolve,
    incident_severity_set,
    incident_trigger,
    timeline_add,
)
from .paging import (
    ACK_TIMEOUT_BATCH,
    incident_escalate_now,
    incident_reassign,
    incident_unacknowledge,
    incidents_ack_timeouts_expire,
)
from .catalog import (
    integration_create,
    integration_delete,
    integration_rotate_token,
    integration_update,
    service_create,
    service_delete,
    service_update,
)
from .maintenance import (
    maintenance_window_create,
    maintenance_window_delete,
    maintenance_window_update,
)

__all__ = [
    "AlreadyHandled",
    "IncidentError",
    "InvalidTransition",
    "incident_acknowledge",
    "incident_mitigate",
    "incident_note_add",
    "incident_reopen",
    "incident_resolve",
    "incident_severity_set",
    "incident_trigger",
    "timeline_add",
    "ACK_TIMEOUT_BATCH",
    "incident_escalate_now",
    "incident_reassign",
    "incident_unacknowledge",
    "incidents_ack_timeouts_expire",
    "integration_create",
    "integration_delete",
    "integration_rotate_token",
    "integration_update",
    "service_create",
    "service_delete",
    "service_update",
    "maintenance_window_create",
    "maintenance_window_delete",
    "maintenance_window_update",
]
