"""Links and images in events: only absolute http(s) URLs, labelled, without repeats.

Only http and https are kept for links and images: a ``javascript:`` href rendered in the web UI
would run in the responder's session.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from .errors import ErrorList
from .events import MAX_SOURCE
from .fields import read_items
from .text import clean_text, truncate

__all__ = [
    "MAX_LINKS", "MAX_IMAGES", "MAX_LINK_TEXT", "safe_url", "make_link", "dedupe_links", "url_host", "read_links",
]

MAX_LINKS = 25  # per event
MAX_IMAGES = 10
MAX_LINK_TEXT = 1024
MAX_UNSAFE_HREF = 2048

_URL_FORBIDDEN = re.compile("[\x00-\x20\x7f]")  # controls and spaces never belong in a URL


def safe_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL, else None."""
    if not isinstance(value, str):
        return None
    url = clean_text(value.strip())
    lowered = url[:8].lower()
    if not (lowered.startswith("http://") or lowered.startswith("https://")):
        return None
    if len(url) <= len("https://") or _URL_FORBIDDEN.search(url):
        return None
    return url


def make_link(href: Any, text: Any = "") -> dict | None:
    url = safe_url(href)
    if url is None:
        return None
    label = clean_text(text.strip()) if isinstance(text, str) else ""
    return {"href": url, "text": truncate(label, MAX_LINK_TEXT) if label else url[:MAX_LINK_TEXT]}


def dedupe_links(links: Iterable[dict | None], limit: int) -> tuple[dict, ...]:
    """Drop Nones and repeated hrefs (first one wins), keep at most ``limit``."""
    seen: set[str] = set()
    out = []
    for link in links:
        if not link or link["href"] in seen:
            continue
        seen.add(link["href"])
        out.append(link)
        if len(out) >= limit:
            break
    return tuple(out)


def url_host(url: Any) -> str:
    """The host (with port) of an http(s) URL, or ""."""
    safe = safe_url(url)
    if not safe:
        return ""
    rest = safe.split("://", 1)[1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    return host.rsplit("@", 1)[-1][:MAX_SOURCE]


def read_links(raw: Any, errors: ErrorList,
               read_link: Callable[[Any, str, ErrorList], tuple[str, str] | None]) -> tuple[list[dict | None], list]:
    """A sender's ``links`` list: the links made of it, and the hrefs that are not http(s).

    ``read_link(item, path, errors)`` is the format's reading of one item: ``(href, text)``, or None
    once it has added the item's errors. Parsers keep the unsafe hrefs in ``details["unsafe_links"]``
    rather than drop them silently.
    """
    links: list[dict | None] = []
    unsafe: list = []
    for href, text in read_items(raw, "links", errors, read_link):
        link = make_link(href, text)
        if link is None:
            unsafe.append(clean_text(href)[:MAX_UNSAFE_HREF])
        links.append(link)
    return links, unsafe
