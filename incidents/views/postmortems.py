"""The postmortem pages: the team's list, one postmortem with its response review, editing its
sections (one or all) with a live preview, its review status and owner, and the Markdown download.
Anyone in the team reads; responders and managers write. Views parse and call services."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from oncall.access import teams_visible_to, user_can_respond

from ..markdown import render_markdown
from ..models import Postmortem, TimelineEvent
from ..models.postmortem import SECTIONS
from ..panel import responders_of
from ..postmortem_export import (
    export_filename,
    postmortem_action_items,
    postmortem_markdown,
    postmortems_listed,
    postmortems_visible_to,
)
from ..response_review import duration_text, evidence_text, response_review
from ..selectors import incidents_visible_to
from ..services import IncidentError
from ..services.postmortems import (
    EDITABLE,
    NEXT,
    SECTION_LIMIT,
    SECTION_NAMES,
    postmortem_create,
    postmortem_status_set,
    postmortem_update,
    review_overdue,
)

WEB = TimelineEvent.Via.WEB
Status = Postmortem.Status
PAGE_SIZE = 25
# The action items' own partial (another part of issue 12); the page shows it once it exists.
ACTION_ITEMS_TEMPLATE = "incidents/postmortems/_action_items.html"
MOVE_LABELS = {
    (Status.DRAFT, Status.IN_REVIEW): "Send for review",
    (Status.IN_REVIEW, Status.DRAFT): "Back to draft",
    (Status.IN_REVIEW, Status.REVIEWED): "Mark reviewed",
    (Status.REVIEWED, Status.IN_REVIEW): "Back to in review",
    (Status.REVIEWED, Status.CLOSED): "Close",
    (Status.CLOSED, Status.DRAFT): "Reopen as a draft",
}


@login_required
@require_safe
def postmortem_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    teams = list(teams_visible_to(request.user))
    team_raw = request.GET.get("team", "")
    team = next((t.pk for t in teams if str(t.pk) == team_raw), None)
    page = Paginator(postmortems_listed(user=request.user, status=status, team=team), PAGE_SIZE).get_page(
        request.GET.get("page"))
    today = timezone.localdate()
    rows = [{"postmortem": pm, "overdue": review_overdue(pm, today=today)} for pm in page.object_list]
    return render(request, "incidents/postmortems/list.html", {
        "page": page, "rows": rows, "status": status, "team": team, "teams": teams if len(teams) > 1 else [],
        "statuses": Status.choices,
    })


@login_required
@require_safe
def postmortem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = get_object_or_404(postmortems_visible_to(request.user), pk=pk)
    can_edit = user_can_respond(user=request.user, team_id=postmortem.team_id)
    review = response_review(incident=postmortem.incident)
    action_items = postmortem_action_items(postmortem=postmortem)
    return render(request, "incidents/postmortems/detail.html", {
        "postmortem": postmortem, "incident": postmortem.incident, "can_edit": can_edit,
        "editable": can_edit and postmortem.status in EDITABLE,
        "overdue": review_overdue(postmortem),
        "sections": [{"name": name, "heading": heading, "html": render_markdown(getattr(postmortem, name)),
                      "empty": not getattr(postmortem, name).strip()} for name, heading in SECTIONS],
        "review": {"measures": [(m.label, duration_text(m.after), m.at) for m in review.measures],
                   "reopened": review.reopened, "evidence": evidence_text(review),
                   "evidence_first": review.evidence_first},
        "moves": [(to, MOVE_LABELS[(postmortem.status, to)]) for to in NEXT[postmortem.status]] if can_edit else [],
        "owners": list(responders_of(postmortem.incident)) if can_edit else [],
        "action_items": action_items,
        "action_items_template": _action_items_template(),
    })


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def postmortem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _postmortem_to_edit(request, pk)
    section = request.GET.get("section", "")
    names = (section,) if section in SECTION_NAMES else SECTION_NAMES
    error, status = "", 200
    if request.method == "POST":
        sections = {name: request.POST[name].replace("\r\n", "\n") for name in SECTION_NAMES if name in request.POST}
        if not sections:
            error, status = "Nothing to save: the form sent no section.", 400
        else:
            try:
                postmortem_update(postmortem=postmortem, by=request.user, via=WEB, sections=sections)
            except IncidentError as e:
                error, status = e.message, 400
            else:
                messages.success(request, "Postmortem saved.")
                anchor = f"#section-{names[0]}" if len(names) == 1 else ""
                return redirect(reverse("incidents:postmortem", args=[postmortem.pk]) + anchor)
        for name, text in sections.items():
            setattr(postmortem, name, text)  # shown again as typed, so nothing is lost
    headings = dict(SECTIONS)
    return render(request, "incidents/postmortems/edit.html", {
        "postmortem": postmortem, "incident": postmortem.incident, "error": error, "section": section,
        "limit": SECTION_LIMIT, "frozen": postmortem.status not in EDITABLE,
        "fields": [{"name": name, "heading": headings[name], "text": getattr(postmortem, name),
                    "html": render_markdown(getattr(postmortem, name))} for name in names],
    }, status=status)


@login_required
@require_POST
def postmortem_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The section's text as the page will show it: the same renderer, sanitized server-side."""
    _postmortem_to_edit(request, pk)
    text = request.POST.get("text", "")
    if len(text) > SECTION_LIMIT:
        return HttpResponseBadRequest(f"A section is limited to {SECTION_LIMIT:,} characters.")
    return HttpResponse(render_markdown(text), content_type="text/html; charset=utf-8")


@login_required
@require_POST
def postmortem_status(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _postmortem_to_edit(request, pk)
    try:
        updated = postmortem_status_set(postmortem=postmortem, to=request.POST.get("to", ""), by=request.user, via=WEB)
    except IncidentError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"Postmortem {updated.get_status_display().lower()}.")
    return redirect("incidents:postmortem", pk=postmortem.pk)


@login_required
@require_POST
def postmortem_owner(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _postmortem_to_edit(request, pk)
    raw = request.POST.get("owner", "")
    owner = responders_of(postmortem.incident).filter(pk=int(raw)).first() if raw.isdigit() else None
    if owner is None:
        messages.error(request, f"Choose a responder or manager of team {postmortem.team} as the owner.")
        return redirect("incidents:postmortem", pk=postmortem.pk)
    try:
        postmortem_update(postmortem=postmortem, by=request.user, via=WEB, owner=owner)
    except IncidentError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, f"{owner} owns the postmortem now.")
    return redirect("incidents:postmortem", pk=postmortem.pk)


@login_required
@require_safe
def postmortem_download(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = get_object_or_404(postmortems_visible_to(request.user), pk=pk)
    text = postmortem_markdown(postmortem=postmortem, zone=timezone.get_current_timezone())
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename(postmortem)}"'
    return response


@login_required
@require_POST
def incident_postmortem_start(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Write a postmortem" button of a resolved incident (its existing one if it has one)."""
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    if not user_can_respond(user=request.user, team_id=incident.team_id):
        raise PermissionDenied("Viewers cannot start postmortems.")
    try:
        postmortem, created = postmortem_create(incident=incident, by=request.user, via=WEB)
    except IncidentError as e:
        messages.error(request, e.message)
        return redirect("incidents:detail", pk=incident.pk)
    if created:
        messages.success(request, "Postmortem started from the incident's record: edit the draft.")
    return redirect("incidents:postmortem", pk=postmortem.pk)


def _postmortem_to_edit(request: HttpRequest, pk: int) -> Postmortem:
    # Another team's postmortem is a 404, as for reading: its existence is not disclosed.
    postmortem = get_object_or_404(postmortems_visible_to(request.user), pk=pk)
    if not user_can_respond(user=request.user, team_id=postmortem.team_id):
        raise PermissionDenied("Viewers can read postmortems but not change them.")
    return postmortem


def _action_items_template() -> str | None:
    try:
        get_template(ACTION_ITEMS_TEMPLATE)
    except TemplateDoesNotExist:
        return None
    return ACTION_ITEMS_TEMPLATE
