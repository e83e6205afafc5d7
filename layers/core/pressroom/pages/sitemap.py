"""Sitemaps (sitemaps.org 0.9): an index at `sitemap_path` and its shards named after it, at
the root too (a sitemap may only list URLs under its own folder). The `pages` shard lists the
home page; each post shard lists the posts of one month of the site, with the landing page and
the month's archive page of each of their categories and tags. A month with more than
`sitemap_size` posts is split by day, and such a day by hour, exactly as archive pages are
(`pages.archive`), so a shard lists at most `sitemap_size` posts (an hour is never split) and
one post rewrites one shard, whatever the size of the site. The index changes only when the
set of shards does.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

from pressroom.config import SiteConfig
from pressroom.model import IndexChange, Located, PageRef, RenderedPage
from pressroom.pages.archive import (
    DAY,
    HOUR,
    MONTH,
    children,
    exists,
    is_split,
    period_bounds,
    period_refs,
    relevant_counts,
)
from pressroom.pages.base import CACHE_CONTROL, SinglePage
from pressroom.pages.feed import rfc3339
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer
from pressroom.urls import SiteUrls

XML = "application/xml; charset=utf-8"
# The protocol's limits on one file: URLs (or sitemaps) and bytes, and a URL's length.
MAX_URLS = 50_000
MAX_BYTES = 50 * 1024 * 1024
MAX_LOC = 2048
# What a URL keeps unescaped in a sitemap: RFC 3986's unreserved and path characters, but
# `+` and `&` (S3 behind CloudFront reads a literal `+` as a space).
_LOC_SAFE = "/-._~!$'()*,;=:@"
# Bytes of a shard's XML around its entries, and of one entry around its URL and date.
_SHARD_FRAME = 200
_ENTRY_FRAME = 50


def location(url: str, urls: SiteUrls) -> str:
    """A page's absolute URL as a sitemap writes it: every byte but the safe ones
    percent-encoded (so the file is ASCII and needs no XML escape)."""
    return urls.config.url + quote(url, safe=_LOC_SAFE)


def is_leaf(period: str, counts: dict[str, int], size: int) -> bool:
    """A period has a shard when it has posts, is not split, and is a month or a child of a
    split period."""
    return exists(period, counts, size) and not is_split(period, counts, size)


def leaves(month: str, counts: dict[str, int], size: int) -> list[str]:
    """The periods of one month that have a shard, oldest first."""
    periods = [month]
    for day in children(month) if is_split(month, counts, size) else []:
        periods.append(day)
        if is_split(day, counts, size):
            periods += children(day)
    return [period for period in periods if is_leaf(period, counts, size)]


def shard_set_may_change(counts: dict[str, int], size: int) -> bool:
    """Whether an image of the site's month counter shows a commit that may have added or
    removed a shard: the month or a day at N + 1 (it was, or is now, split: an old image's
    `changed` hours are the commit before's, so every day is looked at), or a period of the
    image's changed hours at 1 post (it had none before, or has none after). A count moves by
    one a commit."""
    if any(count == size + 1 for period, count in counts.items() if len(period) < HOUR):
        return True
    month = next((period for period in counts if len(period) == MONTH), "")
    periods = [month] if month else []
    if is_split(month, counts, size):
        hours = [period for period in counts if len(period) == HOUR]
        periods += [hour[:DAY] for hour in hours]
        periods += [hour for hour in hours if is_split(hour[:DAY], counts, size)]
    return any(counts.get(period, 0) <= 1 for period in periods)


@dataclass(frozen=True)
class Shard:
    """What one shard is made of, as read from the table (the pages shard: whether the site
    has a post)."""

    counts: tuple[tuple[str, int], ...]
    posts: tuple[Located, ...] = ()
    live: bool = False

    @property
    def check(self) -> Hashable:
        return self.counts, tuple(post.version for post in self.posts), self.live


@dataclass(frozen=True)
class ShardPage:
    """The `pages` shard (`ref.month` "") and the post shards (`ref.month` a period)."""

    name: str = "sitemap"
    template: str = "sitemap.xml"

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        return urls.sitemap(ref.month)

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        """A post entering, leaving or changing in the site's listing: the pages shard (it
        exists while the site has a post). The site's month counter, whose `changed` hours
        name the posts a commit changed: the month's shard, or in a split month the day's or
        the hour's, and every shard of a period that crossed N (`pages.archive.period_refs`),
        so a post costs the same reads whether its month is split or not."""
        if not config.sitemap_path or change.kind is not None:
            return
        if change.scope == "listing" and change.date_utc:
            yield PageRef(self.name)
        elif change.scope == "months":
            size, counts = config.sitemap_size, dict(change.counts)
            for period in counts:
                if len(period) == HOUR and not is_split(period[:MONTH], counts, size):
                    yield PageRef(self.name, "", period[:MONTH])
            yield from period_refs(self.name, "", change, size)

    def enumerate(self, index: SiteIndex, config: SiteConfig) -> Iterable[PageRef]:
        if not config.sitemap_path:
            return
        for period in shard_periods(index, config):
            yield PageRef(self.name, "", period)

    def _counts(
        self, ref: PageRef, index: SiteIndex, config: SiteConfig
    ) -> tuple[tuple[tuple[str, int], ...], bool]:
        """The counts a period's shard depends on, and whether it has one."""
        counts = index.periods(None, "", ref.month[:MONTH])
        return relevant_counts(ref.month, counts), is_leaf(ref.month, counts, config.sitemap_size)

    def snapshot(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Shard:
        if not ref.month:
            return Shard((), live=bool(index.newest(None, "", 1)))
        relevant, leaf = self._counts(ref, index, config)
        if not leaf:
            return Shard(relevant, ())
        return Shard(relevant, tuple(index.located(*period_bounds(ref.month, config))))

    def check(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Hashable:
        """`snapshot(…).check` from the counter and the listing's keys and digests only."""
        if not ref.month:
            return (), (), bool(index.newest(None, "", 1))
        relevant, leaf = self._counts(ref, index, config)
        if not leaf:
            return relevant, (), False
        start, end = period_bounds(ref.month, config)
        return relevant, tuple(index.versions(None, "", start, end, None)), False

    def present(self, ref: PageRef, snapshot: Shard, renderer: SiteRenderer) -> RenderedPage | None:
        urls = renderer.urls
        if not ref.month:
            return _urlset(renderer, [(location("/", urls), "")]) if snapshot.live else None
        if not snapshot.posts:
            return None
        month = ref.month[:MONTH]
        entries = [(location(post.url, urls), rfc3339(post.date)) for post in snapshot.posts]
        listed: list[tuple[str, str]] = []
        seen: set[str] = set()
        for post in snapshot.posts:
            for kind, slug in post.terms:
                for url in (urls.landing(kind, slug), urls.archive(kind, slug, month)):
                    if url not in seen:
                        seen.add(url)
                        listed.append((location(url, urls), ""))
        return _urlset(renderer, entries + listed)

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        return self.present(ref, self.snapshot(ref, index, renderer.config), renderer)


class IndexPage(SinglePage):
    name = "sitemap_index"
    template = "sitemap_index.xml"

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        return urls.config.sitemap_path

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        if not config.sitemap_path or change.kind is not None:
            return
        if change.scope == "months" and shard_set_may_change(
            dict(change.counts), config.sitemap_size
        ):
            yield PageRef(self.name)

    def enumerate(self, index: SiteIndex, config: SiteConfig) -> Iterable[PageRef]:
        if config.sitemap_path:
            yield PageRef(self.name)

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        """The pages shard, then every post shard, oldest first."""
        periods = shard_periods(index, renderer.config)
        if not periods:
            return None
        urls = renderer.urls
        shards = [location(urls.sitemap(period), urls) for period in periods]
        text = renderer.render(self.template, sitemaps=shards[:MAX_URLS])
        return RenderedPage(text.encode("utf-8"), XML, CACHE_CONTROL["sitemap"])


def shard_periods(index: SiteIndex, config: SiteConfig) -> list[str]:
    """Every shard the table implies: "" (the pages shard), then each period with one."""
    size = config.sitemap_size
    periods: list[str] = []
    for month, count in reversed(index.months(None, "")):
        if count <= 0:
            continue
        counts = index.periods(None, "", month) if count > size else {month: count}
        periods += leaves(month, counts, size)
    return ["", *periods] if periods else []


def _urlset(renderer: SiteRenderer, entries: list[tuple[str, str]]) -> RenderedPage:
    """A shard of these (URL, lastmod) in order, within the protocol's limits: a URL longer
    than it allows is left out, and so is what would pass 50,000 URLs or 50 MB."""
    kept: list[dict[str, str]] = []
    size = _SHARD_FRAME
    for loc, lastmod in entries:
        if len(loc) > MAX_LOC:
            continue
        size += len(loc) + len(lastmod) + _ENTRY_FRAME
        if len(kept) == MAX_URLS or size > MAX_BYTES:
            break
        kept.append({"loc": loc, "lastmod": lastmod})
    text = renderer.render("sitemap.xml", entries=kept)
    return RenderedPage(text.encode("utf-8"), XML, CACHE_CONTROL["sitemap"])


SHARD = ShardPage()
INDEX = IndexPage()
