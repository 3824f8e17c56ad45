"""Markdown written in a postmortem never brings script onto a page (issue 12 §1): the real pages
(the postmortem, the editor's preview pane, the live preview answer) are fetched and their HTML
inspected, not only incidents/markdown.py."""
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from incidents.markdown import render_markdown
from incidents.models import Postmortem, TimelineEvent
from incidents.services import incident_resolve
from incidents.services.postmortems import postmortem_create

pytestmark = pytest.mark.django_db
WEB = TimelineEvent.Via.WEB

ATTACKS = {
    "script": "<script>alert('x1')</script>",
    "script_in_a_list": "- item\n  <script>alert('x2')</script>",
    "javascript_link": "[click](javascript:alert('x3'))",
    "mixed_case_javascript": "[click](JaVaScRiPt:alert('x4'))",
    "entity_encoded_javascript": "[click](&#106;avascript:alert('x5'))",
    "tab_in_javascript": "[click](java\tscript:alert('x6'))",
    "reference_style_javascript": "[click][evil]\n\n[evil]: javascript:alert('x7')",
    "data_link": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgneDgnKTwvc2NyaXB0Pg==)",
    "data_image": "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgneDknKTwvc2NyaXB0Pg==)",
    "data_image_png": "![x](data:image/png;base64,iVBORw0KGgo=)",
    "vbscript_link": "[click](vbscript:msgbox('x10'))",
    "img_onerror": "<img src=x onerror=alert('x11')>",
    "anchor_onclick": "<a href='https://example.com' onclick=alert('x12')>hi</a>",
    "iframe": "<iframe src='https://evil.example'></iframe>",
    "style_element": "<style>body{display:none}</style>",
    "style_attribute": "<p style='position:fixed;top:0'>covered</p>",
    "svg_onload": "<svg onload=alert('x13')>",
    "autolink_javascript": "<javascript:alert('x14')>",
    "link_title_breakout": "[x](https://ok.example \"a\\\" onmouseover=alert('x15')\")",
}
FORBIDDEN_TAGS = {"script", "iframe", "style", "svg", "img", "object", "embed", "math", "form", "base", "meta", "link"}
SAFE_SCHEMES = ("http:", "https:", "mailto:")


class _Elements(HTMLParser):
    """Every element and attribute as a browser would read them (entities decoded)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def dangerous(html: str) -> list[str]:
    """What in `html` could run script or restyle the page: forbidden elements, on* handlers, style
    attributes, and link or source addresses with a scheme other than http, https or mailto."""
    parser = _Elements()
    parser.feed(html)
    problems = []
    for tag, attrs in parser.found:
        if tag in FORBIDDEN_TAGS:
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                problems.append(f"{tag} {name}=")
            if name in ("href", "src", "action", "formaction", "xlink:href"):
                address = re.sub(r"[\x00-\x20]", "", value or "").lower()
                if ":" in address.split("/")[0] and not address.startswith(SAFE_SCHEMES):
                    problems.append(f"{tag} {name}={value}")
    return problems


def markdown_region(page: str) -> str:
    """The rendered sections only: the page's own <script src> tags are not what is under test."""
    return "".join(re.findall(r'<div class="markdown"[^>]*>(.*?)</div>', page, re.S))


@pytest.fixture
def postmortem(incident, responder):
    incident_resolve(incident=incident, by=responder, via=WEB)
    return postmortem_create(incident=incident, by=responder, via=WEB)[0]


@pytest.mark.parametrize("name", ATTACKS)
def test_markdown_renderer_drops_script_links_handlers_and_styles(name):
    assert dangerous(render_markdown(ATTACKS[name])) == []


@pytest.mark.parametrize("name", ATTACKS)
def test_the_postmortem_page_never_carries_script_from_a_section(client, responder, postmortem, name):
    Postmortem.objects.filter(pk=postmortem.pk).update(summary=ATTACKS[name], went_badly="ok " + ATTACKS[name])
    client.force_login(responder)
    page = client.get(reverse("incidents:postmortem", args=[postmortem.pk])).content.decode()
    assert dangerous(markdown_region(page)) == []
    # The page's own scripts are exactly the static files the base template loads.
    assert all('src="/static/' in tag for tag in re.findall(r"<script[^>]*>", page))


@pytest.mark.parametrize("name", ATTACKS)
def test_the_editor_preview_pane_and_the_live_preview_never_carry_script(client, responder, postmortem, name):
    Postmortem.objects.filter(pk=postmortem.pk).update(impact=ATTACKS[name])
    client.force_login(responder)
    editor = client.get(reverse("incidents:postmortem_edit", args=[postmortem.pk]) + "?section=impact")
    assert dangerous(markdown_region(editor.content.decode())) == []
    live = client.post(reverse("incidents:postmortem_preview", args=[postmortem.pk]), {"text": ATTACKS[name]})
    assert live.status_code == 200
    assert dangerous(live.content.decode()) == []


def test_safe_links_keep_their_address_and_get_noopener_noreferrer_nofollow(client, responder, postmortem):
    Postmortem.objects.filter(pk=postmortem.pk).update(
        summary="[graph](https://grafana.example.com/d/1) [mail](mailto:ops@example.com) [incident](/incidents/1/)")
    client.force_login(responder)
    region = markdown_region(client.get(reverse("incidents:postmortem", args=[postmortem.pk])).content.decode())
    for href in ("https://grafana.example.com/d/1", "mailto:ops@example.com", "/incidents/1/"):
        assert f'<a href="{href}" rel="noopener noreferrer nofollow">' in region


@pytest.mark.parametrize("html", [
    "<script>x</script>", '<a href="JaVaScRiPt:x">a</a>', '<a href="&#106;avascript:x">a</a>',
    '<a href=" java\tscript:x">a</a>', '<a href="data:text/html,x">a</a>', "<img src=x onerror=y>",
    '<p style="color:red">a</p>', "<a onclick=y>a</a>", "<iframe></iframe>",
])
def test_the_checker_itself_catches_each_kind_of_attack_in_raw_html(html):
    assert dangerous(html) != []
