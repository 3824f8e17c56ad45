from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from ..preferences import profile_notify_on_resolve_set


@login_required
@require_POST
def profile_notify_on_resolve(request: HttpRequest) -> HttpResponse:
    on = request.POST.get("notify_on_resolve") == "on"
    profile_notify_on_resolve_set(user=request.user, on=on)
    messages.success(request, "You will hear when incidents you acknowledged or follow are resolved." if on
                     else "You will no longer hear when incidents you acknowledged or follow are resolved.")
    return redirect("oncall:profile")
