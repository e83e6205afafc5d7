"""The use cases: publish one source change, and rebuild the index pages a batch made dirty."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote_plus

from pressroom.config import SiteConfig
from pressroom.errors import (
    InvalidPost,
    PostProblem,
    SourceMissing,
    StaleState,
    TransientError,
    UrlConflict,
)
from pressroom.ports import (
    Commit,
    Invalidator,
    Listed,
    PageClass,
    PostRecord,
    PostRepository,
    PostState,
    PostStatus,
    PublicationScheduler,
    Rejection,
    ReportStore,
    SiteStore,
    SourceStore,
)
from pressroom.posts import Post, internal_links, month_of, parse_post
from pressroom.render import Archive, SiteRenderer, TermCount
from pressroom.site import PageRef, SiteUrls, TaxonomyKind, href, key_for_url

SEQUENCER_WIDTH = 32
_MAX_ATTEMPTS = 5


def sequencer_order(sequencer: str) -> str:
    """S3 sequencers of one key compare as hex strings once left-padded to one width."""
    return sequencer.upper().rjust(SEQUENCER_WIDTH, "0") if sequencer else ""


def utc_text(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rejected_sequencer(state: PostState) -> str:
    return state.rejection.sequencer if state.rejection else ""


@dataclass(frozen=True)
class SourceChange:
    """One S3 notification about a source key: created (a version) or removed."""

    key: str
    removed: bool
    version_id: str | None = None
    sequencer: str = ""


Result = Literal[
    "published", "scheduled", "unpublished", "deleted", "rejected", "stale", "unchanged"
]


@dataclass(frozen=True)
class PublishOutcome:
    """What publishing one change did, for logs, metrics and reports."""

    key: str
    result: Result
    url: str = ""
    message: str = ""
    warnings: tuple[str, ...] = ()
    problems: tuple[PostProblem, ...] = ()


@dataclass
class Publisher:
    """Publish a source change: parse, validate, commit to the table, write the post page."""

    renderer: SiteRenderer
    source: SourceStore
    site: SiteStore
    repository: PostRepository
    scheduler: PublicationScheduler | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    reports: ReportStore | None = None

    @property
    def config(self) -> SiteConfig:
        return self.renderer.config

    def __call__(self, change: SourceChange) -> PublishOutcome:
        sequencer = sequencer_order(change.sequencer)
        for _ in range(_MAX_ATTEMPTS):
            state = self.repository.load(change.key)
            if sequencer and state.sequencer > sequencer:
                # An earlier try of this change may have written its page or report and failed
                # before checking for newer commits: make the site show the newest, as it does.
                if state.record is not None:
                    self.sync_page(state.record, None)
                self.sync_report(change.key, state.rejection)
                return PublishOutcome(change.key, "stale")
            record = state.record
            seen = bool(sequencer) and state.sequencer == sequencer and record is not None
            if record is not None and seen and not self._due(record):
                if record.status == "scheduled":  # fired early: keep it scheduled
                    self._schedule(record, change)
                self.sync_page(record, None)
                self.sync_report(change.key, state.rejection)
                return PublishOutcome(change.key, "unchanged", record.url)
            outcome = self._apply(change, sequencer, state)
            if outcome is not None:
                return outcome
        raise TransientError(f"{change.key}: the post kept changing while it was processed")

    def _apply(
        self, change: SourceChange, sequencer: str, state: PostState
    ) -> PublishOutcome | None:
        version = change.version_id
        removed = change.removed
        if removed or not sequencer:  # a removal, or a repair: the version current now
            version = self.source.current_version(change.key)
            removed = version is None
        # A repair (no sequencer: the notification was lost) carries the newest recorded order.
        sequencer = sequencer or max(state.sequencer, rejected_sequencer(state))
        post: Post | None = None
        if not removed:
            try:
                raw = self.source.read(change.key, version, self.config.limits.max_source_bytes)
            except SourceMissing:
                return self._apply(SourceChange(change.key, True), sequencer, state)
            version = raw.version_id
            try:
                post = parse_post(change.key, raw.body, self.config, self.renderer.post_layouts)
            except InvalidPost as error:
                return self._reject(change.key, sequencer, version, error.report(), error.problems)
        # A rejection is cleared by a commit at least as new; a newer one stays.
        clearing = state.rejection is not None and state.rejection.sequencer <= sequencer
        if clearing and self.reports is not None:
            # Gone before the commit clears it, so a crash after the commit cannot leave it.
            self.reports.delete_report(change.key)
        record = self._record(change.key, sequencer, version, post, state.record)
        html = self.renderer.render_post(post) if post is not None and record.live else None
        try:
            self.repository.commit(Commit(record, state.record, clear_rejection=clearing))
        except UrlConflict as error:
            return self._reject(change.key, sequencer, version, str(error), [error.problem])
        except StaleState:
            return None
        self.sync_page(record, html)
        if clearing:
            self.sync_report(change.key, None)
        if record.status == "scheduled":
            self._schedule(record, change)
        elif state.record is not None and state.record.status == "scheduled":
            self._cancel(record.source_key)
        return PublishOutcome(
            change.key,
            record.status,
            record.url,
            warnings=record.warnings,
        )

    def _record(
        self,
        key: str,
        sequencer: str,
        version: str | None,
        post: Post | None,
        previous: PostRecord | None,
    ) -> PostRecord:
        if post is None:
            url = previous.url if previous else ""
            record = PostRecord(key, sequencer, version, "deleted", url)
        else:
            record = post_record(post, sequencer, version, self.config)
            if record.status == "published" and post.date > self.clock():
                record = replace(record, status="scheduled")
            if record.live:
                warnings = broken_links(post, self.renderer.urls, self.repository)
                record = replace(record, warnings=tuple(warnings))
        return replace(record, retired_urls=retired_urls(record, previous))

    def _due(self, record: PostRecord) -> bool:
        """A scheduled post whose time has come (a seen change of any other post is not)."""
        return (
            record.status == "scheduled"
            and record.listed is not None
            and record.listed.date_utc <= utc_text(self.clock())
        )

    def _schedule(self, record: PostRecord, change: SourceChange) -> None:
        if self.scheduler is None or record.listed is None:
            return
        when = datetime.strptime(record.listed.date_utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        notification = s3_notification(
            SourceChange(record.source_key, False, record.source_version, change.sequencer)
        )
        self.scheduler.schedule(record.source_key, when, notification)

    def _cancel(self, source_key: str) -> None:
        if self.scheduler is not None:
            self.scheduler.cancel(source_key)

    def _reject(
        self,
        key: str,
        sequencer: str,
        version: str | None,
        message: str,
        problems: Iterable[PostProblem],
    ) -> PublishOutcome:
        rejection = Rejection(
            key, sequencer, version, message, tuple(problems), utc_text(self.clock())
        )
        self.repository.reject(rejection)
        # The rejection may not have been recorded (a newer upload is): mirror what the table holds.
        self.sync_report(key, self.repository.load(key).rejection)
        return PublishOutcome(key, "rejected", message=message, problems=rejection.problems)

    def sync_report(self, key: str, rejection: Rejection | None) -> None:
        """Make the report object mirror `rejection` (the caller's latest read of the table),
        then read it again and repeat until no other upload changed it meanwhile, as sync_page
        does for pages."""
        if self.reports is None:
            return
        for _ in range(_MAX_ATTEMPTS):
            if rejection is None:
                self.reports.delete_report(key)
            else:
                self.reports.put_report(key, rejection.report())
            current = self.repository.load(key).rejection
            if current == rejection:
                return
            rejection = current
        raise TransientError(f"{key}: its rejection kept changing while its report was written")

    def sync_page(self, record: PostRecord, html: str | None) -> None:
        """Make the site bucket show `record` (its page, and none at the URLs it left, unless
        another post owns them now); then check that no newer commit raced past us. Every
        input comes from the committed record, so a retry cleans up exactly as the first try."""
        for _ in range(_MAX_ATTEMPTS):
            if record.live:
                if html is None:
                    html = self._render_version(record)
                if html is not None:
                    self.site.put_page(key_for_url(record.url), html, "post")
            stale_urls = set(record.retired_urls) | ({record.url} if not record.live else set())
            for url in sorted(stale_urls):
                if url and self.repository.url_owner(url) is None:
                    self.site.delete_page(key_for_url(url))
            current = self.repository.load(record.source_key).record
            if current is None or current.sequencer == record.sequencer:
                return
            # A newer version was committed while we wrote: make sure its page wins.
            record, html = current, None
        raise TransientError(
            f"{record.source_key}: the post kept changing while its page was written"
        )

    def _render_version(self, record: PostRecord) -> str | None:
        raw = self.source.read(
            record.source_key, record.source_version, self.config.limits.max_source_bytes
        )
        try:
            post = parse_post(record.source_key, raw.body, self.config, self.renderer.post_layouts)
        except InvalidPost:
            return None
        return self.renderer.render_post(post)


def s3_notification(change: SourceChange) -> dict[str, Any]:
    """An S3 notification for a change, as a scheduled publication re-delivers it."""
    obj: dict[str, Any] = {"key": quote_plus(change.key, safe="/"), "sequencer": change.sequencer}
    if change.version_id:
        obj["versionId"] = change.version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectRemoved:Delete" if change.removed else "ObjectCreated:Put",
                "s3": {"s3SchemaVersion": "1.0", "object": obj},
            }
        ]
    }


def retired_urls(record: PostRecord, previous: PostRecord | None) -> tuple[str, ...]:
    """URLs this source key has had and no longer has: their pages must not stay behind."""
    urls = set(previous.retired_urls) if previous else set()
    if previous is not None and previous.url:
        urls.add(previous.url)
    if record.live:
        urls.discard(record.url)
    elif record.url:
        urls.add(record.url)
    return tuple(sorted(urls))


def post_record(post: Post, sequencer: str, version: str | None, config: SiteConfig) -> PostRecord:
    """What the table records of a parsed post."""
    listed = Listed(
        source_key=post.source_key,
        title=post.title,
        url=post.url,
        display_date=post.display_date,
        date_utc=utc_text(post.date),
        excerpt=post.excerpt,
        month=month_of(post.date, config),
        categories=post.categories,
        tags=post.tags,
    )
    status: PostStatus = "published" if post.published else "unpublished"
    return PostRecord(post.source_key, sequencer, version, status, post.url, listed)


def broken_links(post: Post, urls: SiteUrls, repository: PostRepository) -> list[str]:
    """Warnings for links of the post's body that point into the site but reach no page."""
    return [
        f"link to {path} points into the site but no page is there"
        for path in internal_links(post, urls)
        if not _resolves(path, post, urls, repository)
    ]


def _resolves(path: str, post: Post, urls: SiteUrls, repository: PostRepository) -> bool:
    if path in ("/", "/index.html", "/404.html", post.url):
        return True
    for kind in ("category", "tag"):
        prefix, _, suffix = urls.landing(kind, "\x00").partition("\x00")
        if path.startswith(prefix) and path.endswith(suffix) and len(path) > len(prefix + suffix):
            slug = path[len(prefix) : len(path) - len(suffix)]
            if "/" not in slug:
                own = post.categories if kind == "category" else post.tags
                if any(term.slug == slug for term in own):
                    return True
                term = repository.term(kind, slug)
                return term is not None and term.count > 0
    return repository.url_owner(path) is not None


def every_index_page(repository: PostRepository) -> set[PageRef]:
    """Every index page the table implies (for full builds and rebuilds)."""
    pages = {PageRef("home"), PageRef("not_found")}
    for kind in ("category", "tag"):
        for term in repository.terms(kind):
            pages.add(PageRef.landing(kind, term.slug))
            for month, count in repository.months(kind, term.slug):
                if count > 0:
                    pages.add(PageRef.archive(kind, term.slug, month))
    return pages


def dirty_pages(images: Iterable[Mapping[str, Any]], config: SiteConfig) -> set[PageRef]:
    """The index pages that a batch of changed table items (old and new images) makes stale."""
    dirty: set[PageRef] = set()
    for image in images:
        pk, sk = str(image.get("PK", "")), str(image.get("SK", ""))
        head, _, slug = pk.partition("#")
        if pk == "ALL":
            dirty |= {PageRef("home"), PageRef("not_found")}
        elif head in ("CAT", "TAG"):
            kind: TaxonomyKind = "category" if head == "CAT" else "tag"
            dirty.add(PageRef.landing(kind, slug))
            when = datetime.strptime(sk.split("#", 1)[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            dirty.add(PageRef.archive(kind, slug, month_of(when, config)))
        elif pk == "CATS":
            dirty |= {PageRef("home"), PageRef.landing("category", sk)}
        elif pk == "TAGS":
            dirty.add(PageRef.landing("tag", sk))
        elif head == "MONTHS":
            kind_code, _, term = slug.partition("#")
            dirty.add(PageRef.landing("category" if kind_code == "CAT" else "tag", term))
    return dirty


@dataclass
class IndexBuilder:
    """Render each dirty index page once, from strongly consistent queries, and write it."""

    renderer: SiteRenderer
    site: SiteStore
    repository: PostRepository
    invalidator: Invalidator | None = None
    written: list[str] = field(default_factory=list)

    @property
    def config(self) -> SiteConfig:
        return self.renderer.config

    def __call__(self, pages: Iterable[PageRef]) -> list[str]:
        """Write each page; the URLs whose objects changed."""
        changed: list[str] = []
        for ref in sorted(set(pages)):
            if self._write(ref):
                changed.append(self.renderer.urls.page(ref))
        if self.invalidator is not None and changed:
            self.invalidator.invalidate([href(url) for url in changed])
        self.written.extend(changed)
        return changed

    def _write(self, ref: PageRef) -> bool:
        """Render, write, then render again from fresh reads: if the table moved on meanwhile,
        write again. Whatever the interleaving of builds, the last write to a page is followed
        by a check against the table, so an older render never stays in place."""
        key = key_for_url(self.renderer.urls.page(ref))
        page_class: PageClass = "not_found" if ref.kind == "not_found" else "index"
        changed = False
        html = self._render(ref)
        for _ in range(_MAX_ATTEMPTS):
            if html is None:
                changed |= self.site.delete_page(key)
            else:
                changed |= self.site.put_page(key, html, page_class)
            current = self._render(ref)
            if current == html:
                return changed
            html = current
        raise TransientError(f"{key}: the table kept changing while the page was written")

    def _render(self, ref: PageRef) -> str | None:
        repo, config = self.repository, self.config
        match ref.kind:
            case "home":
                # The home and 404 pages exist while the site has a published post.
                entries = repo.newest(None, "", config.home_size)
                categories = [term for term in repo.terms("category") if term.count > 0]
                return self.renderer.render_home(entries, categories) if entries else None
            case "not_found":
                return self.renderer.render_not_found() if repo.newest(None, "", 1) else None
            case "category" | "tag":
                kind: TaxonomyKind = ref.kind
                term = repo.term(kind, ref.term)
                if term is None or term.count <= 0:
                    return None
                archives = [
                    Archive(month, count, self.renderer.urls.archive(kind, ref.term, month))
                    for month, count in repo.months(kind, ref.term)
                    if count > 0
                ]
                entries = repo.newest(kind, ref.term, config.listing_size)
                return self.renderer.render_listing(kind, term, entries, archives)
            case "category_archive" | "tag_archive":
                # A month page depends on that month's posts only (so a new post elsewhere
                # never makes it stale): its name is the spelling most of them use.
                kind = "category" if ref.kind == "category_archive" else "tag"
                start, end = _month_bounds(ref.month, config)
                entries = repo.between(kind, ref.term, start, end)
                if not entries:
                    return None
                spellings = Counter(entry.name or ref.term for entry in entries)
                name = min(spellings, key=lambda n: (-spellings[n], n))
                month_term = TermCount(ref.term, name, len(entries))
                return self.renderer.render_listing(kind, month_term, entries, [], ref.month)


def _month_bounds(month: str, config: SiteConfig) -> tuple[str, str]:
    year, mon = (int(part) for part in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=config.zone)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=config.zone)
    return utc_text(start), utc_text(end)


@dataclass
class RebuildReport:
    """What a rebuild or a reconciliation did."""

    republished: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    posts: int = 0
    pages: int = 0


@dataclass
class Rebuilder:
    """Repair and re-render: reconcile the source bucket with the table (lost notifications,
    lost deletes), re-render every post page and every index page, with bounded concurrency."""

    publish: Publisher
    build_indexes: IndexBuilder
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None

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
        return report

    def rebuild(self, workers: int = 4) -> RebuildReport:
        """Re-render every post and every index page (after a template or configuration change);
        unchanged pages are not rewritten."""
        report = self.reconcile(workers)
        records = [r for r in self.publish.repository.records() if r.live]
        self._run("posts", records, lambda record: self.publish.sync_page(record, None), workers)
        pages = sorted(every_index_page(self.build_indexes.repository))
        self._run("pages", pages, lambda ref: self.build_indexes([ref]), workers)
        report.posts, report.pages = len(records), len(pages)
        return report

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


@dataclass
class Pipeline:
    """The two use cases wired to one set of adapters (built once per container)."""

    publish: Publisher
    build_indexes: IndexBuilder

    def rebuilder(self, progress: Callable[[str, int, int], None] | None = None) -> Rebuilder:
        rebuilder = Rebuilder(self.publish, self.build_indexes)
        if progress is not None:
            rebuilder.progress = progress
        return rebuilder

    @classmethod
    def wire(
        cls,
        renderer: SiteRenderer,
        source: SourceStore,
        site: SiteStore,
        repository: PostRepository,
        invalidator: Invalidator | None = None,
        scheduler: PublicationScheduler | None = None,
        reports: ReportStore | None = None,
    ) -> Pipeline:
        return cls(
            Publisher(renderer, source, site, repository, scheduler, reports=reports),
            IndexBuilder(renderer, site, repository, invalidator),
        )
