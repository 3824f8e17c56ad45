"""Changing an incident's severity from its page: a responder's POST, through the service."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..forms import NoteForm
from ..models import Severity, TimelineEvent
from ..services import IncidentError, incident_severity_set
from .incidents import _incident_to_respond_to, _render_detail


@login_required
@require_POST
def incident_severity_view(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_to_respond_to(request, pk)
    severity = request.POST.get("severity", "")
    if severity not in Severity.values:
        messages.error(request, f"Choose a severity: one of {', '.join(Severity.values)}.")
        return _render_detail(request, incident, note_form=NoteForm(), status=400)
    try:
        incident_severity_set(incident=incident, severity=severity, by=request.user, via=TimelineEvent.Via.WEB)
    except IncidentError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"Incident #{incident.number} is now {severity}.")
    return redirect("incidents:detail", pk=incident.pk)
