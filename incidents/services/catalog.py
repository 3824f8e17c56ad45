"""What can break and how monitors reach it: services and their integrations (tokens shown once)."""
from config.models_util import KEEP, apply_changes
from oncall.audit.recording import audit_updated
from oncall.models import EscalationPolicy, Team, hash_secret, new_secret

from ..intake_cache import intake_cache_changed
from ..integration_config import config_merged, config_problems
from ..models import Integration, Service
from .errors import IncidentError


def service_create(*, team: Team, name: str, description: str = "", runbook_url: str = "",
                   escalation_policy: EscalationPolicy | None = None, slack_channel: str = "",
                   ack_timeout_minutes: int | None = None,
                   major_incident_policy: EscalationPolicy | None = None) -> Service:
    return Service.objects.create(team=team, name=name, description=description, runbook_url=runbook_url,
                                  escalation_policy=escalation_policy, slack_channel=slack_channel,
                                  ack_timeout_minutes=ack_timeout_minutes, major_incident_policy=major_incident_policy)


def service_update(
    *, service: Service, name: str | None = None, description: str | None = None, runbook_url: str | None = None,
    escalation_policy: EscalationPolicy | None | object = KEEP, slack_channel: str | None = None,
    ack_timeout_minutes: int | None | object = KEEP, major_incident_policy: EscalationPolicy | None | object = KEEP,
) -> Service:
    """Fields given as None are kept, except the policies and ack_timeout_minutes, which None clears."""
    apply_changes(service, nullable=["escalation_policy", "ack_timeout_minutes", "major_incident_policy"], name=name,
                  description=description, runbook_url=runbook_url, slack_channel=slack_channel,
                  escalation_policy=escalation_policy, ack_timeout_minutes=ack_timeout_minutes,
                  major_incident_policy=major_incident_policy)
    return service


def service_delete(*, service: Service) -> None:
    """Incidents keep their service (PROTECT): a service with history raises ProtectedError."""
    service.delete()


def integration_create(*, service: Service, kind: str, name: str, config: dict | None = None) -> tuple[Integration, str]:
    """Create an integration and return it with its raw token: shown once, stored only as a hash."""
    if kind not in Integration.Kind.values:
        raise IncidentError(f"Unknown integration kind {kind!r}; use one of {', '.join(Integration.Kind.values)}.")
    config = _integration_config(kind=kind, stored={}, given=config or {})
    _ensure_name_free(service=service, name=name)
    raw = new_secret("int")
    integration = Integration.objects.create(
        service=service, kind=kind, name=name, config=config,
        token_hash=hash_secret(raw), token_prefix=raw[:10],
    )
    return integration, raw


def _integration_config(*, kind: str, stored: dict, given: dict) -> dict:
    config = config_merged(kind, stored=stored, given=given)
    problems = config_problems(kind, config)
    if problems:
        raise IncidentError("Invalid config: " + "; ".join(problems) + ".")
    return config


def _ensure_name_free(*, service: Service, name: str, integration: Integration | None = None) -> None:
    # Configuration files name an integration by its service and name, so two may not share one.
    taken = service.integrations.filter(name=name).exclude(pk=getattr(integration, "pk", None))
    if taken.exists():
        raise IncidentError(f"Service '{service.name}' already has an integration named '{name}'.")


def integration_rotate_token(*, integration: Integration) -> str:
    raw = new_secret("int")
    Integration.objects.filter(pk=integration.pk).update(token_hash=hash_secret(raw), token_prefix=raw[:10])
    intake_cache_changed()  # an update() sends no post_save; the old token must stop at once
    audit_updated(model=Integration, pk=integration.pk, token_hash=raw)
    integration.refresh_from_db()
    return raw


def integration_update(
    *, integration: Integration, name: str | None = None, enabled: bool | None = None, config: dict | None = None,
) -> Integration:
    """A config given replaces the old one, except for secrets it omits (see integration_config)."""
    if config is not None:
        config = _integration_config(kind=integration.kind, stored=integration.config, given=config)
    if name is not None:
        _ensure_name_free(service=integration.service, name=name, integration=integration)
    apply_changes(integration, name=name, enabled=enabled, config=config)
    return integration


def integration_delete(*, integration: Integration) -> None:
    integration.delete()
