"""What every kind of page is: its URL, what makes it stale, how to enumerate and render it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer
from pressroom.urls import SiteUrls

HTML = "text/html; charset=utf-8"
# Cache-Control of each cache class: what browsers (max-age) and the CDN (s-maxage) keep.
CACHE_CONTROL = {
    "post": "public, max-age=300, s-maxage=86400",
    "index": "public, max-age=60, s-maxage=300",
    "not_found": "public, max-age=60",
}


class PageKind(Protocol):
    """One kind of page derived from the table. A new kind is a module with one of these, a
    template, and a line in `pressroom.pages.REGISTRY`."""

    @property
    def name(self) -> str:
        """The kind's name, as PageRef.kind carries it."""
        ...

    @property
    def template(self) -> str:
        """Its template in layouts/ (never taken for a post layout)."""
        ...

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        """The URL path of one page of this kind."""
        ...

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        """The pages of this kind that a change of the table makes stale."""
        ...

    def enumerate(self, index: SiteIndex) -> Iterable[PageRef]:
        """Every page of this kind the table implies (for full builds and rebuilds)."""
        ...

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        """The page as bytes, from strongly consistent reads; None when it should not exist."""
        ...


class SinglePage:
    """The part of a PageKind that a kind with exactly one page, at a fixed path, shares."""

    name: str
    template: str
    path: str

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        return self.path

    def enumerate(self, index: SiteIndex) -> Iterable[PageRef]:
        yield PageRef(self.name)


def html_page(text: str, cache_class: str) -> RenderedPage:
    return RenderedPage(text.encode("utf-8"), HTML, CACHE_CONTROL[cache_class])
