"""Building index pages: each page a batch of table changes made stale, rendered once from
strongly consistent reads, written and verified; then the CDN is told of every change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from pressroom import pages
from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage
from pressroom.ports import InvalidationOutbox, PostRepository, SiteStore, StalePages
from pressroom.render import SiteRenderer
from pressroom.urls import key_for_url
from pressroom.usecases.cdn import Invalidations, PageWriter
from pressroom.usecases.mirror import settle


@dataclass
class IndexBuilder:
    """Render each stale index page once and write it."""

    renderer: SiteRenderer
    site: SiteStore
    repository: PostRepository
    outbox: InvalidationOutbox | None = None
    invalidations: Invalidations | None = None
    stale: StalePages | None = None

    @property
    def config(self) -> SiteConfig:
        return self.renderer.config

    def __call__(self, changes: Iterable[IndexChange], batch: str | None = None) -> list[str]:
        """Rebuild the pages these table changes made stale, then invalidate at the CDN every
        change the outbox holds (this batch's and the post pages'); the URLs of the pages that
        changed.

        The stale pages are recorded in the table first (under `batch`, the same for every
        retry of one stream batch) and forgotten once all of them are written and verified:
        if the batch never gets that far, whatever its retries, the record stays for
        `Rebuilder.repair_stale`, however late it runs."""
        refs = sorted(pages.stale_pages(changes, self.config))
        marks: list[str] = []
        if self.stale is not None and refs:
            marks = self.stale.mark(batch or uuid.uuid4().hex, refs)
        changed = self.build(refs)
        if marks and self.stale is not None:
            self.stale.clear(marks)
        if self.invalidations is not None:
            self.invalidations.flush()
        return changed

    def build(self, refs: Iterable[PageRef]) -> list[str]:
        """Write each page; the URLs whose objects changed."""
        return [
            pages.url_of(ref, self.renderer.urls) for ref in sorted(set(refs)) if self._write(ref)
        ]

    def _write(self, ref: PageRef) -> bool:
        """Render, write, then render again from fresh reads: if the table moved on meanwhile,
        write again. Whatever the interleaving of builds, the last write to a page is followed
        by a check against the table, so an older render never stays in place."""
        key = key_for_url(pages.url_of(ref, self.renderer.urls))
        changed = False

        def write(page: RenderedPage | None) -> None:
            nonlocal changed
            changed |= bool(PageWriter(self.site, self.outbox).write({key: page}))

        def read(_: RenderedPage | None) -> RenderedPage | None:
            return self._render(ref)

        settle(self._render(ref), write, read, lambda a, b: a == b, key)
        return changed

    def _render(self, ref: PageRef) -> RenderedPage | None:
        return pages.render(ref, self.repository, self.renderer)
