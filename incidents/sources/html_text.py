"""HTML mail bodies as plain text: what a responder reads, and the links the mail carried.

Only text is kept: tags are dropped, ``<script>``, ``<style>`` and ``<head>`` lose their content
too, entities are decoded, block elements end lines. Nothing of the HTML survives to be rendered
(the incident page escapes details anyway), so a hostile mail can show text and nothing else.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from .text import clean_text

__all__ = ["html_to_text"]

_HIDDEN = {"script", "style", "head", "title", "template", "noscript"}
_BLOCKS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
    "blockquote", "hr", "section", "article", "header", "footer", "dl", "dt", "dd",
}
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")
# Enough for any monitoring mail; a 512 KB table of nothing is not worth walking twice.
MAX_LINKS_READ = 100


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._hidden_depth = 0
        self._href: str | None = None
        self._anchor_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "td" or tag == "th":
            self.parts.append("  ")
        elif tag == "a" and len(self.links) < MAX_LINKS_READ:
            self._href = next((value for name, value in attrs if name == "href" and value), None)
            self._anchor_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden_depth = max(0, self._hidden_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._anchor_text).split())))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._hidden_depth:
            return
        self.parts.append(data)
        if self._href is not None:
            self._anchor_text.append(data)


def html_to_text(html: str) -> tuple[str, list[tuple[str, str]]]:
    """The text of an HTML body (lines trimmed, runs of blank lines folded), and its links as
    ``(href, text)`` in document order. Never raises on broken markup."""
    collector = _TextCollector()
    collector.feed(clean_text(html))
    collector.close()
    text = _SPACES.sub(" ", "".join(collector.parts))
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip(), collector.links
