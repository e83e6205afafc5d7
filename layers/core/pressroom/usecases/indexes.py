"""Building index pages: each page a batch of table changes made stale, rendered once from
strongly consistent reads, written, verified, and invalidated at the CDN."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pressroom import pages
from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage
from pressroom.ports import Invalidator, PostRepository, SiteStore
from pressroom.render import SiteRenderer
from pressroom.urls import href, key_for_url
from pressroom.usecases.mirror import settle


@dataclass
class IndexBuilder:
    """Render each stale index page once and write it."""

    renderer: SiteRenderer
    site: SiteStore
    repository: PostRepository
    invalidator: Invalidator | None = None

    @property
    def config(self) -> SiteConfig:
        return self.renderer.config

    def __call__(self, changes: Iterable[IndexChange]) -> list[str]:
        """Rebuild the pages these table changes made stale; the URLs whose objects changed."""
        return self.build(pages.stale_pages(changes, self.config))

    def build(self, refs: Iterable[PageRef]) -> list[str]:
        """Write each page; the URLs whose objects changed, invalidated together."""
        changed = [
            pages.url_of(ref, self.renderer.urls) for ref in sorted(set(refs)) if self._write(ref)
        ]
        if self.invalidator is not None and changed:
            self.invalidator.invalidate([href(url) for url in changed])
        return changed

    def _write(self, ref: PageRef) -> bool:
        """Render, write, then render again from fresh reads: if the table moved on meanwhile,
        write again. Whatever the interleaving of builds, the last write to a page is followed
        by a check against the table, so an older render never stays in place."""
        key = key_for_url(pages.url_of(ref, self.renderer.urls))
        changed = False

        def write(page: RenderedPage | None) -> None:
            nonlocal changed
            if page is None:
                changed |= self.site.delete_page(key)
            else:
                changed |= self.site.put_page(key, page)

        def read(_: RenderedPage | None) -> RenderedPage | None:
            return self._render(ref)

        settle(self._render(ref), write, read, lambda a, b: a == b, key)
        return changed

    def _render(self, ref: PageRef) -> RenderedPage | None:
        return pages.render(ref, self.repository, self.renderer)
