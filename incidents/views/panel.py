"""The small forms of the incident page's guided panel. Each is a POST that parses its fields,
calls one service with via="web", and goes back to the panel (#panel) with a message. A form
refused for what was typed in it comes back as a 400 with the reason beside it and the text kept."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from oncall.access import user_can_respond

from ..forms import NoteForm
from ..models import Incident, IncidentFinding, IncidentTask, TimelineEvent
from ..panel import responders_of
from ..selectors import incidents_visible_to
from ..services import AlreadyHandled, IncidentError, incident_mitigate, incident_resolve
from ..workflow import (
    incident_action_choose,
    incident_finding_add,
    incident_finding_remove,
    incident_role_assign,
    incident_task_add,
    incident_task_remove,
    incident_task_toggle,
)
from .incidents import _incident_to_note_on, _render_detail

WEB = TimelineEvent.Via.WEB


def _back(incident: Incident) -> HttpResponse:
    response = redirect("incidents:detail", pk=incident.pk)
    response["Location"] += "#panel"
    return response


def _incident_to_respond_to(request: HttpRequest, pk: int) -> Incident:
    # Another team's incident is a 404, as for GET: its existence is not disclosed.
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    if not user_can_respond(user=request.user, team_id=incident.team_id):
        raise PermissionDenied("Viewers cannot change incidents.")
    return incident


def _person(incident: Incident, raw: str | None) -> User | None:
    if not raw:
        return None
    person = responders_of(incident).filter(pk=int(raw)).first() if raw.isdigit() else None
    if person is None:
        raise IncidentError(f"Choose a responder of team {incident.team}.")
    return person


STEP_OF_KIND = {"symptom": "learn", "scope": "learn", "evidence": "learn", "hypothesis": "learn"}


def _run(request: HttpRequest, incident: Incident, done: str, change, retry: dict | None = None) -> HttpResponse:
    """`retry` names the form (and what was typed in it) to show again if the service refuses it."""
    try:
        change()
    except AlreadyHandled as e:
        messages.warning(request, e.message)
    except IncidentError as e:
        if retry is None:
            messages.error(request, e.message)
        else:
            # Read by panel_context through the detail page's render (incidents/views/incidents.py).
            request.panel_retry = {**retry, "error": e.message}
            return _render_detail(request, incident, note_form=NoteForm(), status=400)
    else:
        messages.success(request, done)
    return _back(incident)


@login_required
@require_POST
def panel_role(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    role = request.POST.get("role", "")
    return _run(request, incident, "Role updated.", lambda: incident_role_assign(
        incident=incident, role=role, user=_person(incident, request.POST.get("user")), by=request.user, via=WEB),
        retry={"form": "role", "step": "communicate", "role": role})


@login_required
@require_POST
def panel_finding_add(request: HttpRequest, pk: int) -> HttpResponse:
    post = request.POST
    kind = post.get("kind", "")
    # A shadow gathers evidence too; the rest of the panel is the responders'.
    incident = _incident_to_note_on(request, pk) if kind == IncidentFinding.Kind.EVIDENCE else (
        _incident_to_respond_to(request, pk))
    label = IncidentFinding.Kind(kind).label if kind in IncidentFinding.Kind.values else "Finding"
    return _run(request, incident, f"{label} recorded.", lambda: incident_finding_add(
        incident=incident, kind=kind, text=post.get("text", ""), url=post.get("url", ""),
        owner=_person(incident, post.get("owner")), by=request.user, via=WEB),
        retry={"form": "finding", "step": STEP_OF_KIND.get(kind, "act"), "kind": kind, "text": post.get("text", ""),
               "url": post.get("url", "")})


@login_required
@require_POST
def panel_finding_remove(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    finding = get_object_or_404(IncidentFinding, pk=finding_id, incident=incident)
    return _run(request, incident, f"{finding.get_kind_display()} removed.",
                lambda: incident_finding_remove(finding=finding, by=request.user, via=WEB))


@login_required
@require_POST
def panel_action_choose(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    finding = get_object_or_404(IncidentFinding, pk=finding_id, incident=incident)
    chosen = request.POST.get("chosen") != "0"
    return _run(request, incident, "Chosen action updated.",
                lambda: incident_action_choose(finding=finding, chosen=chosen, by=request.user, via=WEB))


@login_required
@require_POST
def panel_task_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    return _run(request, incident, "Task added.", lambda: incident_task_add(
        incident=incident, title=request.POST.get("title", ""), owner=_person(incident, request.POST.get("owner")),
        by=request.user, via=WEB), retry={"form": "task", "step": "act", "title": request.POST.get("title", "")})


@login_required
@require_POST
def panel_task_toggle(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    task = get_object_or_404(IncidentTask, pk=task_id, incident=incident)
    done = request.POST.get("done") != "0"
    return _run(request, incident, "Task done." if done else "Task open again.",
                lambda: incident_task_toggle(task=task, done=done, by=request.user, via=WEB))


@login_required
@require_POST
def panel_task_remove(request: HttpRequest, pk: int, task_id: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    task = get_object_or_404(IncidentTask, pk=task_id, incident=incident)
    return _run(request, incident, "Task removed.", lambda: incident_task_remove(task=task, by=request.user, via=WEB))


@login_required
@require_POST
def panel_mitigate(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    note = request.POST.get("note", "").strip()[:2000]
    return _run(request, incident, f"Incident #{incident.number} mitigated.",
                lambda: incident_mitigate(incident=incident, by=request.user, via=WEB, note=note),
                retry={"form": "mitigate", "step": "act", "note": note})


@login_required
@require_POST
def panel_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Unlike the header's Resolve button, the panel's asks for the summary the postmortem starts from."""
    incident = _incident_to_respond_to(request, pk)
    summary = request.POST.get("summary", "").strip()

    def resolve():
        if not summary:
            raise IncidentError("Write a resolution summary: what was wrong and what fixed it.")
        if len(summary) > 2000:
            raise IncidentError("A resolution summary is limited to 2,000 characters.")
        incident_resolve(incident=incident, by=request.user, via=WEB, note=f"Resolution summary: {summary}")
    return _run(request, incident, f"Incident #{incident.number} resolved.", resolve,
                retry={"form": "resolve", "step": "act", "summary": summary})


URL_PATTERNS = [
    ("panel/roles/", panel_role, "panel-role"),
    ("panel/findings/", panel_finding_add, "panel-finding-add"),
    ("panel/findings/<int:finding_id>/remove/", panel_finding_remove, "panel-finding-remove"),
    ("panel/findings/<int:finding_id>/choose/", panel_action_choose, "panel-action-choose"),
    ("panel/tasks/", panel_task_add, "panel-task-add"),
    ("panel/tasks/<int:task_id>/toggle/", panel_task_toggle, "panel-task-toggle"),
    ("panel/tasks/<int:task_id>/remove/", panel_task_remove, "panel-task-remove"),
    ("panel/mitigate/", panel_mitigate, "panel-mitigate"),
    ("panel/resolve/", panel_resolve, "panel-resolve"),
]
