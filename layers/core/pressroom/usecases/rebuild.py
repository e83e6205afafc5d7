"""Repairing and re-rendering the whole site: reconcile the source bucket with the table (lost
notifications, lost deletes), then re-render every post page and every index page."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any

from pressroom import pages
from pressroom.errors import PressroomError
from pressroom.events import post_identity, spellings
from pressroom.model import Claim, PostRecord, SourceChange, UrlClaims, ranked
from pressroom.usecases.indexes import IndexBuilder
from pressroom.usecases.publish import Publisher

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Skipped:
    """Something a run could not do as asked (a version that no longer exists, a post that
    failed), and what it did instead."""

    key: str
    reason: str


@dataclass
class RebuildReport:
    """What a rebuild or a reconciliation did."""

    republished: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    posts: int = 0
    pages: int = 0
    stale_pages: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def misranked(records: list[PostRecord]) -> list[PostRecord]:
    """The claiming records whose status is not the one the rule gives them among every
    claim on their URL."""
    claims: dict[str, list[Claim]] = {}
    for record in records:
        if record.claim is not None:
            claims.setdefault(record.url, []).append(record.claim)
    return [
        record
        for record in sorted(records, key=lambda r: r.source_key)
        if record.claim is not None
        and ranked(record, UrlClaims(record.url, tuple(sorted(claims[record.url])))).status
        != record.status
    ]


@dataclass
class Rebuilder:
    """Repair and re-render, with bounded concurrency and progress reports."""

    publish: Publisher
    build_indexes: IndexBuilder
    progress: Progress = lambda stage, done, total: None

    def reconcile(self, workers: int = 4) -> RebuildReport:
        """Publish source objects the table lacks or holds at another version; take down posts
        whose source is gone."""
        report = RebuildReport()
        publish = self._reporting(report)
        source, repository = publish.source, publish.repository
        current = {key: source.current_version(key) for key in source.list_keys("posts/")}
        records = {record.source_key: record for record in repository.records()}
        rejected = {r.source_key: r.source_version for r in repository.rejections()}
        # A file name with several Unicode spellings is one post, resolved from all of them.
        spelled = sorted({post_identity(key) for key in current if len(spellings(key)) > 1})
        changes = []
        for key, version in sorted(current.items()):
            if len(spellings(key)) > 1:
                continue
            record = records.get(key)
            if rejected.get(key) == version:
                continue  # its rejection already describes this version
            if version is not None and (
                record is None or record.status == "deleted" or record.source_version != version
            ):
                changes.append(SourceChange(key, False, version))
                report.republished.append(key)
        for key, record in sorted(records.items()):
            if record.status != "deleted" and current.get(key) is None and key not in spelled:
                changes.append(SourceChange(key, True))
                report.removed.append(key)
        # A claim ranked otherwise than the rule ranks the table's claims (a waiting post whose
        # URL is free, an owner an earlier post displaced) had its re-send lost: send it again.
        queued = {change.key for change in changes}
        for record in misranked(list(records.values())):
            if record.source_key not in queued:
                key, version = record.source_key, record.source_version
                changes.append(SourceChange(key, False, version, record.sequencer))
                report.republished.append(key)
        self._run("reconcile", changes, publish, workers, report.skipped)
        self._reconcile_spellings(publish, spelled, report, workers)
        self._check_versions(publish, records, current, changes, spelled, report, workers)
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
        publish = self._reporting(report)
        records = [r for r in publish.repository.records() if r.live]
        self._run("posts", records, lambda r: publish.sync_page(r, None), workers, report.skipped)
        refs = sorted(pages.every_page(self.build_indexes.repository))
        build = self.build_indexes.build
        self._run("pages", refs, lambda ref: build([ref]), workers, report.skipped)
        report.posts, report.pages = len(records), len(refs)
        self._invalidate()
        return report

    def _invalidate(self) -> None:
        """Send what the invalidation outbox holds: this run's changes, and any an exhausted
        index batch left (the daily reconcile is the backstop of a quiet site)."""
        if self.build_indexes.invalidations is not None:
            self.build_indexes.invalidations.flush()

    def _reconcile_spellings(
        self, publish: Publisher, spelled: list[str], report: RebuildReport, workers: int
    ) -> None:
        """Resolve each post whose file name has several Unicode spellings from all of them
        (the one uploaded last is the post); listed as republished when that changed it."""
        changed: list[str] = []

        def resolve(change: SourceChange) -> None:
            if publish(change).result not in ("unchanged", "stale"):
                changed.append(change.key)

        repairs = [SourceChange(key, False) for key in spelled]
        self._run("spellings", repairs, resolve, workers, report.skipped)
        report.republished = sorted({*report.republished, *changed})

    def _check_versions(
        self,
        publish: Publisher,
        records: dict[str, PostRecord],
        current: dict[str, str | None],
        changes: list[SourceChange],
        spelled: list[str],
        report: RebuildReport,
        workers: int,
    ) -> None:
        """A live post whose newest upload was rejected shows an older version, which the
        source bucket's lifecycle rule expires: read it again, and where it is gone show what
        is current instead (or take the post down when nothing valid is)."""
        done = {change.key for change in changes} | set(spelled)
        older = [
            record
            for key, record in sorted(records.items())
            if record.live
            and key not in done
            and current.get(key) not in (None, record.source_version)
        ]
        self._run("versions", older, lambda r: publish.sync_page(r, None), workers, report.skipped)

    def _reporting(self, report: RebuildReport) -> Publisher:
        """The publisher, telling `report` what it skipped."""

        def skip(key: str, reason: str) -> None:
            report.skipped.append(Skipped(key, reason))

        return replace(self.publish, on_skip=skip)

    def _run(
        self,
        stage: str,
        items: list[Any],
        work: Callable[[Any], object],
        workers: int,
        skipped: list[Skipped] | None = None,
    ) -> None:
        """Do `work` on every item. With `skipped`, an item that fails (a PressroomError) is
        listed there and the run goes on; without, the first failure ends it."""
        done = 0
        self.progress(stage, done, len(items))
        with ThreadPoolExecutor(max(1, workers)) as pool:
            futures = {pool.submit(work, item): item for item in items}
            for future in as_completed(futures):
                try:
                    future.result()
                except PressroomError as error:
                    if skipped is None:
                        raise
                    skipped.append(Skipped(_name(futures[future]), f"failed: {error}"))
                done += 1
                self.progress(stage, done, len(items))


def _name(item: Any) -> str:
    if isinstance(item, SourceChange):
        return item.key
    if isinstance(item, PostRecord):
        return item.source_key
    return str(item)
