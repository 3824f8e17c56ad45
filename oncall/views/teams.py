"""What the schedule and policy list pages share: each lists the rows of the person's teams, with a
"new" form that only a team's managers get, and that only they may post."""
from collections.abc import Callable

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.errors import VigilError

from ..access import teams_visible_to, user_can_manage


def _managed_teams(user: User):
    teams = teams_visible_to(user).order_by("name")
    return teams.filter(pk__in=[t.pk for t in teams if user_can_manage(user=user, team_id=t.pk)])


def render_team_list(request: HttpRequest, template: str, context: dict, *, form, status: int = 200) -> HttpResponse:
    context = {**context, "form": form, "can_create": _managed_teams(request.user).exists()}
    return render(request, template, context, status=status)


def new_form(request: HttpRequest, form_class):
    """The list page's empty "new" form, offering the teams the person manages."""
    return form_class(teams=_managed_teams(request.user))


def create_for_team(request: HttpRequest, *, form_class, refusal: str, create: Callable[[dict], HttpResponse],
                    render_list: Callable[..., HttpResponse]) -> HttpResponse:
    """Post the "new" form: `create(cleaned_data)` makes the row and answers (a redirect); a
    service's refusal comes back as a form error on the list page, with a 400."""
    teams = _managed_teams(request.user)
    if not teams.exists():
        raise PermissionDenied(refusal)
    form = form_class(request.POST, teams=teams)
    if form.is_valid():
        try:
            return create(form.cleaned_data)
        except VigilError as e:
            form.add_error(None, e.message)
    return render_list(request, form, status=400)
