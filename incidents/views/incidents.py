"""The incident pages. Views parse the request and call selectors and services; every change is a
POST that goes through a service with via="web", and a service's refusal becomes a message."""
from typing import Callable, NamedTuple

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from config.keyset import keyset_page
from oncall.access import user_can_respond

from ..display import web_link
from ..forms import NoteForm, TransitionForm
from ..incident_page import incident_page_context, user_shadows_incident
from ..models import Incident, Postmortem, TimelineEvent
from ..panel import panel_context
from ..selectors import (
    INCIDENT_LIST_FILTERS,
    incident_recent_alerts,
    incident_status_counts,
    incident_timeline,
    incidents_listed,
    incidents_visible_to,
    reassign_targets_for,
    service_recent_changes,
    user_is_first_timer,
)
from ..services import (
    AlreadyHandled,
    IncidentError,
    incident_acknowledge,
    incident_escalate_now,
    incident_mitigate,
    incident_note_add,
    incident_reassign,
    incident_reopen,
    incident_resolve,
    incident_unacknowledge,
)
from .status_updates import status_updates_page_context

PAGE_SIZE = 25
WEB = TimelineEvent.Via.WEB
Status = Incident.Status


class Action(NamedTuple):
    label: str
    allowed_from: tuple[str, ...]
    done: str
    # The optional words that go with the change (empty: the button takes none).
    note_label: str
    run: Callable[[Incident, User, str], Incident]


ACTIONS = {
    "acknowledge": Action(
        "Acknowledge", (Status.TRIGGERED,), "acknowledged", "",
        lambda incident, by, note: incident_acknowledge(incident=incident, by=by, via=WEB),
    ),
    "mitigate": Action(
        "Mitigate", (Status.TRIGGERED, Status.ACKNOWLEDGED), "mitigated", "What stopped the impact",
        lambda incident, by, note: incident_mitigate(incident=incident, by=by, via=WEB, note=note),
    ),
    "resolve": Action(
        "Resolve", tuple(Incident.OPEN_STATUSES), "resolved", "Resolution summary",
        lambda incident, by, note: incident_resolve(incident=incident, by=by, via=WEB, note=note),
    ),
    "reopen": Action(
        "Reopen", (Status.RESOLVED,), "reopened", "Why it is back",
        lambda incident, by, note: incident_reopen(incident=incident, by=by, via=WEB, reason=note),
    ),
    "escalate": Action(
        "Escalate now", (Status.TRIGGERED, Status.ACKNOWLEDGED), "escalated to the next step", "",
        lambda incident, by, note: incident_escalate_now(incident=incident, by=by, via=WEB),
    ),
    "unacknowledge": Action(
        "Un-acknowledge", (Status.ACKNOWLEDGED,), "un-acknowledged: paging resumes", "Why",
        lambda incident, by, note: incident_unacknowledge(incident=incident, by=by, via=WEB, reason=note),
    ),
}
REASSIGNABLE = (Status.TRIGGERED, Status.ACKNOWLEDGED)


@login_required
@require_safe
def incident_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in INCIDENT_LIST_FILTERS:
        status = "open"
    page = keyset_page(incidents_listed(user=request.user, status=status), field="triggered_at", size=PAGE_SIZE,
                       older=request.GET.get("older"), newer=request.GET.get("newer"))
    counts = incident_status_counts(user=request.user)
    tabs = [(name, counts.get(name)) for name in INCIDENT_LIST_FILTERS]
    return render(request, "incidents/list.html", {
        "page": page, "status": status, "tabs": tabs, "poll_query": request.GET.urlencode() or f"status={status}"})


@login_required
@require_safe
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    return _render_detail(request, incident, note_form=NoteForm())


@login_required
@require_POST
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("incidents:detail", pk=incident.pk)
    try:
        ACTIONS[action].run(incident, request.user, form.cleaned_data["note"])
    except AlreadyHandled as e:
        # Someone else got there first: nothing to fix, only news.
        messages.warning(request, e.message)
    except IncidentError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"Incident #{incident.number} {ACTIONS[action].done}.")
    return redirect("incidents:detail", pk=incident.pk)


@login_required
@require_POST
def incident_reassign_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The form's one field names the target as "user:<id>" or "policy:<id>"."""
    incident = _incident_to_respond_to(request, pk)
    kind, _, target_id = request.POST.get("target", "").partition(":")
    people, policies = reassign_targets_for(request.user)
    choices = {"user": people, "policy": policies}.get(kind)
    target = choices.filter(pk=int(target_id)).first() if choices is not None and target_id.isdigit() else None
    if target is None:
        messages.error(request, "Choose a person or an escalation policy of your teams to reassign to.")
        return redirect("incidents:detail", pk=incident.pk)
    try:
        incident_reassign(incident=incident, by=request.user, via=WEB,
                          **({"to_user": target} if kind == "user" else {"to_policy": target}))
    except AlreadyHandled as e:
        messages.warning(request, e.message)
    except IncidentError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"Incident #{incident.number} reassigned to {target}.")
    return redirect("incidents:detail", pk=incident.pk)


@login_required
@require_POST
def incident_note(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_to_note_on(request, pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            incident_note_add(incident=incident, by=request.user, via=WEB, text=form.cleaned_data["text"])
        except IncidentError as e:
            form.add_error("text", e.message)
        else:
            messages.success(request, "Note added.")
            return redirect("incidents:detail", pk=incident.pk)
    # Shown again with the text kept, so nothing typed is lost.
    return _render_detail(request, incident, note_form=form, status=400)


def _incident_to_respond_to(request: HttpRequest, pk: int) -> Incident:
    # Another team's incident is a 404, as for GET: its existence is not disclosed.
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    if not user_can_respond(user=request.user, team_id=incident.team_id):
        raise PermissionDenied("Viewers cannot change incidents.")
    return incident


def _incident_to_note_on(request: HttpRequest, pk: int) -> Incident:
    """A responder's, or a shadow's: someone shadowing the person on call adds notes and evidence."""
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    if not (user_can_respond(user=request.user, team_id=incident.team_id)
            or user_shadows_incident(user=request.user, incident=incident)):
        raise PermissionDenied("Viewers cannot change incidents.")
    return incident


def _render_detail(request: HttpRequest, incident: Incident, *, note_form: NoteForm, status: int = 200) -> HttpResponse:
    can_respond = user_can_respond(user=request.user, team_id=incident.team_id)
    actions = [
        (name, action) for name, action in ACTIONS.items() if can_respond and incident.status in action.allowed_from
    ]
    people, policies = reassign_targets_for(request.user) if can_respond else ([], [])
    can_note = can_respond or user_shadows_incident(user=request.user, incident=incident)
    context = {
        "incident": incident,
        "reassign_to": {"people": people, "policies": policies} if incident.status in REASSIGNABLE else None,
        "timeline": incident_timeline(incident=incident),
        "alerts": incident_recent_alerts(incident=incident),
        "can_respond": can_respond,
        "can_note": can_note,
        "actions": actions,
        "note_form": note_form,
        "postmortem": Postmortem.objects.filter(incident=incident).only("id", "status").first(),
        "runbook_url": web_link(incident.service.runbook_url),
        **incident_page_context(incident=incident),
        "changes": service_recent_changes(service=incident.service, before=incident.triggered_at),
        **panel_context(incident=incident, can_respond=can_respond, retry=getattr(request, "panel_retry", None),
                        # A shadow is often new too: they see the same help.
                        first_timer=can_note and user_is_first_timer(user=request.user, incident=incident)),
        **status_updates_page_context(request, incident, can_respond=can_respond),
    }
    return render(request, "incidents/detail.html", context, status=status)


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]
