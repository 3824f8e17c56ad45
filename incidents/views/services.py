"""The service pages: the list of a person's services and one service with its integrations,
maintenance windows, changes and incidents. Viewers read; responders start and end maintenance
and send test alerts; managers change the service and its integrations (as the API allows).

An integration's secret URL exists only in the response to the POST that made it (see
oncall.secrets_once): never in a message, a cookie or a later page."""
from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from oncall.access import teams_visible_to, user_can_manage, user_can_respond
from oncall.models import Membership, Team

from ..integration_check import integration_test_send
from ..models import Integration, Service
from ..selectors import integration_urls, services_visible_to
from ..service_forms import IntegrationForm, MaintenanceNowForm, MaintenanceScheduleForm, ServiceForm
from ..service_selectors import (
    policies_paged_first, service_change_events, service_integrations, service_maintenance_windows,
    service_recent_incidents, services_listed,
)
from ..services import (
    IncidentError, integration_create, integration_delete, integration_rotate_token, integration_update,
    maintenance_window_create, maintenance_window_delete, service_create, service_update,
)


@dataclass(frozen=True)
class IntegrationSecret:
    """Where a monitor sends, shown once. PagerDuty's clients take a routing key besides the URL, and
    an email integration has an address when VIGIL_EMAIL_DOMAIN is set."""

    label: str
    url: str
    routing_key: str | None = None
    address: str | None = None


def _managed_teams(user) -> QuerySet[Team]:
    teams = teams_visible_to(user).order_by("name")
    if user.is_superuser:
        return teams
    return teams.filter(pk__in=Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("team_id"))


# --- the list -------------------------------------------------------------------------------------

@login_required
@require_safe
def service_list(request: HttpRequest) -> HttpResponse:
    return _render_list(request, ServiceForm(teams=_managed_teams(request.user)))


@login_required
@require_POST
def service_new(request: HttpRequest) -> HttpResponse:
    teams = _managed_teams(request.user)
    if not teams.exists():
        raise PermissionDenied("Only a team's managers create services.")
    form = ServiceForm(request.POST, teams=teams)
    if form.is_valid():
        service = service_create(**form.cleaned_data)
        messages.success(request, f"Service {service.name} created; add an integration to send it alerts.")
        return redirect("incidents:service", pk=service.pk)
    return _render_list(request, form, status=400)


def _render_list(request: HttpRequest, form: ServiceForm, *, status: int = 200) -> HttpResponse:
    teams = list(form.fields["team"].queryset) if "team" in form.fields else []
    services = list(services_listed(user=request.user))
    _with_paged_first(services)
    context = {"services": services, "form": form, "can_create": bool(teams)}
    return render(request, "incidents/services/list.html", context, status=status)


def _with_paged_first(services: list[Service]) -> None:
    """Sets .paged_first on each: who its policy's first step pages now (None: no policy)."""
    paged = policies_paged_first(policy_ids=[s.escalation_policy_id for s in services if s.escalation_policy_id],
                                 at=timezone.now())
    for service in services:
        service.paged_first = paged.get(service.escalation_policy_id, []) if service.escalation_policy_id else None


# --- one service ----------------------------------------------------------------------------------

@login_required
@require_safe
def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_service(request, _service(request, pk))


def _service(request: HttpRequest, pk: int, *, may: str = "read") -> Service:
    # Another team's service is a 404, whatever the method: its existence is not disclosed.
    service = get_object_or_404(services_visible_to(request.user).select_related("escalation_policy"), pk=pk)
    if may == "manage" and not user_can_manage(user=request.user, team_id=service.team_id):
        raise PermissionDenied("Only the team's managers change its services and integrations.")
    if may == "respond" and not user_can_respond(user=request.user, team_id=service.team_id):
        raise PermissionDenied("Viewers cannot change services.")
    return service


def _render_service(request: HttpRequest, service: Service, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    can_manage = user_can_manage(user=user, team_id=service.team_id)
    now = timezone.now()
    _with_paged_first([service])
    context = {
        "service": service, "can_manage": can_manage,
        "can_respond": can_manage or user_can_respond(user=user, team_id=service.team_id),
        "integrations": service_integrations(service=service),
        "windows": service_maintenance_windows(service=service), "now": now,
        "changes": service_change_events(service=service),
        "incidents": service_recent_incidents(service=service),
        "edit_form": forms.get("edit_form") or ServiceForm(instance=Service.objects.get(pk=service.pk)),
        "integration_form": forms.get("integration_form") or IntegrationForm(initial={"kind": "alertmanager"}),
        "now_form": forms.get("now_form") or MaintenanceNowForm(),
        "schedule_form": forms.get("schedule_form") or MaintenanceScheduleForm(initial={
            "starts_at": timezone.localtime(now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0),
            "ends_at": timezone.localtime(now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)}),
        "new_secret": forms.get("new_secret"),
    }
    return render(request, "incidents/services/detail.html", context, status=status)


@login_required
@require_POST
def service_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk, may="manage")
    # The form writes what it validated onto its own copy: a refused edit leaves the page's header as it was.
    form = ServiceForm(request.POST, instance=Service.objects.get(pk=service.pk))
    if form.is_valid():
        service_update(service=service, **form.cleaned_data)
        messages.success(request, f"Service {service.name} saved.")
        return redirect("incidents:service", pk=service.pk)
    return _render_service(request, service, edit_form=form, status=400)


# --- integrations ---------------------------------------------------------------------------------

def _secret_shown(integration: Integration, token: str, label: str) -> IntegrationSecret:
    urls = integration_urls(integration=integration, token=token)
    return IntegrationSecret(label=label, url=urls["url"], routing_key=urls.get("routing_key"),
                             address=urls.get("address"))


@login_required
@require_POST
@never_cache
def integration_add(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk, may="manage")
    form = IntegrationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            integration, token = integration_create(service=service, kind=data["kind"], name=data["name"],
                                                    config=data["config"])
        except IncidentError as e:  # config_problems again, in the service: the form has said it already
            form.add_error(None, e.message)
        else:
            label = f"{integration.name}: where {integration.get_kind_display()} sends"
            return _render_service(request, service, new_secret=_secret_shown(integration, token, label))
    return _render_service(request, service, integration_form=form, status=400)


def _integration(request: HttpRequest, pk: int, integration_pk: int, *, may: str = "manage") -> Integration:
    service = _service(request, pk, may=may)
    return get_object_or_404(Integration.objects.select_related("service"), service=service, pk=integration_pk)


@login_required
@require_POST
@never_cache
def integration_rotate(request: HttpRequest, pk: int, integration_pk: int) -> HttpResponse:
    integration = _integration(request, pk, integration_pk)
    token = integration_rotate_token(integration=integration)
    secret = _secret_shown(integration, token, f"{integration.name}: its new URL (the old one no longer works)")
    return _render_service(request, integration.service, new_secret=secret)


@login_required
@require_POST
def integration_enable(request: HttpRequest, pk: int, integration_pk: int, enabled: bool) -> HttpResponse:
    integration = integration_update(integration=_integration(request, pk, integration_pk), enabled=enabled)
    messages.success(request, f"{integration.name} {'enabled' if enabled else 'disabled: its sends are refused'}.")
    return redirect("incidents:service", pk=pk)


@login_required
@require_POST
def integration_remove(request: HttpRequest, pk: int, integration_pk: int) -> HttpResponse:
    integration = _integration(request, pk, integration_pk)
    integration_delete(integration=integration)
    messages.success(request, f"{integration.name} deleted; its URL no longer works.")
    return redirect("incidents:service", pk=pk)


@login_required
@require_POST
def integration_test(request: HttpRequest, pk: int, integration_pk: int) -> HttpResponse:
    integration = _integration(request, pk, integration_pk, may="respond")
    try:
        result = integration_test_send(integration=integration, by=request.user)
    except IncidentError as e:
        messages.error(request, e.message)
        return redirect("incidents:service", pk=pk)
    messages.success(request, result.message)
    if result.incident is not None and result.incident.is_open:
        return redirect("incidents:detail", pk=result.incident.pk)
    return redirect("incidents:service", pk=pk)


# --- maintenance ----------------------------------------------------------------------------------

@login_required
@require_POST
def maintenance_now(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk, may="respond")
    form = MaintenanceNowForm(request.POST)
    if not form.is_valid():
        return _render_service(request, service, now_form=form, status=400)
    now = timezone.now()
    minutes = form.cleaned_data["minutes"]
    maintenance_window_create(service=service, starts_at=now, ends_at=now + timedelta(minutes=minutes),
                              reason=form.cleaned_data["reason"], created_by=request.user)
    messages.success(request, f"{service.name} is in maintenance for {minutes} min: its alerts open no incident.")
    return redirect("incidents:service", pk=pk)


@login_required
@require_POST
def maintenance_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    service = _service(request, pk, may="respond")
    form = MaintenanceScheduleForm(request.POST)
    if not form.is_valid():
        return _render_service(request, service, schedule_form=form, status=400)
    try:
        maintenance_window_create(service=service, created_by=request.user, **form.cleaned_data)
    except IntegrityError:  # the database's own check, should the form's be bypassed by a race of clocks
        form.add_error("ends_at", "The window must end after it starts.")
        return _render_service(request, service, schedule_form=form, status=400)
    messages.success(request, "Maintenance window scheduled.")
    return redirect("incidents:service", pk=pk)


@login_required
@require_POST
def maintenance_end(request: HttpRequest, pk: int, window_pk: int) -> HttpResponse:
    service = _service(request, pk, may="respond")
    window = get_object_or_404(service.maintenance_windows, pk=window_pk)
    under_way = window.starts_at <= timezone.now()
    maintenance_window_delete(window=window)
    messages.success(request, "Maintenance ended: alerts open incidents again." if under_way
                     else "Maintenance window cancelled.")
    return redirect("incidents:service", pk=pk)


urlpatterns = [
    path("services/", service_list, name="services"),
    path("services/new/", service_new, name="service-new"),
    path("services/<int:pk>/", service_detail, name="service"),
    path("services/<int:pk>/edit/", service_edit, name="service-edit"),
    path("services/<int:pk>/integrations/", integration_add, name="integration-add"),
    path("services/<int:pk>/integrations/<int:integration_pk>/rotate/", integration_rotate, name="integration-rotate"),
    path("services/<int:pk>/integrations/<int:integration_pk>/enable/", integration_enable, {"enabled": True},
         name="integration-enable"),
    path("services/<int:pk>/integrations/<int:integration_pk>/disable/", integration_enable, {"enabled": False},
         name="integration-disable"),
    path("services/<int:pk>/integrations/<int:integration_pk>/delete/", integration_remove, name="integration-delete"),
    path("services/<int:pk>/integrations/<int:integration_pk>/test/", integration_test, name="integration-test"),
    path("services/<int:pk>/maintenance/now/", maintenance_now, name="maintenance-now"),
    path("services/<int:pk>/maintenance/schedule/", maintenance_schedule, name="maintenance-schedule"),
    path("services/<int:pk>/maintenance/<int:window_pk>/end/", maintenance_end, name="maintenance-end"),
]
