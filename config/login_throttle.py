"""Password guessing at /login/ and /admin/login/: django-axes counts failures by username and by
client address (either one locks); these hooks decide who the client is and how long a lockout
lasts.

The lockout doubles with each further run of failures (5 min, 10, 20, … up to 2 hours), so a
script that keeps guessing gets fewer tries per hour the longer it runs, while a person who
mistyped a few times waits minutes at most.
"""
from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

FIRST_LOCKOUT = timedelta(minutes=5)
LONGEST_LOCKOUT = timedelta(hours=2)


def client_ip(request: HttpRequest) -> str | None:
    """The address that connected to us, or, behind our TLS proxy, the one the proxy saw.

    The proxy appends the address it saw to X-Forwarded-For; anything before it came from the
    client and is not to be trusted, so only the last entry counts.
    """
    if getattr(settings, "BEHIND_TLS_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR")


def cool_off(request: HttpRequest | None) -> timedelta:
    """How long this client's lockout lasts: doubled for every AXES_FAILURE_LIMIT failures it has run up
    under its username or address and that have not expired yet."""
    if request is None:
        return FIRST_LOCKOUT
    failures = max(_live_failures(username=_username(request)), _live_failures(ip_address=_ip(request)))
    rounds = max(failures // settings.AXES_FAILURE_LIMIT, 1) - 1
    # Past the cap the doubling stops mattering; bounding the exponent keeps the maths small.
    return min(FIRST_LOCKOUT * 2 ** min(rounds, 16), LONGEST_LOCKOUT)


def _live_failures(**client) -> int:
    from axes.models import AccessAttempt

    if not any(client.values()):
        return 0
    attempts = AccessAttempt.objects.filter(**client, expiration__expires_at__gt=timezone.now())
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def _username(request: HttpRequest) -> str | None:
    credentials = getattr(request, "axes_credentials", None) or {}
    if credentials.get("username"):
        return credentials["username"]
    return request.POST.get("username") if request.method == "POST" else None


def _ip(request: HttpRequest) -> str | None:
    return getattr(request, "axes_ip_address", None) or client_ip(request)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with a page that says what happened and when to try again (the admin's login too)."""
    wait = cool_off(request)
    minutes = max(round(wait.total_seconds() / 60), 1)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response
