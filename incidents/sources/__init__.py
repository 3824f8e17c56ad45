"""Alert source parsers: turn a webhook body into :class:`AlertEvent` objects, without touching
the database.

    from incidents.sources import parse, ParseError
    try:
        events = parse(integration.kind, request.data, integration)
    except ParseError as error:
        return Response(error.to_dict(), status=400)

``kind`` is ``Integration.kind`` ("alertmanager", "grafana", "generic", "pagerduty", "email"). The
PagerDuty endpoint should call :func:`pagerduty.parse_event` directly, to get the routing key.
The email parser takes RFC 822 bytes instead of JSON; ``email_forms`` reads Mailgun's and
SendGrid's inbound forms.

One parser per format: ``alertmanager/`` (a package: Grafana reuses it), ``grafana``, ``generic``,
``pagerduty``, ``email``. What they share: ``events`` (AlertEvent, the limits of its fields), ``errors``
(ParseError), ``fields`` (readers for strings, lists, timestamps, free-form JSON), ``links``,
``severity``, ``text`` (cleaning and keys).
"""
from __future__ import annotations

from typing import Any, Callable

from . import alertmanager, email, generic, grafana, pagerduty
from .errors import ParseError
from .events import AlertEvent

__all__ = ["PARSERS", "parse", "validate_config", "AlertEvent", "ParseError", "UnknownSourceKind"]

PARSERS: dict[str, Callable[[Any, Any], list[AlertEvent]]] = {
    "alertmanager": alertmanager.parse,
    "grafana": grafana.parse,
    "generic": generic.parse,
    "pagerduty": pagerduty.parse,
    "email": email.parse,
}

_CONFIG_VALIDATORS: dict[str, Callable[[Any], list[str]]] = {
    "alertmanager": alertmanager.validate_config,
    "grafana": grafana.validate_config,
    "generic": generic.validate_config,
    "pagerduty": pagerduty.validate_config,
    "email": email.validate_config,
}


class UnknownSourceKind(ParseError, LookupError):
    """No parser for this integration kind (a configuration problem, not the sender's)."""


def parse(kind: str, body: Any, integration: Any) -> list[AlertEvent]:
    """Parse ``body`` (already JSON-decoded) with the parser registered for ``kind``.

    Raises ParseError (only) when the body is not what that kind of source sends, and
    UnknownSourceKind (a ParseError and a LookupError) when no parser is registered for ``kind``.
    """
    parser = PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise UnknownSourceKind(f"No alert parser for integration kind {kind!r}",
                                [f"kind must be one of {', '.join(sorted(PARSERS))}"])
    return parser(body, integration)


def validate_config(kind: str, config: Any) -> list[str]:
    """Problems with an integration's ``config`` for ``kind`` (empty list when fine).

    For ``Integration.clean()``: parsers ignore invalid config entries rather than refuse alerts.
    """
    validator = _CONFIG_VALIDATORS.get(kind) if isinstance(kind, str) else None
    return validator(config) if validator else []
