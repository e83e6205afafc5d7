"""What every kind of page is: its URL, what makes it stale, how to enumerate and render it."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Protocol, runtime_checkable

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
    "feed": "public, max-age=600, s-maxage=3600",
    "robots": "public, max-age=3600",
    "sitemap": "public, max-age=3600",
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

    def enumerate(self, index: SiteIndex, config: SiteConfig) -> Iterable[PageRef]:
        """Every page of this kind the table implies (for full builds and rebuilds)."""
        ...

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        """The page as bytes, from strongly consistent reads; None when it should not exist."""
        ...


@runtime_checkable
class CheckedKind(Protocol):
    """A kind whose written page is verified against a cheap read of its inputs instead of a
    second render: `snapshot` reads what the page is made of, `present` renders it, and
    `check` reads again only what tells whether that changed (keys, digests, counts), equal to
    the snapshot's `check` exactly when the page would render the same."""

    def snapshot(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Any: ...

    def present(
        self, ref: PageRef, snapshot: Any, renderer: SiteRenderer
    ) -> RenderedPage | None: ...

    def check(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Hashable: ...


class SinglePage:
    """The part of a PageKind that a kind with exactly one page, at a fixed path, shares."""

    name: str
    template: str
    path: str

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        return self.path

    def enumerate(self, index: SiteIndex, config: SiteConfig) -> Iterable[PageRef]:
        yield PageRef(self.name)


def html_page(text: str, cache_class: str) -> RenderedPage:
    return RenderedPage(text.encode("utf-8"), HTML, CACHE_CONTROL[cache_class])
