"""A category's or tag's landing page: its newest posts and links to its month archives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pressroom.config import SiteConfig
from pressroom.model import (
    Archive,
    Entry,
    IndexChange,
    PageRef,
    RenderedPage,
    TaxonomyKind,
    TermCount,
)
from pressroom.pages.base import html_page
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer
from pressroom.urls import SiteUrls


def render_listing(
    renderer: SiteRenderer,
    kind: TaxonomyKind,
    term: TermCount,
    entries: list[Entry],
    archives: list[Archive],
    month: str = "",
    page_url: str = "",
) -> str:
    """A category or tag listing: the landing page, or with `month` one archive page (a
    month, day or hour at `page_url`; `archives` then links its days or hours)."""
    urls = renderer.urls
    return renderer.render(
        f"{kind}.html",
        kind=kind,
        term=term,
        entries=entries,
        archives=archives,
        month=month,
        landing_url=urls.landing(kind, term.slug),
        page={"title": f"{term.name} {month}".strip()},
        page_url=page_url
        or (urls.archive(kind, term.slug, month) if month else urls.landing(kind, term.slug)),
        month_url=urls.archive(kind, term.slug, month[:7]) if month else "",
    )


@dataclass(frozen=True)
class LandingPage:
    taxonomy: TaxonomyKind

    @property
    def name(self) -> str:
        return self.taxonomy

    @property
    def template(self) -> str:
        return f"{self.taxonomy}.html"

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        return urls.landing(self.taxonomy, ref.term)

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        if change.kind == self.taxonomy:
            yield PageRef(self.name, change.slug)

    def enumerate(self, index: SiteIndex, config: SiteConfig) -> Iterable[PageRef]:
        for term in index.terms(self.taxonomy):
            yield PageRef(self.name, term.slug)

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        kind, slug = self.taxonomy, ref.term
        term = index.term(kind, slug)
        if term is None or term.count <= 0:
            return None
        archives = [
            Archive(month, count, renderer.urls.archive(kind, slug, month))
            for month, count in index.months(kind, slug)
            if count > 0
        ]
        entries = index.newest(kind, slug, renderer.config.listing_size)
        return html_page(render_listing(renderer, kind, term, entries, archives), "index")


CATEGORY = LandingPage("category")
TAG = LandingPage("tag")
