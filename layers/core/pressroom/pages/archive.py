"""A category's or tag's month archive: every post of that month, a stable page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pressroom.config import SiteConfig
from pressroom.model import (
    IndexChange,
    PageRef,
    RenderedPage,
    TaxonomyKind,
    TermCount,
    parse_utc_text,
    utc_text,
)
from pressroom.pages.base import html_page
from pressroom.pages.landing import render_listing
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer
from pressroom.urls import SiteUrls


def month_bounds(month: str, config: SiteConfig) -> tuple[str, str]:
    """The UTC range [start, end) of a month in the site's time zone."""
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=config.zone)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=config.zone)
    return utc_text(start), utc_text(end)


@dataclass(frozen=True)
class ArchivePage:
    taxonomy: TaxonomyKind

    @property
    def name(self) -> str:
        return f"{self.taxonomy}_archive"

    @property
    def template(self) -> str:
        return f"{self.taxonomy}.html"

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        return urls.archive(self.taxonomy, ref.term, ref.month)

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        if change.scope == "listing" and change.kind == self.taxonomy and change.date_utc:
            month = config.month_of(parse_utc_text(change.date_utc))
            yield PageRef(self.name, change.slug, month)

    def enumerate(self, index: SiteIndex) -> Iterable[PageRef]:
        for term in index.terms(self.taxonomy):
            for month, count in index.months(self.taxonomy, term.slug):
                if count > 0:
                    yield PageRef(self.name, term.slug, month)

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        """A month page depends on that month's posts only (so a new post elsewhere never makes
        it stale): its name is the spelling most of them use."""
        start, end = month_bounds(ref.month, renderer.config)
        entries = index.between(self.taxonomy, ref.term, start, end)
        if not entries:
            return None
        spellings = Counter(entry.name or ref.term for entry in entries)
        name = min(spellings, key=lambda n: (-spellings[n], n))
        term = TermCount(ref.term, name, len(entries))
        text = render_listing(renderer, self.taxonomy, term, entries, [], ref.month)
        return html_page(text, "index")


CATEGORY = ArchivePage("category")
TAG = ArchivePage("tag")
