"""Repairing and re-rendering the whole site: reconcile the source bucket with the table (lost
notifications, lost deletes), then re-render every post page and every index page."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from pressroom import pages
from pressroom.model import SourceChange
from pressroom.usecases.indexes import IndexBuilder
from pressroom.usecases.publish import Publisher

Progress = Callable[[str, int, int], None]


@dataclass
class RebuildReport:
    """What a rebuild or a reconciliation did."""

    republished: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    posts: int = 0
    pages: int = 0
    stale_pages: int = 0


@dataclass
class Rebuilder:
    """Repair and re-render, with bounded concurrency and progress reports."""

    publish: Publisher
    build_indexes: IndexBuilder
    progress: Progress = lambda stage, done, total: None

    def reconcile(self, workers: int = 4) -> RebuildReport:
        """Publish source objects the table lacks or holds at another version; take down posts
        whose source is gone."""
        source, repository = self.publish.source, self.publish.repository
        current = {key: source.current_version(key) for key in source.list_keys("posts/")}
        records = {record.source_key: record for record in repository.records()}
        rejected = {r.source_key: r.source_version for r in repository.rejections()}
        report = RebuildReport()
        changes = []
        for key, version in sorted(current.items()):
            record = records.get(key)
            if rejected.get(key) == version:
                continue  # its rejection already describes this version
            if version is not None and (
                record is None or record.status == "deleted" or record.source_version != version
            ):
                changes.append(SourceChange(key, False, version))
                report.republished.append(key)
        for key, record in sorted(records.items()):
            if record.status != "deleted" and current.get(key) is None:
                changes.append(SourceChange(key, True))
                report.removed.append(key)
        self._run("reconcile", changes, self.publish, workers)
        report.stale_pages = self.repair_stale(workers)
        self._invalidate()
        return report

    def repair_stale(self, workers: int = 4) -> int:
        """Rebuild every page an index batch recorded as stale and has not cleared (one that
        exhausted its retries, however long ago, or one still being tried: building a page
        twice changes nothing), then forget the records read; the number of pages."""
        stale = self.build_indexes.stale
        if stale is None:
            return 0
        marks = stale.pending()
        kinds = {kind.name for kind in pages.REGISTRY}
        refs = sorted({ref for mark in marks for ref in mark.pages if ref.kind in kinds})
        self._run("stale", refs, lambda ref: self.build_indexes.build([ref]), workers)
        stale.clear([mark.id for mark in marks])
        return len(refs)

    def rebuild(self, workers: int = 4) -> RebuildReport:
        """Re-render every post and every index page (after a template or configuration change);
        unchanged pages are not rewritten."""
        report = self.reconcile(workers)
        records = [r for r in self.publish.repository.records() if r.live]
        self._run("posts", records, lambda record: self.publish.sync_page(record, None), workers)
        refs = sorted(pages.every_page(self.build_indexes.repository))
        self._run("pages", refs, lambda ref: self.build_indexes.build([ref]), workers)
        report.posts, report.pages = len(records), len(refs)
        self._invalidate()
        return report

    def _invalidate(self) -> None:
        """Send what the invalidation outbox holds: this run's changes, and any an exhausted
        index batch left (the daily reconcile is the backstop of a quiet site)."""
        if self.build_indexes.invalidations is not None:
            self.build_indexes.invalidations.flush()

    def _run(
        self, stage: str, items: list[Any], work: Callable[[Any], object], workers: int
    ) -> None:
        done = 0
        self.progress(stage, done, len(items))
        with ThreadPoolExecutor(max(1, workers)) as pool:
            for future in as_completed([pool.submit(work, item) for item in items]):
                future.result()
                done += 1
                self.progress(stage, done, len(items))
