"""Turning a timeline line into the events owed to subscribers, in the same transaction.

The body is versioned (`"version": 1`): fields may be added within a version, never removed or
changed in meaning. README "Outgoing webhooks" documents it."""
from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from config.celery import send_after_commit

from .models import EVENTS, WebhookDelivery, WebhookEndpoint

PAYLOAD_VERSION = 1


def webhook_events_emit(*, timeline_event) -> list[WebhookDelivery]:
    """A delivery row per interested endpoint, sent after commit. Cheap when nobody subscribes:
    one indexed query per state change."""
    event = EVENTS.get(timeline_event.kind)
    if event is None:
        return []
    as_passed = timeline_event.incident  # its team and service never change; its status may be stale
    endpoints = [e for e in WebhookEndpoint.objects.filter(team_id=as_passed.team_id, enabled=True).filter(
        Q(service__isnull=True) | Q(service_id=as_passed.service_id)) if e.wants(event)]
    if not endpoints:
        return []
    from incidents.models import Incident  # the models module imports this package's models

    incident = Incident.objects.select_related("service", "team").get(pk=timeline_event.incident_id)
    payload = _payload(event=event, timeline_event=timeline_event, incident=incident)
    made = WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint=e, incident=incident, event=event, event_id=payload["id"], payload=payload,
                        due_at=timeline_event.at)
        for e in endpoints])
    for delivery in made:
        send_after_commit("incidents.webhook_deliver", args=[delivery.pk])
    return made


def _iso(value):
    return value.isoformat() if value else None


def _payload(*, event: str, timeline_event, incident) -> dict:
    actor = timeline_event.actor
    return {
        "version": PAYLOAD_VERSION,
        "id": f"evt_{timeline_event.pk}",
        "event": event,
        "occurred_at": _iso(timeline_event.at),
        "actor": {"username": actor.get_username()} if actor else None,
        "via": timeline_event.via,
        "text": timeline_event.text,
        "incident": {
            "id": incident.pk,
            "number": incident.number,
            "title": incident.title,
            "status": incident.status,
            "severity": incident.severity,
            "urgency": incident.urgency,
            "dedup_key": incident.dedup_key,
            "service": {"id": incident.service_id, "name": incident.service.name},
            "team": {"id": incident.team_id, "name": incident.team.name},
            "triggered_at": _iso(incident.triggered_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "mitigated_at": _iso(incident.mitigated_at),
            "resolved_at": _iso(incident.resolved_at),
            "url": settings.PUBLIC_URL + reverse("incidents:detail", args=[incident.pk]),
        },
    }
