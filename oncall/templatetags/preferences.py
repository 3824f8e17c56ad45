from django import template

from oncall.preferences import notify_on_resolve_of

register = template.Library()


@register.simple_tag
def notify_on_resolve(user) -> bool:
    return notify_on_resolve_of(user=user)
