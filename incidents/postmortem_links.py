"""Where a postmortem is shown, for pages and for reminders sent by the notifications app."""
from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .models import Postmortem


def postmortem_path(postmortem: Postmortem) -> str:
    """The postmortem's page; the incident's page while the postmortem pages are not there."""
    try:
        return reverse("incidents:postmortem", args=[postmortem.pk])
    except NoReverseMatch:
        return reverse("incidents:detail", args=[postmortem.incident_id])


def postmortem_url(postmortem: Postmortem, *, anchor: str = "") -> str:
    """Absolute, for messages read outside the browser."""
    return f"{settings.PUBLIC_URL}{postmortem_path(postmortem)}" + (f"#{anchor}" if anchor else "")
