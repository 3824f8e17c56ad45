"""Times as people read them: in the viewer's zone (oncall.viewer_zone activates it) and relative
to now ("4 min ago"), with the exact instant kept in a <time datetime> for machines."""
from datetime import datetime, timezone as dt_timezone

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

register = template.Library()

SHORT = "D j M H:i T"
FULL = "l j F Y H:i:s T"


def _relative(seconds: float) -> str:
    seconds = int(abs(seconds))
    if seconds < 45:
        return ""
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes and hours < 6 else f"{hours} h"
    days = round(hours / 24)
    return f"{days} day{'s' if days != 1 else ''}"


@register.filter
def ago(value) -> str:
    """ "4 min ago", "in 2 h", "just now"; "" for anything that is not a datetime."""
    if not isinstance(value, datetime):
        return ""
    delta = (timezone.now() - value).total_seconds()
    span = _relative(delta)
    if not span:
        return "just now"
    return f"{span} ago" if delta > 0 else f"in {span}"


@register.filter
def as_datetime(value):
    """An ISO 8601 string from an alert's JSON as an aware datetime, or None when it is not one.
    A naive time is taken as UTC, as Alertmanager and Grafana send UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return None
    else:
        return None
    # Alertmanager's "0001-01-01T00:00:00Z" means "not set"; it also cannot be moved to a zone west of UTC.
    if parsed is None or parsed.year < 1970:
        return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=dt_timezone.utc)


@register.simple_tag
def when(value, relative: bool = True):
    """<time> with the local short form, the full form as its title, and how long ago."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if relative:
        return format_html('<time datetime="{}" title="{}">{}</time> <span class="ago">· {}</span>',
                           value.isoformat(), date_format(local, FULL), date_format(local, SHORT), ago(value))
    return format_html('<time datetime="{}" title="{}">{}</time>',
                       value.isoformat(), date_format(local, FULL), date_format(local, SHORT))
