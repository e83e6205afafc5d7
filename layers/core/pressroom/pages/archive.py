"""A category's or tag's archive: stable pages of at most `archive_page_size` posts each.

How a period's posts are cut into pages depends on its counts only (so on the final sources):
a month with at most N posts is one page listing them; a month with more is a page linking its
days (with their counts), and each of its days is a page; a day with more than N posts links its
hours, and each of its hours is a page. An hour is never split further: it lists all its posts.
The month keeps its URL; day and hour pages live under it (`urls` below).

A post entering, leaving or moving rewrites the pages of its period and their parents: the
month page, plus the day page of a split month, plus the hour page of a split day. A month or
day whose count crosses N (either way) is cut again once: its children pages are written or
deleted, together holding at most N + 1 posts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pressroom.config import SiteConfig
from pressroom.model import (
    Archive,
    Entry,
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

MONTH, DAY, HOUR = 7, 10, 13  # the length of a period's text: `YYYY-MM`, `-DD`, `THH`


def period_bounds(period: str, config: SiteConfig) -> tuple[str, str]:
    """The UTC range [start, end) of a month, day or hour in the site's time zone."""
    year, mon = int(period[0:4]), int(period[5:7])
    if len(period) == MONTH:
        start = datetime(year, mon, 1, tzinfo=config.zone)
        end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=config.zone)
        return utc_text(start), utc_text(end)
    day = int(period[8:10])
    if len(period) == DAY:
        start = datetime(year, mon, day, tzinfo=config.zone)
        following = (start + timedelta(days=1)).date()
        end = datetime(following.year, following.month, following.day, tzinfo=config.zone)
        return utc_text(start), utc_text(end)
    start = datetime(year, mon, day, int(period[11:13]), tzinfo=config.zone)
    return utc_text(start), utc_text(start + timedelta(hours=1))


def month_bounds(month: str, config: SiteConfig) -> tuple[str, str]:
    """The UTC range [start, end) of a month in the site's time zone."""
    return period_bounds(month, config)


def parent(period: str) -> str:
    return period[:DAY] if len(period) == HOUR else period[:MONTH]


def children(period: str) -> list[str]:
    """Every day of a month, or every hour of a day."""
    if len(period) == DAY:
        return [f"{period}T{hour:02d}" for hour in range(24)]
    year, mon = int(period[0:4]), int(period[5:7])
    first = datetime(year, mon, 1)
    days = ((first + timedelta(days=32)).replace(day=1) - first).days
    return [f"{period}-{day:02d}" for day in range(1, days + 1)]


def is_split(period: str, counts: dict[str, int], size: int) -> bool:
    """Whether a period's page links its children instead of listing its posts."""
    return len(period) < HOUR and counts.get(period, 0) > size


def exists(period: str, counts: dict[str, int], size: int) -> bool:
    """A period has a page when it has posts and it is a month or its parent is split."""
    if counts.get(period, 0) <= 0:
        return False
    return len(period) == MONTH or is_split(parent(period), counts, size)


def period_url(urls: SiteUrls, kind: TaxonomyKind, slug: str, period: str) -> str:
    """The month's archive URL; a day's and an hour's below it (`…/2026-01/15.html`,
    `…/2026-01/15/09.html` for the default `…/:year-:month.html`)."""
    url = urls.archive(kind, slug, period[:MONTH])
    if len(period) == MONTH:
        return url
    below = period[8:10] if len(period) == DAY else f"{period[8:10]}/{period[11:13]}"
    for ending in (".html", "/"):
        if url.endswith(ending):
            return f"{url.removesuffix(ending)}/{below}{ending}"
    return f"{url}/{below}"


def period_refs(name: str, slug: str, change: IndexChange, size: int) -> Iterable[PageRef]:
    """The pages of kind `name` a month counter's image makes stale, for pages cut at `size`
    posts: the day page of each changed hour when the month is split, and the hour's page
    when its day is split, in that image; and a month or day at N + 1 in the image crossed N
    (a count moves by one a commit): it and every child page (written or deleted once)."""
    counts = dict(change.counts)
    for period, count in change.counts:
        if len(period) == HOUR:
            if is_split(period[:MONTH], counts, size):
                yield PageRef(name, slug, period[:DAY])
                if is_split(period[:DAY], counts, size):
                    yield PageRef(name, slug, period)
        elif count == size + 1:
            yield PageRef(name, slug, period)
            for child in children(period):
                yield PageRef(name, slug, child)


@dataclass(frozen=True)
class Snapshot:
    """What one archive page is made of, as read from the table."""

    counts: tuple[tuple[str, int], ...]
    entries: tuple[Entry, ...]

    @property
    def check(self) -> Hashable:
        return self.counts, tuple(entry.version for entry in self.entries)


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
        return period_url(urls, self.taxonomy, ref.term, ref.month)

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        """A listing change: the post's month page. A month counter's image (before or after
        a commit; see `IndexChange.counts`): the day page of each hour the commit changed
        when the month is split, and the hour's page when its day is split, in that image;
        and a month or day whose count is N + 1 in the image crossed N (a count moves by one
        a commit): it and every child page are stale (written or deleted once)."""
        if change.kind != self.taxonomy:
            return
        if change.scope == "listing" and change.date_utc:
            month = config.month_of(parse_utc_text(change.date_utc))
            yield PageRef(self.name, change.slug, month)
        elif change.scope == "months":
            yield from period_refs(self.name, change.slug, change, config.archive_page_size)

    def enumerate(self, index: SiteIndex, config: SiteConfig) -> Iterable[PageRef]:
        size = config.archive_page_size
        for term in index.terms(self.taxonomy):
            for month, count in index.months(self.taxonomy, term.slug):
                if count <= 0:
                    continue
                counts = index.periods(self.taxonomy, term.slug, month) if count > size else {}
                counts[month] = count
                for period in sorted(counts):
                    if exists(period, counts, size):
                        yield PageRef(self.name, term.slug, period)

    def snapshot(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Snapshot:
        """The counts the page depends on, then its posts (a split page: the newest one only,
        whose spelling names the term)."""
        counts, size = self._counts(ref, index, config)
        if not exists(ref.month, counts, size):
            return Snapshot(relevant_counts(ref.month, counts), ())
        start, end = period_bounds(ref.month, config)
        limit = 1 if is_split(ref.month, counts, size) else _listed(ref.month, size)
        entries = index.between(self.taxonomy, ref.term, start, end, limit)
        return Snapshot(relevant_counts(ref.month, counts), tuple(entries))

    def check(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Hashable:
        """`snapshot(…).check` from the counter and the listing's keys and digests only."""
        counts, size = self._counts(ref, index, config)
        if not exists(ref.month, counts, size):
            return relevant_counts(ref.month, counts), ()
        start, end = period_bounds(ref.month, config)
        limit = 1 if is_split(ref.month, counts, size) else _listed(ref.month, size)
        versions = index.versions(self.taxonomy, ref.term, start, end, limit)
        return relevant_counts(ref.month, counts), tuple(versions)

    def present(
        self, ref: PageRef, snapshot: Snapshot, renderer: SiteRenderer
    ) -> RenderedPage | None:
        counts = dict(snapshot.counts)
        size = renderer.config.archive_page_size
        if not exists(ref.month, counts, size) or not snapshot.entries:
            return None
        entries = list(snapshot.entries)
        spellings = Counter(entry.name or ref.term for entry in entries)
        name = min(spellings, key=lambda n: (-spellings[n], n))
        term = TermCount(ref.term, name, counts[ref.month])
        archives: list[Archive] = []
        if is_split(ref.month, counts, size):
            entries = []
            archives = [
                Archive(
                    child,
                    counts[child],
                    self.url(PageRef(self.name, ref.term, child), renderer.urls),
                    child[8:10] if len(child) == DAY else f"{child[11:13]}:00",
                )
                for child in children(ref.month)
                if counts.get(child, 0) > 0
            ]
        text = render_listing(
            renderer,
            self.taxonomy,
            term,
            entries,
            archives,
            ref.month,
            page_url=self.url(ref, renderer.urls),
        )
        return html_page(text, "index")

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        """A period's page depends on that period's posts and counts only (so a new post
        elsewhere never makes it stale)."""
        return self.present(ref, self.snapshot(ref, index, renderer.config), renderer)

    def _counts(
        self, ref: PageRef, index: SiteIndex, config: SiteConfig
    ) -> tuple[dict[str, int], int]:
        return index.periods(self.taxonomy, ref.term, ref.month[:MONTH]), config.archive_page_size


def _listed(period: str, size: int) -> int | None:
    """How many posts a listing page reads: at most N, all of an hour's."""
    return None if len(period) == HOUR else size


def relevant_counts(period: str, counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The counts a period's page depends on: its own and its parents' and its children's."""
    return tuple(
        (other, count)
        for other, count in sorted(counts.items())
        if other.startswith(period) or period.startswith(other)
    )


CATEGORY = ArchivePage("category")
TAG = ArchivePage("tag")
