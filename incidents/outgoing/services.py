"""Writes to outgoing webhook endpoints. The secret is returned once, by create."""
from django.contrib.auth.models import User

from oncall.models import Team

from ..models import Service
from ..services import IncidentError
from .destinations import destination_problem
from .models import EVENT_NAMES, WebhookEndpoint
from .signing import new_webhook_secret


def _checked_events(events: list | None) -> list[str]:
    events = list(events or [])
    unknown = sorted({e for e in events if e not in EVENT_NAMES}, key=str)
    if unknown:
        raise IncidentError(f"Unknown event {', '.join(map(str, unknown))}; use some of {', '.join(EVENT_NAMES)}.")
    return sorted(set(events))


def _checked_url(url: str) -> str:
    problem = destination_problem(url)
    if problem:
        raise IncidentError(problem)
    return url


def _checked_service(team: Team, service: Service | None) -> Service | None:
    if service is not None and service.team_id != team.pk:
        raise IncidentError(f"Service {service.name} belongs to another team.")
    return service


def webhook_endpoint_create(*, team: Team, url: str, service: Service | None = None, events: list | None = None,
                            description: str = "", created_by: User | None = None) -> tuple[WebhookEndpoint, str]:
    secret = new_webhook_secret()
    endpoint = WebhookEndpoint.objects.create(
        team=team, service=_checked_service(team, service), url=_checked_url(url), events=_checked_events(events),
        description=description, secret=secret, created_by=created_by)
    return endpoint, secret


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, url: str | None = None, events: list | None = None,
                            description: str | None = None, enabled: bool | None = None,
                            service: Service | None | object = ...) -> WebhookEndpoint:
    """Enabling an endpoint again clears its failure record; None keeps a field."""
    changes: dict = {}
    if url is not None:
        changes["url"] = _checked_url(url)
    if events is not None:
        changes["events"] = _checked_events(events)
    if description is not None:
        changes["description"] = description
    if service is not ...:
        changes["service"] = _checked_service(endpoint.team, service)
    if enabled is not None:
        changes["enabled"] = enabled
        if enabled:
            changes.update(failing_since=None, disabled_reason="")
    for field, value in changes.items():
        setattr(endpoint, field, value)
    if changes:
        endpoint.save(update_fields=list(changes))
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()
