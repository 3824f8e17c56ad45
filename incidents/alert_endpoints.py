"""Inbound alert endpoints: verify, then parse, then call a service.

Nothing here logs a URL: integration tokens travel in the path. Answers are JSON with a message
naming the problem; a rejected request stores nothing.
"""
import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from config.metrics import observe_intake

from . import alert_ingest
from .intake_cache import integration_by_token
from .models import Integration
from .ratelimit import integration_rate_check
from .sources import ParseError, grafana, pagerduty, parse

JSON_TYPES = ("application/json",)


class Rejected(Exception):
    def __init__(self, status: int, message: str, errors: list[str] | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors or [], headers or {}


def answer(status: int, body: dict, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, headers=headers)
    # Django would log 4xx responses with their path, and the path holds the token.
    response._has_been_logged = True
    return response


def find_integration(token: str, *, kinds: tuple[str, ...] | None = None) -> Integration:
    integration = integration_by_token(token)
    if integration is None or (kinds and integration.kind not in kinds):
        raise Rejected(404, "Unknown or disabled integration.")
    return integration


def check_rate(integration: Integration) -> None:
    limit = integration.config.get("rate_limit_per_minute") if isinstance(integration.config, dict) else None
    # A row stored before configs were checked may hold 0 or -1, which would refuse every request.
    usable = isinstance(limit, int) and not isinstance(limit, bool) and limit > 0
    wait = integration_rate_check(integration_id=integration.pk, limit_per_minute=limit if usable else None)
    if wait is not None:
        raise Rejected(429, f"Too many requests for this integration; retry in {wait} s.", headers={"Retry-After": str(wait)})


def read_json(request: HttpRequest) -> tuple[bytes, object]:
    """The raw body and its JSON value, or Rejected with 413/415/400."""
    if request.content_type not in JSON_TYPES and not request.content_type.endswith("+json"):
        raise Rejected(415, f"Content-Type must be application/json, not {request.content_type or 'missing'!r}.")
    limit = settings.INTAKE_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Rejected(400, "Content-Length is not a number.") from None
    if declared > limit:
        raise Rejected(413, f"Body is larger than {limit // 1024} KB.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise Rejected(413, f"Body is larger than {limit // 1024} KB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Rejected(400, f"Body is not valid UTF-8 (byte {e.start}).") from None
    try:
        return raw, json.loads(text)
    except RecursionError:
        raise Rejected(400, "Body is not valid JSON: nested too deeply.") from None
    except ValueError as e:
        raise Rejected(400, f"Body is not valid JSON: {str(e)[:200]}.") from None


def outcomes_body(outcomes: list[alert_ingest.AlertOutcome]) -> dict:
    return {
        "status": "accepted",
        "events": [
            {"dedup_key": o.event.dedup_key, "action": o.event.action, "result": o.result,
             "incident": o.incident.number if o.incident else None}
            for o in outcomes
        ],
    }


@csrf_exempt
@observe_intake("integrations")
@require_http_methods(["POST"])
def integration_webhook(request: HttpRequest, token: str) -> JsonResponse:
    try:
        integration = find_integration(token, kinds=("generic", "alertmanager", "grafana", "pagerduty"))
        check_rate(integration)
        raw, body = read_json(request)
        if integration.kind == Integration.Kind.GRAFANA:
            _verify_grafana(integration, raw, request.headers.get("X-Grafana-Alerting-Signature"))
        events = parse(integration.kind, body, integration)
    except Rejected as r:
        return answer(r.status, {"status": "rejected", "message": r.message, "errors": r.errors}, r.headers)
    except ParseError as e:
        return answer(400, {"status": "rejected", **e.to_dict()})
    outcomes = alert_ingest.alerts_ingest(integration=integration, events=events)
    return answer(202, outcomes_body(outcomes))


def _verify_grafana(integration: Integration, raw: bytes, header: str | None) -> None:
    secret = integration.config.get("secret") if isinstance(integration.config, dict) else None
    if secret and not grafana.verify_signature(raw, header, secret):
        raise Rejected(401, "X-Grafana-Alerting-Signature is missing or does not match the body.")


@csrf_exempt
@observe_intake("heartbeat")
@require_http_methods(["GET", "POST", "HEAD"])
def heartbeat(request: HttpRequest, token: str) -> JsonResponse:
    try:
        integration = find_integration(token, kinds=("heartbeat",))
        check_rate(integration)
    except Rejected as r:
        return answer(r.status, {"status": "rejected", "message": r.message}, r.headers)
    resolved = alert_ingest.heartbeat_beat(integration=integration)
    return answer(202, {"status": "accepted", "resolved_incident": resolved.number if resolved else None})


def _pd_error(status: int, message: str, errors: list[str], headers: dict | None = None) -> JsonResponse:
    label = "throttle event" if status == 429 else "invalid event"
    return answer(status, {"status": label, "message": message, "errors": errors}, headers)


def _pd_read(request: HttpRequest) -> tuple[object, str]:
    _, body = read_json(request)
    key = body.get("routing_key") if isinstance(body, dict) else None
    return body, key if isinstance(key, str) else ""


@csrf_exempt
@observe_intake("pagerduty")
@require_http_methods(["POST"])
def pagerduty_enqueue(request: HttpRequest) -> JsonResponse:
    """PagerDuty Events API v2: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/"""
    try:
        body, key = _pd_read(request)
        if not key.strip():
            pagerduty.parse_event(body)  # raises, naming every bad field
        integration = find_integration(key, kinds=("pagerduty",))
        check_rate(integration)
        routed = pagerduty.parse_event(body, integration.config)
    except Rejected as r:
        return _pd_error(r.status, r.message, r.errors or [r.message], r.headers)
    except ParseError as e:
        return _pd_error(400, e.message, e.errors)
    alert_ingest.alerts_ingest(integration=integration, events=[routed.event])
    return answer(202, {"status": "success", "message": "Event processed", "dedup_key": routed.event.dedup_key})


@csrf_exempt
@require_http_methods(["POST"])
def pagerduty_change(request: HttpRequest) -> JsonResponse:
    try:
        body, key = _pd_read(request)
        change = pagerduty.parse_change(body)
        integration = find_integration(key, kinds=("pagerduty",))
        check_rate(integration)
    except Rejected as r:
        return _pd_error(r.status, r.message, r.errors or [r.message], r.headers)
    except ParseError as e:
        return _pd_error(400, e.message, e.errors)
    alert_ingest.change_event_record(
        integration=integration, summary=change.summary, occurred_at=change.timestamp,
        source=change.source, details=change.custom_details, links=list(change.links),
    )
    return answer(202, {"status": "success", "message": "Change event processed"})
