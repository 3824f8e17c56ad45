from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from .. import page_sections

register = template.Library()


@register.simple_tag(takes_context=True)
def page_sections_for(context, page: str, obj=None) -> str:
    """Render the sections other apps registered for `page` (see oncall/page_sections.py)."""
    request = context["request"]
    return mark_safe("".join(
        render_to_string(s.template, {**s.context, "request": request, "obj": obj}, request=request)
        for s in page_sections.sections_for(page, request, obj)
    ))
