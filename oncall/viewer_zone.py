"""Times in the viewer's own zone: the one saved in their profile, else the one their browser
reported (incidents/static/incidents/vigil.js stores it in a cookie), else UTC.

The cookie is whatever the client sends, so only a name in the IANA database is used: ZoneInfo
would otherwise be asked to open a path of the sender's choosing.
"""
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.http import HttpRequest
from django.utils import timezone

from .models import Profile

COOKIE = "vigil_tz"
# Answers read by programs keep UTC whoever asks: the API's "Z" times, webhooks, calendar feeds.
MACHINE_PATHS = ("/api/", "/integrations/", "/v2/", "/notifications/twilio/", "/notifications/slack/",
                 "/metrics", "/healthz")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str | None) -> ZoneInfo | None:
    if not name or len(name) > 64 or name not in _known_zones():
        return None
    return ZoneInfo(name)


def viewer_zone(request: HttpRequest) -> ZoneInfo | None:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # A saved profile is a choice the person made; the default UTC of no profile is not.
        chosen = Profile.objects.filter(user=user).values_list("time_zone", flat=True).first()
        if zone := zone_named(chosen):
            return zone
    return zone_named(request.COOKIES.get(COOKIE))


class ViewerTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        for_people = not (request.path.startswith(MACHINE_PATHS) or request.path.endswith(".ics"))
        zone = viewer_zone(request) if for_people else None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
