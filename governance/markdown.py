"""Markdown for minutes and other long text, rendered to HTML that is safe to show.

Two layers, so a mistake in one is caught by the other (T34):

1. ``markdown-it-py`` with raw HTML turned off: ``<script>`` or
   ``<div hx-get=…>`` typed into the minutes comes out as text, and links to
   ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` URLs are not made.
2. ``nh3`` (the Rust *ammonia* sanitiser) then keeps only an allowlist of
   tags and attributes: no ``hx-*``, ``data-*``, ``on*``, ``style``, ``class``
   or ``id`` attributes, no images, links only to ``https:`` and ``mailto:``
   (relative links are dropped too) with ``rel="noopener noreferrer"``.

``render`` wraps the result in an ``hx-disable`` container so that htmx would
ignore any attribute that slipped through both layers. This module is the only
place allowed to mark text as safe HTML.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

#: Tags the sanitiser keeps; everything else is removed (its text kept).
ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "h3",
        "h4",
        "h5",
        "h6",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
#: Attributes kept per tag; nothing is allowed on every tag.
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title"}), "ol": frozenset({"start"})}
#: Tags removed together with their content.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript"})
URL_SCHEMES = frozenset({"https", "mailto"})
#: Markdown headings are shifted down so minutes never compete with the page's h1/h2.
HEADING_SHIFT = 2

_markdown = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False}
).enable(["table", "strikethrough"])
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    strip_comments=True,
    link_rel="noopener noreferrer",
    url_schemes=set(URL_SCHEMES),
    url_relative="deny",
)


def _adjust(tokens: list[Token]) -> None:
    """Shift headings down and show images as their description (no remote images)."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1]) + HEADING_SHIFT)
            token.tag = f"h{level}"
        for child in token.children or []:
            if child.type == "image":
                child.type, child.tag, child.attrs = "text", "", {}
                child.content = f"[image: {child.content}]" if child.content else ""
                child.children = None


def sanitise(html: str) -> str:
    """Keep only the allowlisted tags and attributes of ``html``; idempotent."""
    return _cleaner.clean(html)


def to_html(text: str) -> str:
    """Markdown ``text`` as sanitised HTML (a fragment, not yet marked safe)."""
    env: dict[str, object] = {}
    tokens = _markdown.parse(text or "", env)
    _adjust(tokens)
    return sanitise(_markdown.renderer.render(tokens, _markdown.options, env))


def render(text: str) -> Markup:
    """Markdown ``text`` as safe HTML for a template, inside an ``hx-disable`` block."""
    return Markup(  # noqa: S704 - sanitised above; the one place allowed to do this
        f'<div class="portal-prose" hx-disable>{to_html(text)}</div>'
    )
