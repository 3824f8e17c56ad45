"""A secret made by a POST (an API token, a calendar feed address, an integration token) is shown
once, in the body of that POST's response. Never in a message: Django's `messages` cookie is
signed, not encrypted, so the secret would sit readable in the browser, in proxies and in any log
of request headers, and come back with every request until the next page is shown."""
from dataclasses import dataclass


@dataclass(frozen=True)
class NewSecret:
    label: str
    value: str


def admin_secret_response(model_admin, request, obj, secret: NewSecret):
    """The admin's answer to adding a row with a secret: a page showing it, instead of the usual
    redirect with a message."""
    from django.template.response import TemplateResponse
    from django.views.decorators.cache import add_never_cache_headers

    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
               "original": obj, "title": secret.label, "new_secret": secret}
    response = TemplateResponse(request, "admin/new_secret.html", context)
    add_never_cache_headers(response)
    return response
