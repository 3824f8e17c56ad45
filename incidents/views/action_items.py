"""The postmortem page's action items (add, change, set the status, make an incident task one)
and the overdue page. Every change is a POST through a service; a refusal is a 400 page that
names the problem and keeps what was typed; success returns to the page the form was on."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from oncall.access import require_role, team_scoped, teams_visible_to
from oncall.models import Membership
from oncall.page_sections import Section

from ..postmortem_links import postmortem_path
from ..action_item_forms import ActionItemForm, StatusForm, form_for, owner_choices
from ..models import ActionItem, IncidentTask, Postmortem
from ..services import IncidentError
from ..services.action_items import (
    action_item_add,
    action_item_status_set,
    action_item_update,
    action_items_overdue,
    open_action_items,
    postmortem_reviews_overdue,
)

FORM_FIELDS = ("title", "due_on", "priority", "ticket_url")
PROFILE_LIMIT = 100


def _back(request: HttpRequest, postmortem: Postmortem) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = postmortem_path(postmortem)
    return redirect(f"{target}#action-items" if "#" not in target else target)


def _postmortem_to_change(request: HttpRequest, pk: int) -> Postmortem:
    postmortem = get_object_or_404(team_scoped(Postmortem.objects.select_related("team", "incident"), request.user),
                                   pk=pk)
    require_role(user=request.user, team=postmortem.team, role=Membership.Role.RESPONDER, to="change action items")
    return postmortem


def _item_to_change(request: HttpRequest, pk: int) -> ActionItem:
    item = get_object_or_404(
        team_scoped(ActionItem.objects.select_related("postmortem__team", "postmortem__incident", "owner"),
                    request.user), pk=pk)
    require_role(user=request.user, team=item.postmortem.team, role=Membership.Role.RESPONDER,
                 to="change action items")
    return item


def _refused(request: HttpRequest, postmortem: Postmortem, form, *, item: ActionItem | None = None) -> HttpResponse:
    return render(request, "incidents/postmortems/action_item_form.html", {
        "postmortem": postmortem, "form": form, "item": item, "back": postmortem_path(postmortem),
        "next": request.POST.get("next", ""),
    }, status=400)


@login_required
@require_POST
def action_item_create(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = _postmortem_to_change(request, pk)
    form = ActionItemForm(request.POST, owners=owner_choices(postmortem), prefix="new")
    if form.is_valid():
        try:
            item = action_item_add(postmortem=postmortem, by=request.user, owner=form.owner_user(),
                                   **{k: form.cleaned_data[k] for k in FORM_FIELDS})
        except IncidentError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, f"Action item added: {item.title}")
            return _back(request, postmortem)
    return _refused(request, postmortem, form)


@login_required
def action_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the item's form on a page of its own (the postmortem page folds it away); POST: save."""
    item = _item_to_change(request, pk)
    postmortem = item.postmortem
    owners = owner_choices(postmortem)
    if request.method != "POST":
        return render(request, "incidents/postmortems/action_item_form.html", {
            "postmortem": postmortem, "form": form_for(item, owners=owners), "item": item,
            "back": postmortem_path(postmortem), "next": ""})
    form = form_for(item, owners=owners, data=request.POST)
    if form.is_valid():
        changes = {k: form.cleaned_data[k] for k in FORM_FIELDS} | {"owner": form.owner_user()}
        try:
            item = action_item_update(item=item, by=request.user, changes=changes)
        except IncidentError as e:
            form.add_error(None, e.message)
        else:
            messages.success(request, f"Action item saved: {item.title}")
            return _back(request, postmortem)
    return _refused(request, postmortem, form, item=item)


@login_required
@require_POST
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_to_change(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        statuses = ", ".join(ActionItem.Status.values)
        return HttpResponse(f"Unknown status; use one of {statuses}.", status=400, content_type="text/plain")
    item = action_item_status_set(item=item, by=request.user, status=form.cleaned_data["status"])
    messages.success(request, f"{item.title}: {item.get_status_display().lower()}")
    return _back(request, item.postmortem)


@login_required
@require_POST
def incident_task_to_action_item(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """Make one of the incident's open follow-up tasks an action item, with its title and owner."""
    postmortem = _postmortem_to_change(request, pk)
    task = get_object_or_404(IncidentTask.objects.select_related("owner"), pk=task_pk, incident_id=postmortem.incident_id)
    try:
        item = action_item_add(postmortem=postmortem, by=request.user, title=task.title, incident_task=task,
                               owner=task.owner if task.owner and task.owner.is_active else None)
    except IncidentError as e:
        return HttpResponse(e.message, status=400, content_type="text/plain")
    messages.success(request, f"Action item added from the task: {item.title}")
    return _back(request, postmortem)


@login_required
@require_safe
def overdue(request: HttpRequest) -> HttpResponse:
    """Overdue action items and postmortem reviews of the person's teams."""
    teams = teams_visible_to(request.user)
    today = timezone.localdate()
    return render(request, "incidents/postmortems/overdue.html", {
        "items": action_items_overdue(teams=teams, today=today)[:200],
        "reviews": postmortem_reviews_overdue(teams=teams, today=today)[:200],
        "today": today,
    })


def profile_section(request: HttpRequest, person) -> Section | None:
    """The profile's "Your action items": the person's open items in teams the viewer can see,
    overdue first."""
    if not getattr(person, "is_authenticated", False):
        return None
    items = open_action_items(teams=teams_visible_to(request.user), owner=person)[:PROFILE_LIMIT]
    return Section("incidents/postmortems/_profile_action_items.html",
                   {"items": list(items), "today": timezone.localdate(), "limit": PROFILE_LIMIT})


urlpatterns = [
    path("postmortems/overdue/", overdue, name="overdue"),
    path("postmortems/<int:pk>/action-items/", action_item_create, name="action-item-add"),
    path("postmortems/<int:pk>/tasks/<int:task_pk>/action-item/", incident_task_to_action_item,
         name="action-item-from-task"),
    path("action-items/<int:pk>/", action_item_edit, name="action-item-edit"),
    path("action-items/<int:pk>/status/", action_item_status, name="action-item-status"),
]
