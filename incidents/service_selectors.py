"""Reads of the service pages, each in a fixed number of queries however many rows there are.
Scoping comes from incidents.selectors.services_visible_to."""
from datetime import timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import ChangeEvent, Incident, Integration, MaintenanceWindow, Service
from .selectors import services_visible_to

# Windows that ended longer ago than this are history nobody needs on the page.
MAINTENANCE_SHOWN_AFTER_END = timedelta(days=7)
RECENT_ROWS = 20


def _count_of(model, **filters) -> Coalesce:
    per_service = (model.objects.filter(service=OuterRef("pk"), **filters).order_by()
                   .values("service").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(per_service, output_field=IntegerField()), Value(0))


def services_listed(*, user: User | AnonymousUser) -> QuerySet[Service]:
    now = timezone.now()
    return (services_visible_to(user).select_related("escalation_policy")
            .annotate(open_incidents=_count_of(Incident, status__in=Incident.OPEN_STATUSES),
                      integration_count=_count_of(Integration),
                      maintenance_now=_count_of(MaintenanceWindow, starts_at__lte=now, ends_at__gt=now))
            .order_by("team__name", "name", "id"))


def service_integrations(*, service: Service) -> QuerySet[Integration]:
    return service.integrations.order_by("name", "id")


def service_maintenance_windows(*, service: Service) -> QuerySet[MaintenanceWindow]:
    """Windows on now or to come, and those that ended in the last week, latest start first."""
    since = timezone.now() - MAINTENANCE_SHOWN_AFTER_END
    return (service.maintenance_windows.filter(ends_at__gt=since).select_related("created_by")
            .order_by("-starts_at", "-id")[:RECENT_ROWS])


def service_change_events(*, service: Service) -> QuerySet[ChangeEvent]:
    return ChangeEvent.objects.filter(service=service).order_by("-occurred_at", "-id")[:RECENT_ROWS]


def service_recent_incidents(*, service: Service, limit: int = 10) -> QuerySet[Incident]:
    return service.incidents.order_by("-triggered_at", "-id")[:limit]
