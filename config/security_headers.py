"""A Content-Security-Policy on every response (Django 5.2 has none built in).

Pages run only Vigil's own scripts and styles, served from /static/: no inline script, no inline
style, no other origin. An HTML injection that slipped past escaping can then run nothing, and no
other site can frame a page to click its buttons. Swagger UI draws its icons from data: URIs, the
one exception, for images only.
"""
from django.conf import settings

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def header_value(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.value = header_value(getattr(settings, "CONTENT_SECURITY_POLICY", POLICY))

    def __call__(self, request):
        response = self.get_response(request)
        # Django's debug error pages (DEBUG only, never in production) are all inline style and script.
        if settings.DEBUG and response.status_code in (404, 500):
            return response
        response.headers.setdefault("Content-Security-Policy", self.value)
        return response
