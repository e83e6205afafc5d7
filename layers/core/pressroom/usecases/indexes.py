"""Building index pages: each page a batch of table changes made stale, rendered once from
strongly consistent reads, written and verified; then the CDN is told of every change."""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from pressroom import pages
from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage, SourceChange
from pressroom.pages.base import CheckedKind
from pressroom.ports import (
    ChangeQueue,
    InvalidationOutbox,
    PostRepository,
    SiteStore,
    StalePages,
)
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
    requeue: ChangeQueue | None = None
    # Off only where nothing else writes the table meanwhile (a folder build): no check after
    # the write.
    verified: bool = True

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
        `Rebuilder.repair_stale`, however late it runs.

        A URL whose claims are contested or whose owner changed has its claimants sent back
        to RenderPost first (see `requeue_claimants`)."""
        changes = list(changes)
        self.requeue_claimants(sorted({c.slug for c in changes if c.scope == "claims"}))
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

    def requeue_claimants(self, urls: list[str]) -> list[SourceChange]:
        """Send every post claiming one of these URLs back to the ingest queue, with the
        version and sequencer its record holds: RenderPost sees a change it has seen and
        decides only who owns the URL again (a waiting post whose URL became free is
        published, an owner an earlier post displaced waits), from fresh reads, whatever the
        delay. A stream record is retried until this succeeds."""
        if self.requeue is None or not urls:
            return []
        changes = []
        for url in urls:
            for claim in self.repository.url_claims(url).claims:
                record = self.repository.load(claim.source_key).record
                if record is not None and record.claim is not None:
                    key, version = record.source_key, record.source_version
                    changes.append(SourceChange(key, False, version, record.sequencer))
        if changes:
            self.requeue.send(changes)
        return changes

    def build(self, refs: Iterable[PageRef]) -> list[str]:
        """Write each page; the URLs whose objects changed."""
        return [
            pages.url_of(ref, self.renderer.urls) for ref in sorted(set(refs)) if self._write(ref)
        ]

    def _write(self, ref: PageRef) -> bool:
        """Render, write, then check against fresh reads: if the table moved on meanwhile,
        render and write again. Whatever the interleaving of builds, the last write to a page
        is followed by a check against the table, so an older render never stays in place.

        The check of a `CheckedKind` (the archive pages) reads only keys, digests and counts
        and compares them with those the render was made from (equal exactly when a render
        now would give the same page); other kinds are rendered again."""
        key = key_for_url(pages.url_of(ref, self.renderer.urls))
        kind = pages.kind_of(ref)
        changed = False

        def put(page: RenderedPage | None) -> None:
            nonlocal changed
            changed |= bool(PageWriter(self.site, self.outbox).write({key: page}))

        if not self.verified:
            put(self._render(ref))
            return changed
        if isinstance(kind, CheckedKind):
            checked = kind

            def snapshot() -> tuple[Hashable, RenderedPage | None]:
                taken = checked.snapshot(ref, self.repository, self.config)
                return taken.check, checked.present(ref, taken, self.renderer)

            def read(
                state: tuple[Hashable, RenderedPage | None],
            ) -> tuple[Hashable, RenderedPage | None]:
                now = checked.check(ref, self.repository, self.config)
                return state if now == state[0] else snapshot()

            settle(snapshot(), lambda state: put(state[1]), read, lambda a, b: a is b, key)
            return changed

        def render(_: RenderedPage | None) -> RenderedPage | None:
            return self._render(ref)

        settle(self._render(ref), put, render, lambda a, b: a == b, key)
        return changed

    def _render(self, ref: PageRef) -> RenderedPage | None:
        return pages.render(ref, self.repository, self.renderer)
