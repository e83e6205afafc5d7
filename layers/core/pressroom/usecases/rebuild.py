"""Repairing and re-rendering the whole site: reconcile the source bucket with the table (lost
notifications, lost deletes), then re-render every post page and every index page."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, cast

from pressroom import pages
from pressroom.errors import PermanentError, PressroomError
from pressroom.events import post_identity, spellings
from pressroom.model import (
    Claim,
    PostRecord,
    SourceChange,
    TaxonomyKind,
    TermCount,
    UrlClaims,
    ranked,
)
from pressroom.ports import Invalidator, SiteIndex
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
    # The queue, listing and job counts of a fanned-out rebuild (None: in one process only).
    fanout: FanOut | None = None

    def fanned(self, time_left: Callable[[], float]) -> FannedRebuild:
        """The rebuild as a job of messages; `time_left` tells a plan step how many seconds
        its invocation has left."""
        return FannedRebuild(self, self.fanout, time_left)

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
        return self.rerender(workers, report)

    def rerender(self, workers: int = 4, report: RebuildReport | None = None) -> RebuildReport:
        """Re-render every post and every index page in this process."""
        report = report or RebuildReport()
        publish = self._reporting(report)
        records = [r for r in publish.repository.records() if r.live]
        self._run("posts", records, lambda r: publish.sync_page(r, None), workers, report.skipped)
        refs = sorted(pages.every_page(self.build_indexes.repository, self.build_indexes.config))
        build = self.build_indexes.build
        self._run("pages", refs, lambda ref: build([ref]), workers, report.skipped)
        report.posts, report.pages = len(records), len(refs)
        self._invalidate()
        return report

    def _invalidate(self) -> None:
        """Send what the invalidation outbox holds: this run's changes, and any an exhausted
        index batch left (the daily reconcile is the backstop of a quiet site)."""
        if self.build_indexes.invalidations is not None:
            self.build_indexes.invalidations.flush(at_once=True)

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


# -- the fanned-out rebuild --------------------------------------------------------------------
# A rebuild after a template change is a job: a chain of plan steps lists the source bucket
# and sends the keys in messages of POSTS_PER_MESSAGE, then sends the categories and tags in
# messages of at most TERMS_PER_MESSAGE terms (or TERM_POSTS_PER_MESSAGE of their posts), each
# message rendered by its own invocation; the invocation that finishes the last part sends one
# wildcard invalidation. See docs/scale.md.
POSTS_PER_MESSAGE = 10
TERMS_PER_MESSAGE = 10
TERM_POSTS_PER_MESSAGE = 2_000
LIST_PAGE = 1_000
# A plan step stops listing when less than this is left of its invocation (seconds), or after
# this many messages, and sends its continuation.
PLAN_MARGIN_SECONDS = 60.0
PLAN_MESSAGES_PER_STEP = 5_000
SITE_WILDCARD = "/*"


class WorkQueue(Protocol):
    """The queue a rebuild's plan steps and parts travel on."""

    def send(self, messages: list[dict[str, Any]]) -> None:
        """Queue these messages (each a JSON object)."""
        ...


class SourceListing(Protocol):
    """The source bucket's keys, one page at a time."""

    def page(self, prefix: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        """Up to `limit` keys under the prefix after `cursor`, and the next cursor (None at
        the end)."""
        ...


@dataclass(frozen=True)
class JobProgress:
    """How far a rebuild job is: parts planned (None while the plan runs), parts done, and
    whether its invalidation was sent."""

    parts: int | None
    done: int
    invalidated: bool


class RebuildJobs(Protocol):
    """Where a rebuild job counts its parts, each part once however often it is delivered."""

    def start(self, job: str) -> None:
        """Record a new job."""
        ...

    def step_done(self, job: str, step: str) -> bool:
        """Record a plan step as done; False when it already was."""
        ...

    def step_seen(self, job: str, step: str) -> bool:
        """Whether a plan step was recorded as done."""
        ...

    def part_done(self, job: str, part: int) -> None:
        """Count a part as done (a part counted already is not counted again)."""
        ...

    def planned(self, job: str, parts: int) -> None:
        """Record how many parts the plan sent."""
        ...

    def progress(self, job: str) -> JobProgress | None:
        """The job's counts (strongly consistent), or None when there is no such job."""
        ...

    def invalidated(self, job: str) -> None:
        """Record that the job's invalidation was accepted."""
        ...


@dataclass
class FanOut:
    """What a fanned-out rebuild uses: its queue, the source listing, the job counts and the
    CDN (None without one)."""

    queue: WorkQueue
    listing: SourceListing
    jobs: RebuildJobs
    cdn: Invalidator | None = None


class _TermsView:
    """The site index as if it had only these categories and tags: a page kind's `enumerate`
    over it lists the pages of those terms (and the site's single pages)."""

    def __init__(self, index: SiteIndex, wanted: list[tuple[TaxonomyKind, str]]) -> None:
        self._index = index
        self._wanted = wanted

    def terms(self, kind: TaxonomyKind) -> list[TermCount]:
        found = [self._index.term(k, slug) for k, slug in self._wanted if k == kind]
        return [term for term in found if term is not None]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


@dataclass
class FannedRebuild:
    """A rebuild as a job of messages: `start` sends its first plan step; `handle` does one
    message (a plan step, a part of post pages, or a part of index pages; or, on the same
    queue, the CDN's delayed flush). Every message is idempotent: delivered twice, it renders
    the same pages and is counted once."""

    rebuilder: Rebuilder
    fanout: FanOut | None
    time_left: Callable[[], float] = lambda: 900.0

    def start(self, job: str) -> dict[str, Any]:
        """Send the job's first plan step; without a queue (REBUILD_QUEUE_URL), re-render
        every page here instead."""
        if self.fanout is None:
            report = self.rebuilder.rerender()
            return {"posts": report.posts, "pages": report.pages}
        self.fanout.jobs.start(job)
        self.fanout.queue.send([_plan(job, "posts", None, 0)])
        return {"rebuild": job}

    @property
    def _fanout(self) -> FanOut:
        if self.fanout is None:
            raise PermanentError("a rebuild message, but no rebuild queue (REBUILD_QUEUE_URL)")
        return self.fanout

    def handle(self, message: dict[str, Any]) -> RebuildReport:
        if "flush" in message:  # the CDN's waiting wildcard is due (see Invalidations)
            invalidations = self.rebuilder.build_indexes.invalidations
            if invalidations is not None:
                invalidations.flush_due()
            return RebuildReport()
        job = str(message["rebuild"])
        if "plan" in message:
            plan = message["plan"]
            return self._plan(job, str(plan["stage"]), plan.get("cursor"), int(plan["part"]))
        report = RebuildReport()
        if "posts" in message:
            report = self._posts(list(message["posts"]))
        elif "terms" in message:
            wanted = [(kind, str(slug)) for kind, slug in message["terms"]]
            report = self._pages(wanted, bool(message.get("site")))
        self._fanout.jobs.part_done(job, int(message["part"]))
        self._finish(job)
        return report

    def _plan(self, job: str, stage: str, cursor: str | None, part: int) -> RebuildReport:
        step = f"{stage}#{part}"
        jobs, queue = self._fanout.jobs, self._fanout.queue
        if jobs.step_seen(job, step):
            return RebuildReport()  # a plan step delivered again: its messages were sent
        messages: list[dict[str, Any]] = []
        if stage == "posts":
            while True:
                keys, cursor = self._fanout.listing.page("posts/", cursor, LIST_PAGE)
                for chunk in _chunks(keys, POSTS_PER_MESSAGE):
                    messages.append({"rebuild": job, "part": part, "posts": chunk})
                    part += 1
                if cursor is None or len(messages) >= PLAN_MESSAGES_PER_STEP:
                    break
                if self.time_left() < PLAN_MARGIN_SECONDS:
                    break
            queue.send(messages)
            following = (
                _plan(job, "posts", cursor, part) if cursor else _plan(job, "terms", None, part)
            )
            queue.send([following])
            jobs.step_done(job, step)
            return RebuildReport(posts=len(messages))
        # The first message also renders the site's single pages (home, 404).
        for number, group in enumerate(self._term_groups() or [[]]):
            messages.append({"rebuild": job, "part": part, "terms": group, "site": number == 0})
            part += 1
        queue.send(messages)
        jobs.planned(job, part)
        jobs.step_done(job, step)
        self._finish(job)
        return RebuildReport(pages=len(messages))

    def _term_groups(self) -> list[list[list[str]]]:
        """Every category and tag, in groups of at most TERMS_PER_MESSAGE terms or
        TERM_POSTS_PER_MESSAGE posts (a bigger term alone)."""
        index = self.rebuilder.build_indexes.repository
        groups: list[list[list[str]]] = []
        group: list[list[str]] = []
        posts = 0
        kinds: tuple[TaxonomyKind, ...] = ("category", "tag")
        for kind in kinds:
            for term in sorted(index.terms(kind), key=lambda t: t.slug):
                if group and (
                    len(group) >= TERMS_PER_MESSAGE or posts + term.count > TERM_POSTS_PER_MESSAGE
                ):
                    groups.append(group)
                    group, posts = [], 0
                group.append([kind, term.slug])
                posts += term.count
        if group:
            groups.append(group)
        return groups

    def _posts(self, keys: list[str]) -> RebuildReport:
        """Re-render the page of each live post among these keys (a post that is not live, or
        not in the table, is the reconcile's to repair)."""
        report = RebuildReport()
        publish = replace(self.rebuilder._reporting(report), outbox=None)
        for key in keys:
            # A file name in several Unicode spellings is one post, recorded under its NFC key.
            record = publish.repository.load(post_identity(key)).record
            if record is None or not record.live:
                continue
            try:
                publish.sync_page(record, None)
            except PressroomError as error:
                if not isinstance(error, PermanentError):
                    raise  # the message is retried
                report.skipped.append(Skipped(key, f"failed: {error}"))
            report.posts += 1
        return report

    def _pages(self, wanted: list[tuple[TaxonomyKind, str]], site: bool) -> RebuildReport:
        """Re-render every index page of these terms (and the site's single pages)."""
        builder = replace(self.rebuilder.build_indexes, outbox=None, invalidations=None)
        view = cast(SiteIndex, _TermsView(builder.repository, wanted))
        refs = {ref for kind in pages.REGISTRY for ref in kind.enumerate(view, builder.config)}
        refs = {ref for ref in refs if ref.term or site}
        builder.build(refs)
        return RebuildReport(pages=len(refs))

    def _finish(self, job: str) -> None:
        """Once every part is done, make the CDN fetch the whole site again: one wildcard,
        with a reference of the job, so a repeat is the same invalidation."""
        fanout = self._fanout
        progress = fanout.jobs.progress(job)
        if progress is None or progress.parts is None or progress.invalidated:
            return
        if progress.done < progress.parts:
            return
        if fanout.cdn is not None:
            fanout.cdn.invalidate([SITE_WILDCARD], f"pressroom-rebuild-{job}")
        fanout.jobs.invalidated(job)


def _plan(job: str, stage: str, cursor: str | None, part: int) -> dict[str, Any]:
    return {"rebuild": job, "plan": {"stage": stage, "cursor": cursor, "part": part}}
