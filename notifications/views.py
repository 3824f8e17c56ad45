from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from incidents.models import Incident

from . import responder_actions
from .links import read_ack_token
from .models import OutboxMessage
from .page_alerts import page_alerts

LINK_ACTIONS = {"acknowledge": "Acknowledge", "resolve": "Resolve"}
# A shadow's copy: tapping only records that they saw it (responder_actions.shadow_seen).
SHADOW_ACTIONS = {"acknowledge": "Mark as seen"}


def no_referrer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The token in an ack link's URL is a credential: with the site-wide `same-origin` policy
    the page's own stylesheet request would carry it in its Referer into the access log, and a
    click on "Open the full incident page" into the next page's."""
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response
    return wrapped


# No CSRF check: the token in the URL is the only credential (no session or cookie is used),
# so a forged cross-site POST can do nothing the token's holder could not do directly. And a
# no-referrer page's form posts with `Origin: null`, which Django's CSRF check refuses.
@csrf_exempt
@no_referrer
@require_http_methods(["GET", "POST"])
def ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-tap page from an SMS or email: no login, bound to one person and one incident.
    GET only shows; POST acts."""
    found = read_ack_token(token)
    incident = Incident.objects.select_related("service", "acknowledged_by").filter(pk=found[0]).first() if found else None
    if incident is None:
        return render(request, "notifications/ack_invalid.html", status=404)
    person = User.objects.filter(pk=found[1], is_active=True).first()
    outcome = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in LINK_ACTIONS or person is None:
            return render(request, "notifications/ack_invalid.html", status=400)
        outcome = responder_actions.act(user=person, incident=incident, action=action, via="link")
        incident.refresh_from_db()
    allowed = person is not None and responder_actions.may_act(user=person, incident=incident)
    status = 403 if outcome is not None and not outcome.ok and not allowed else 200
    shadow = allowed and responder_actions.shadowing_only(user=person, incident=incident)
    return render(request, "notifications/ack.html", {
        "incident": incident, "person": person, "outcome": outcome, "allowed": allowed, "shadow": shadow,
        "actions": SHADOW_ACTIONS if shadow else LINK_ACTIONS,
        "alerts": page_alerts(incident) if allowed else None,
    }, status=status)


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """What the console channel sent: the stand-in for SMS, calls, Slack and email when no
    provider is configured (`make run`)."""
    messages = OutboxMessage.objects.select_related("user")
    if not request.user.is_superuser:
        messages = messages.filter(user=request.user)
    page = Paginator(messages, 50).get_page(request.GET.get("page"))
    return render(request, "notifications/outbox.html", {"page": page})
