"""The post body: CommonMark with raw HTML, optional sanitizing, its excerpt and its links."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

from pressroom.model import Post
from pressroom.urls import SiteUrls

_EXCERPT_CHARS = 140
# How much HTML excerpt() reads before it looks whether it has enough text.
_EXCERPT_PIECE_CHARS = 400


# Link destinations that markdown-it's normalizeLink and normalizeLinkText give back unchanged:
# ASCII, a lowercase host with no punycode label and labels of at most 63 characters (mdurl's
# limits; the whole link is held to its 255 for a host), and no character either of them
# encodes or decodes.
_PLAIN_LINK_MAX_CHARS = 255
_PLAIN_LINK = re.compile(
    r"(?:https?:)?(?://(?!xn--)[a-z0-9-]{1,63}(?:\.(?!xn--)[a-z0-9-]{1,63})*)?(?!//)"
    r"[A-Za-z0-9_.~/-]*"
    r"(?:\?[A-Za-z0-9_.~=&/-]*)?(?:#[A-Za-z0-9_.~-]*)?"
)


class _Markdown(MarkdownIt):
    """markdown-it that skips parsing and re-encoding link destinations it would not change."""

    def normalizeLink(self, url: str) -> str:  # noqa: N802  (markdown-it's name)
        if len(url) <= _PLAIN_LINK_MAX_CHARS and _PLAIN_LINK.fullmatch(url):
            return url
        return super().normalizeLink(url)

    def normalizeLinkText(self, link: str) -> str:  # noqa: N802
        if len(link) <= _PLAIN_LINK_MAX_CHARS and _PLAIN_LINK.fullmatch(link):
            return link
        return super().normalizeLinkText(link)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return _Markdown("commonmark", {"html": True})


def render_markdown(text: str) -> str:
    """CommonMark to HTML; raw HTML passes through untouched."""
    return str(_markdown().render(text))


def body_html(text: str, *, sanitize: bool) -> str:
    """The body's HTML; with `sanitize`, cleaned with nh3 (scripts, event handlers,
    javascript: URLs, iframes and styles removed)."""
    rendered = render_markdown(text)
    return nh3.clean(rendered) if sanitize else rendered


_VOID_ELEMENTS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)


class _TextExtractor(HTMLParser):
    """Visible text of an HTML fragment (skips scripts, styles and display:none elements)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_ELEMENTS:
            if tag == "br" and not self._hidden_depth:
                self.parts.append(" ")
            return
        if self._hidden_depth:
            self._hidden_depth += 1
            return
        style = (dict(attrs).get("style") or "").replace(" ", "").lower()
        if tag in ("script", "style") or "display:none" in style:
            self._hidden_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID_ELEMENTS:
            return
        if self._hidden_depth:
            self._hidden_depth -= 1
        elif tag in ("p", "li", "blockquote", "h1", "h2", "h3", "h4", "div", "tr"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.parts.append(data)


_BLOCK_ENDS = frozenset(["p", "li", "blockquote", "h1", "h2", "h3", "h4", "div", "tr"])
_TAG_LIKE = re.compile(r"<[^<>]*>")
# A tag html.parser reads plainly: a name, attributes in double quotes, no character reference.
_PLAIN_TAG = re.compile(r'<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+="[^"<>&]*")*)\s*(/?)>')
# Tags whose content html.parser reads as raw text (in some Python versions) or that may hide.
_NOT_PLAIN = frozenset(
    ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript"]
)


def excerpt(body_html: str, limit: int = _EXCERPT_CHARS) -> str:
    """Plain text from the start of the body, for listings. The HTML is read a piece at a time
    (each piece ending before a `<`) and no further than the excerpt needs: the words of what
    was read begin the words of the whole text."""
    plain = _plain_excerpt(body_html, limit)
    if plain is not None:
        return plain
    extractor = _TextExtractor()
    start = 0
    while start < len(body_html):
        end = body_html.find("<", start + 1 + _EXCERPT_PIECE_CHARS)
        end = len(body_html) if end < 0 else end
        extractor.feed(body_html[start:end])
        start = end
        if start < len(body_html) and sum(map(len, extractor.parts)) > limit:
            text = " ".join("".join(extractor.parts).split())
            if len(text) > limit:
                return text[: limit - 1].rstrip() + "…"
    text = " ".join("".join(extractor.parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cut(parts: list[str], limit: int) -> str:
    text = " ".join("".join(parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _plain_excerpt(body_html: str, limit: int) -> str | None:
    """The excerpt _TextExtractor makes, of HTML made only of text without `<` or `&` and of
    plain tags, none hidden by a style; None for any other HTML."""
    parts: list[str] = []
    size = start = 0
    for match in _TAG_LIKE.finditer(body_html):
        text = body_html[start : match.start()]
        tag = _PLAIN_TAG.fullmatch(match.group())
        if "<" in text or "&" in text or tag is None or "style" in tag.group(3).lower():
            return None
        parts.append(text)
        size += len(text)
        closing, name, attributes, self_closing = tag.groups()
        name = name.lower()
        if name in _NOT_PLAIN or (closing and (attributes or self_closing)):
            return None
        if not closing and name == "br":
            parts.append(" ")
        if (closing or self_closing) and name in _BLOCK_ENDS:
            parts.append(" ")
        start = match.end()
        if size > limit and len(text := " ".join("".join(parts).split())) > limit:
            return text[: limit - 1].rstrip() + "…"
    rest = body_html[start:]
    if "<" in rest or "&" in rest:
        return None
    return _cut([*parts, rest], limit)


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            target = dict(attrs).get("href")
            if target:
                self.links.append(html.unescape(target))


def body_links(body_html: str) -> list[str]:
    collector = _LinkCollector()
    collector.feed(body_html)
    return collector.links


def internal_links(post: Post, urls: SiteUrls) -> list[str]:
    """Site paths the post's body links to (links that leave the site are not listed)."""
    paths: list[str] = []
    for link in body_links(post.body_html):
        path = urls.internal_path(link, post.url)
        if path is not None and path not in paths:
            paths.append(path)
    return paths
