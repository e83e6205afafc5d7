"""Atom feeds (RFC 4287): the site's newest posts, and each category's and tag's."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from pressroom.config import SiteConfig
from pressroom.model import Entry, IndexChange, PageRef, RenderedPage, TaxonomyKind, TermCount
from pressroom.pages.base import CACHE_CONTROL
from pressroom.pages.landing import EVERY_DATE
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer
from pressroom.urls import SiteUrls

ATOM = "application/atom+xml; charset=utf-8"
# What Jekyll's URL escaping (Addressable's path component) leaves as it is.
_JEKYLL_SAFE = "/!$&'()*+,;=:@-._~"


def rfc3339(display_date: str) -> str:
    """A post's date as Atom writes it, with the post's own offset: `2026-01-17T07:46:06+08:00`."""
    return datetime.strptime(display_date, "%Y-%m-%d %H:%M:%S %z").isoformat()


def entry_id(url: str, urls: SiteUrls) -> str:
    """An entry's id: jekyll-feed's (the site URL and Jekyll's post id, which for a permalink
    ending in `:title.html` is the post's URL without `.html`, percent-encoded as Jekyll
    encodes URLs), so a migrated feed's subscribers see no entry twice; it changes only when
    the post's URL does."""
    return urls.config.url + quote(url.removesuffix(".html"), safe=_JEKYLL_SAFE)


@dataclass(frozen=True)
class Feed:
    """What a feed is made of, as read from the table."""

    term: TermCount | None
    entries: tuple[Entry, ...]

    @property
    def check(self) -> Hashable:
        return self.term, tuple(entry.version for entry in self.entries)


@dataclass(frozen=True)
class FeedPage:
    """The site's feed (`taxonomy` None) or the feeds of one taxonomy's terms."""

    taxonomy: TaxonomyKind | None

    @property
    def name(self) -> str:
        return f"feed_{self.taxonomy}" if self.taxonomy else "feed"

    @property
    def template(self) -> str:
        return "feed.xml"

    def url(self, ref: PageRef, urls: SiteUrls) -> str:
        return urls.feed(self.taxonomy, ref.term)

    def _enabled(self, config: SiteConfig) -> bool:
        return bool(SiteUrls.of(config).feed(self.taxonomy, "x"))

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        # A term's count and spelling change only with its listing (a post enters or leaves).
        if change.scope == "listing" and change.kind == self.taxonomy and self._enabled(config):
            yield PageRef(self.name, change.slug if self.taxonomy else "")

    def enumerate(self, index: SiteIndex, config: SiteConfig) -> Iterable[PageRef]:
        if not self._enabled(config):
            return
        if self.taxonomy is None:
            yield PageRef(self.name)
            return
        for term in index.terms(self.taxonomy):
            yield PageRef(self.name, term.slug)

    def snapshot(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Feed:
        term = index.term(self.taxonomy, ref.term) if self.taxonomy else None
        return Feed(term, tuple(index.newest(self.taxonomy, ref.term, config.feed_size)))

    def check(self, ref: PageRef, index: SiteIndex, config: SiteConfig) -> Hashable:
        """`snapshot(…).check` from the newest posts' keys and digests only."""
        term = index.term(self.taxonomy, ref.term) if self.taxonomy else None
        versions = index.versions(self.taxonomy, ref.term, *EVERY_DATE, config.feed_size)
        return term, tuple(versions)

    def present(self, ref: PageRef, snapshot: Feed, renderer: SiteRenderer) -> RenderedPage | None:
        """The feed exists while it has a post (and, for a term, while the term has posts)."""
        if not snapshot.entries:
            return None
        urls, config = renderer.urls, renderer.config
        term = snapshot.term
        if self.taxonomy is not None and (term is None or term.count <= 0):
            return None
        title = f"{config.title} · {term.name}" if term else config.title
        home = urls.landing(self.taxonomy, ref.term) if self.taxonomy else "/"
        feed_url = self.url(ref, urls)
        text = renderer.render(
            self.template,
            title=title,
            feed_id=urls.absolute(feed_url),
            feed_url=urls.absolute(feed_url),
            home_url=urls.absolute(home),
            author=config.author or config.title,
            updated=rfc3339(snapshot.entries[0].date),  # the newest post's
            entries=[
                {
                    "id": entry_id(entry.url, urls),
                    "title": entry.title,
                    "url": urls.absolute(entry.url),
                    "date": rfc3339(entry.date),
                    "summary": entry.excerpt,
                }
                for entry in snapshot.entries
            ],
        )
        return RenderedPage(text.encode("utf-8"), ATOM, CACHE_CONTROL["feed"])

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        return self.present(ref, self.snapshot(ref, index, renderer.config), renderer)


SITE = FeedPage(None)
CATEGORY = FeedPage("category")
TAG = FeedPage("tag")
