"""Sections that other apps add to oncall's pages, so the layers stay one way.

oncall knows nothing of incidents or pages, yet a person's profile lists their postmortem action
items and a schedule page shows its shift hand-off report. An app that sits above oncall registers
a section for a page once, in its AppConfig.ready():

    page_sections.register("profile", action_items_section)

A section is a callable `(request, obj) -> Section | None` (None: nothing to show here), and the
page renders every registered section in registration order with `{% page_sections "profile" obj %}`.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

PAGES = ("profile", "schedule", "team")


@dataclass(frozen=True)
class Section:
    template: str
    context: dict = field(default_factory=dict)


SectionFn = Callable[[HttpRequest, object], Section | None]
_registry: dict[str, list[SectionFn]] = {page: [] for page in PAGES}


def register(page: str, fn: SectionFn) -> None:
    if page not in _registry:
        raise ValueError(f"Unknown page {page!r}; sections go on one of {PAGES}")
    if fn not in _registry[page]:
        _registry[page].append(fn)


def sections_for(page: str, request: HttpRequest, obj: object = None) -> list[Section]:
    return [s for fn in _registry[page] if (s := fn(request, obj)) is not None]
