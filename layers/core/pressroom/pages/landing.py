"""A category's or tag's landing page: its newest posts and links to its month archives."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
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


# A key range holding every listing item (their sort keys start with a UTC date).
EVERY_DATE = ("0", "9~")


@dataclass(frozen=True)
class Landing:
    """What a landing page is made of, as read from the table."""

    term: TermCount | None
    months: tuple[tuple[str, int], ...]
    entries: tuple[Entry, ...]

    @property
    def check(self) -> Hashable:
        return self.term, self.months, tuple(entry.version for entry in self.entries)


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

    def snapshot(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Landing:
        kind, slug = self.taxonomy, ref.term
        term = index.term(kind, slug)
        months = tuple((m, c) for m, c in index.months(kind, slug) if c > 0)
        return Landing(term, months, tuple(index.newest(kind, slug, config.listing_size)))

    def check(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Hashable:
        """`snapshot(…).check` with the newest posts' keys and digests only."""
        kind, slug = self.taxonomy, ref.term
        term = index.term(kind, slug)
        months = tuple((m, c) for m, c in index.months(kind, slug) if c > 0)
        return term, months, tuple(index.versions(kind, slug, *EVERY_DATE, config.listing_size))

    def present(
        self, ref: PageRef, snapshot: Landing, renderer: SiteRenderer
    ) -> RenderedPage | None:
        kind, slug, term = self.taxonomy, ref.term, snapshot.term
        if term is None or term.count <= 0:
            return None
        archives = [
            Archive(month, count, renderer.urls.archive(kind, slug, month))
            for month, count in snapshot.months
        ]
        entries = list(snapshot.entries)
        return html_page(render_listing(renderer, kind, term, entries, archives), "index")

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        return self.present(ref, self.snapshot(ref, index, renderer.config), renderer)


CATEGORY = LandingPage("category")
TAG = LandingPage("tag")
