"""Markdown that people write (postmortems) turned into HTML that is safe to put in a page.

Two locks, so that a slip in one is caught by the other: markdown-it-py never passes raw HTML
through (it is escaped as text) and refuses javascript:/vbscript:/file: links; nh3 (the Ammonia
sanitizer) then keeps only the tags and attributes listed here, links whose scheme is http, https
or mailto (or relative ones), and stamps every link rel="noopener noreferrer nofollow". Images are
written as links: a picture from anywhere would be loaded by every reader's browser (and the
Content-Security-Policy refuses other hosts' images anyway).

Every page, the live preview and the API's `*_html` fields call `render_markdown`: one rule.
"""
from html import escape

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

# Long enough for the longest postmortem section anyone writes; rendering cost stays bounded.
MAX_SOURCE = 50_000

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
# Removed with everything inside them, not just unwrapped: their text is code or a page, not prose.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(["table", "strikethrough"])
    parser.add_render_rule("image", _image_as_link)
    return parser


def _image_as_link(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    return f'<a href="{escape(token.attrGet("src") or "", quote=True)}">{escape(alt)}</a>'


_PARSER = _parser()


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html, tags=ALLOWED_TAGS, clean_content_tags=DROPPED_WITH_CONTENT, attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES, link_rel=LINK_REL, strip_comments=True,
    )


def render_markdown(text: str) -> SafeString:
    """The one way Markdown from people becomes HTML in Vigil."""
    html = _PARSER.render((text or "")[:MAX_SOURCE])
    return mark_safe(sanitize_html(html))  # noqa: S308 - sanitized by nh3 just above
