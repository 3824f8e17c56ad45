"""A person checks an integration end to end from its page: a test alert goes through the same
intake as a real webhook (dedup, maintenance, incident, paging), so what they see is what a
monitor would get."""
import uuid
from dataclasses import dataclass

from django.contrib.auth.models import User

from . import alert_ingest as intake
from .models import Incident, Integration
from .ratelimit import integration_rate_check
from .services import IncidentError
from .sources import AlertEvent


@dataclass(frozen=True)
class CheckResult:
    message: str
    incident: Incident | None = None


def integration_test_send(*, integration: Integration, by: User) -> CheckResult:
    """A test alert (a test beat for a heartbeat) as if the monitor had sent it."""
    if not integration.enabled:
        # The webhook refuses a disabled integration; a test must not pretend otherwise.
        raise IncidentError(f"{integration.name} is disabled: enable it to send a test.")
    # Counted against the integration's own limit, as its webhook is: each test opens an incident
    # that pages, and a button pressed in a loop must not page a team twenty times a minute.
    limit = integration.config.get("rate_limit_per_minute") if isinstance(integration.config, dict) else None
    wait = integration_rate_check(integration_id=integration.pk,
                                  limit_per_minute=limit if isinstance(limit, int) and limit > 0 else None)
    if wait is not None:
        raise IncidentError(f"Too many sends to {integration.name} this minute; try again in {wait} s.")
    if integration.kind == Integration.Kind.HEARTBEAT:
        resolved = intake.heartbeat_beat(integration=integration)
        extra = f" It resolved incident #{resolved.number}." if resolved else ""
        return CheckResult(f"Test beat received from {integration.name}.{extra}", resolved)
    event = AlertEvent(
        # A key of its own each time: every press opens a new incident instead of adding to the last.
        dedup_key=f"vigil-test:{uuid.uuid4().hex}", action="trigger", severity="info",
        summary=f"Test alert from {integration.name}", source="Vigil test alert",
        details={"test": True, "sent_by": by.get_username(),
                 "note": "Sent from the service page to check this integration; resolve it when seen."},
    )
    outcome = intake.alerts_ingest(integration=integration, events=[event])[0]
    if outcome.result == "suppressed":
        return CheckResult("The service is in maintenance: the test alert was stored but opened no incident.")
    return CheckResult(f"Test alert sent: incident #{outcome.incident.number} is open; resolve it when seen.",
                       outcome.incident)
