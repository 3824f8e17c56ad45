"""{% action_items_extras postmortem action_items can_edit as ai %}: the partial
incidents/postmortems/_action_items.html builds its forms itself, so a page that includes it only
passes the postmortem, its items and whether the viewer may change them."""
from django import template

from ..action_item_forms import action_items_partial_context
from ..display import web_link
from ..postmortem_links import postmortem_path

register = template.Library()


@register.simple_tag
def action_items_extras(postmortem, action_items, can_edit) -> dict:
    return action_items_partial_context(postmortem=postmortem, action_items=action_items, can_edit=bool(can_edit))


@register.filter
def postmortem_url(postmortem) -> str:
    return postmortem_path(postmortem)


@register.filter
def ticket_link(url) -> str:
    """Only web links become links: a javascript: URL stored behind the services' back must not run."""
    return web_link(url)
