"""The audit log page: a manager's teams, or the person's own things, with filters."""
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import AuditEntry
from .recording import AUDITED
from .selectors import audit_entries_filtered, audit_entries_visible_to, audit_teams_for


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    teams = list(audit_teams_for(request.user))
    params = request.GET
    team = next((t.pk for t in teams if str(t.pk) == params.get("team")), None)
    entries = audit_entries_filtered(
        audit_entries_visible_to(request.user), team=team,
        mine_of=request.user if params.get("mine") == "1" else None,
        object_type=params.get("object_type") if params.get("object_type") in AUDITED else "",
        via=params.get("via") if params.get("via") in AuditEntry.Via.values else "",
        actor=params.get("actor", "")[:150])
    page = Paginator(entries, 50).get_page(params.get("page"))
    return render(request, "oncall/audit_log.html", {
        "page": page, "teams": teams, "object_types": sorted(AUDITED), "vias": AuditEntry.Via.choices,
        "selected": {"team": team, "mine": params.get("mine") == "1", "object_type": params.get("object_type", ""),
                     "via": params.get("via", ""), "actor": params.get("actor", "")},
    })
