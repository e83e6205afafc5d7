"""Publishing one source change: parse, validate, commit to the table, mirror the post's page,
its rejection report and its publication schedule."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from pressroom.config import SiteConfig
from pressroom.content import parse_post
from pressroom.errors import InvalidPost, SourceMissing, StaleState, TransientError, UrlConflict
from pressroom.model import (
    Commit,
    Post,
    PostProblem,
    PostRecord,
    PostState,
    PublishOutcome,
    Rejection,
    RenderedPage,
    SourceChange,
    parse_utc_text,
    utc_text,
)
from pressroom.pages.post import render_post
from pressroom.ports import (
    InvalidationOutbox,
    PostRepository,
    PublicationScheduler,
    ReportStore,
    SiteStore,
    SourceStore,
)
from pressroom.render import SiteRenderer
from pressroom.urls import key_for_url
from pressroom.usecases.cdn import PageWriter
from pressroom.usecases.mirror import MAX_ATTEMPTS, settle
from pressroom.usecases.records import (
    broken_links,
    limit_problems,
    post_record,
    retired_urls,
    sequencer_order,
)

PageState = tuple[PostRecord, RenderedPage | None]


@dataclass
class Publisher:
    """Publish a source change. Only a change newer (by S3 sequencer) than what the table holds
    is applied; a stale or repeated one makes the site show the newest version again."""

    renderer: SiteRenderer
    source: SourceStore
    site: SiteStore
    repository: PostRepository
    scheduler: PublicationScheduler | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    reports: ReportStore | None = None
    outbox: InvalidationOutbox | None = None

    @property
    def config(self) -> SiteConfig:
        return self.renderer.config

    def __call__(self, change: SourceChange) -> PublishOutcome:
        sequencer = sequencer_order(change.sequencer)
        for _ in range(MAX_ATTEMPTS):
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
        """One try of the transition; None when the table moved on and the change must be
        read again."""
        version = change.version_id
        removed = change.removed
        if removed or not sequencer:  # a removal, or a repair: the version current now
            version = self.source.current_version(change.key)
            removed = version is None
        # A repair (no sequencer: the notification was lost) carries the newest recorded order.
        sequencer = sequencer or max(state.sequencer, state.rejected_sequencer)
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
        # What AWS would refuse to store (keys, items, the transaction, the report's key) is
        # rejected like any invalid post, before anything is written.
        limits = Commit(record, state.record, clear_rejection=clearing)
        if post is not None and (problems := limit_problems(limits, self.repository, self.reports)):
            report = InvalidPost(change.key, problems).report()
            return self._reject(change.key, sequencer, version, report, problems)
        page = render_post(post, self.renderer) if post is not None and record.live else None
        try:
            self.repository.commit(Commit(record, state.record, clear_rejection=clearing))
        except UrlConflict as error:
            return self._reject(change.key, sequencer, version, str(error), [error.problem])
        except StaleState:
            return None
        self.sync_page(record, page)
        if clearing:
            self.sync_report(change.key, None)
        if record.status == "scheduled":
            self._schedule(record, change)
        elif state.record is not None and state.record.status == "scheduled":
            self._cancel(record.source_key)
        return PublishOutcome(change.key, record.status, record.url, warnings=record.warnings)

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
        report = self.reports.location(key) if self.reports is not None else ""
        return PublishOutcome(
            key, "rejected", message=message, problems=rejection.problems, report=report
        )

    # -- the publication schedule --------------------------------------------------------------
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
        notification = SourceChange(
            record.source_key, False, record.source_version, change.sequencer
        )
        self.scheduler.schedule(
            record.source_key, parse_utc_text(record.listed.date_utc), notification
        )

    def _cancel(self, source_key: str) -> None:
        if self.scheduler is not None:
            self.scheduler.cancel(source_key)

    # -- mirrors of the table ------------------------------------------------------------------
    def sync_report(self, key: str, rejection: Rejection | None) -> None:
        """Make the report object mirror `rejection` (the caller's latest read of the table)."""
        reports = self.reports
        if reports is None:
            return

        def write(current: Rejection | None) -> None:
            if current is None:
                reports.delete_report(key)
            else:
                reports.put_report(key, current.report())

        def read(_: Rejection | None) -> Rejection | None:
            return self.repository.load(key).rejection

        settle(rejection, write, read, lambda a, b: a == b, f"{key}: its rejection")

    def sync_page(self, record: PostRecord, page: RenderedPage | None) -> None:
        """Make the site bucket show `record`: its page, and none at the URLs it left unless
        another post owns them now. Every input comes from the committed record, so a retry
        cleans up exactly as the first try."""

        def write(state: PageState) -> None:
            shown, rendered = state
            pages: dict[str, RenderedPage | None] = {}
            if shown.live:
                rendered = rendered or self._render_version(shown)
                if rendered is not None:
                    pages[key_for_url(shown.url)] = rendered
            stale_urls = set(shown.retired_urls) | ({shown.url} if not shown.live else set())
            for url in sorted(stale_urls):
                if url and self.repository.url_owner(url) is None:
                    pages[key_for_url(url)] = None
            PageWriter(self.site, self.outbox).write(pages)

        def read(state: PageState) -> PageState:
            # A newer version committed meanwhile is read, rendered and written: its page wins.
            current = self.repository.load(state[0].source_key).record
            return (current, None) if current is not None else state

        def agrees(written: PageState, current: PageState) -> bool:
            return written[0].sequencer == current[0].sequencer

        settle((record, page), write, read, agrees, f"{record.source_key}: the post")

    def _render_version(self, record: PostRecord) -> RenderedPage | None:
        raw = self.source.read(
            record.source_key, record.source_version, self.config.limits.max_source_bytes
        )
        try:
            post = parse_post(record.source_key, raw.body, self.config, self.renderer.post_layouts)
        except InvalidPost:
            return None
        return render_post(post, self.renderer)
