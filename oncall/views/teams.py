"""What the schedule and policy list pages share: each lists the rows of the person's teams, with a
"new" form that only a team's managers get, and that only they may post."""
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from config.errors import VigilError

from ..access import teams_visible_to
from ..models import Membership, Team


def _managed_teams(request: HttpRequest) -> QuerySet[Team]:
    """The teams whose schedules and policies the person may create: one query, made once per
    request however often the page asks (for the form, and for whether to show it)."""
    if not hasattr(request, "_vigil_managed_teams"):
        user = request.user
        teams = teams_visible_to(user).order_by("name")
        if not user.is_superuser:
            managed = Membership.objects.filter(user=user, role=Membership.Role.MANAGER).values("team_id")
            teams = teams.filter(pk__in=managed)
        request._vigil_managed_teams = teams
    return request._vigil_managed_teams


@dataclass(frozen=True)
class TeamListPage:
    """A list page and its "new" form. `context(request)` gives what the page lists;
    `create(request, cleaned_data)` makes the row and answers (a redirect); a service's refusal
    comes back as a form error on the list page, with a 400."""

    template: str
    context: Callable[[HttpRequest], dict]
    form_class: type
    create: Callable[[HttpRequest, dict], HttpResponse]
    refusal: str  # why a person who manages no team may not post the form

    def views(self) -> tuple[Callable, Callable]:
        """The list view (GET) and the create view (POST)."""

        @login_required
        @require_safe
        def list_view(request: HttpRequest) -> HttpResponse:
            return self.render(request, self.form_class(teams=_managed_teams(request)))

        @login_required
        @require_POST
        def create_view(request: HttpRequest) -> HttpResponse:
            teams = _managed_teams(request)
            if not teams:
                raise PermissionDenied(self.refusal)
            form = self.form_class(request.POST, teams=teams)
            if form.is_valid():
                try:
                    return self.create(request, form.cleaned_data)
                except VigilError as e:
                    form.add_error(None, e.message)
            return self.render(request, form, status=400)

        return list_view, create_view

    def render(self, request: HttpRequest, form, status: int = 200) -> HttpResponse:
        context = {**self.context(request), "form": form, "can_create": bool(_managed_teams(request))}
        return render(request, self.template, context, status=status)
