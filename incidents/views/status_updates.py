"""The incident page's status updates: post one (responders), follow or stop following the
incident (anyone who can see it, viewers included)."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ..models import Incident, TimelineEvent
from ..selectors import incidents_visible_to
from ..services import IncidentError
from ..status_updates import (
    FIELD_LIMIT,
    incident_subscribe,
    incident_unsubscribe,
    status_update_post,
    status_updates_context,
)


class StatusUpdateForm(forms.Form):
    conditions = forms.CharField(
        max_length=FIELD_LIMIT, label="Conditions", help_text="What is happening and who is affected",
        widget=forms.Textarea(attrs={"rows": 2}))
    actions = forms.CharField(
        max_length=FIELD_LIMIT, label="Actions", help_text="What is being done about it",
        widget=forms.Textarea(attrs={"rows": 2}))
    needs = forms.CharField(
        max_length=FIELD_LIMIT, required=False, label="Needs", help_text="Help or decisions wanted (optional)",
        widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, incident_id: int, **kwargs):
        super().__init__(*args, auto_id=f"id_su{incident_id}_%s", **kwargs)


def status_updates_page_context(request: HttpRequest, incident: Incident, *, can_respond: bool) -> dict:
    """The incident page's context for incidents/_status_updates.html; one call from the view.
    A form refused by status_update_create comes back with what was typed (request attribute)."""
    form = getattr(request, "status_update_form", None) or StatusUpdateForm(incident_id=incident.pk)
    return {**status_updates_context(incident=incident, user=request.user, can_respond=can_respond),
            "status_update_form": form}


@login_required
@require_POST
def status_update_create(request: HttpRequest, pk: int) -> HttpResponse:
    # Imported here: views imports this module for the page's context.
    from .incidents import NoteForm, _incident_to_respond_to, _render_detail

    incident = _incident_to_respond_to(request, pk)
    form = StatusUpdateForm(request.POST, incident_id=incident.pk)
    if form.is_valid():
        try:
            status_update_post(incident=incident, by=request.user, via=TimelineEvent.Via.WEB, **form.cleaned_data)
        except IncidentError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, "Status update posted.")
            return redirect("incidents:detail", pk=incident.pk)
    request.status_update_form = form
    return _render_detail(request, incident, note_form=NoteForm(), status=400)


@login_required
@require_POST
def incident_follow(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    if request.POST.get("follow") == "no":
        incident_unsubscribe(incident=incident, user=request.user)
        messages.success(request, f"You no longer follow incident #{incident.number}.")
    else:
        incident_subscribe(incident=incident, user=request.user)
        messages.success(request, f"You follow incident #{incident.number}: its updates and resolution come to "
                                  f"{request.user.email or 'your account (add an email address to get them)'}.")
    return redirect("incidents:detail", pk=incident.pk)

