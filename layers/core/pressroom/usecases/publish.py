"""Publishing one source change: parse, validate, commit to the table, mirror the post's page,
its rejection report and its publication schedule."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pressroom.config import SiteConfig
from pressroom.content import parse_post
from pressroom.errors import InvalidPost, SourceMissing, StaleState, TransientError
from pressroom.events import post_identity, spelling_notice, spellings
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
    SourceObject,
    UrlClaims,
    parse_utc_text,
    ranked,
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

# What the page at one URL mirrors: the URL's owner (its first claim) and that post's record.
UrlState = tuple[str | None, PostRecord | None]

# The order a repair (no sequencer) records when the table holds none: above nothing, below
# every S3 sequencer, so the next notification of the key still applies.
REPAIRED = "0"
# The orders of a post whose file name has several Unicode spellings ("~" sorts above S3's hex).
RESOLVED = "~"
# What a post's warnings and problems say when its file name exists in several spellings.
SPELLINGS = "are one file name written with different Unicode code points"
_repairing = threading.local()


def _next_resolved(state: PostState) -> str:
    latest = max(state.sequencer, state.rejected_sequencer)
    count = latest[1:] if latest.startswith(RESOLVED) else ""
    return f"{RESOLVED}{int(count) + 1 if count.isdigit() else 1:012d}"


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
    # Told (key, what was done instead) when a version a record names no longer exists.
    on_skip: Callable[[str, str], None] | None = None

    @property
    def config(self) -> SiteConfig:
        return self.renderer.config

    def __call__(self, change: SourceChange) -> PublishOutcome:
        if len(spellings(change.key)) > 1:
            return self._publish_spellings(change)
        sequencer = sequencer_order(change.sequencer)
        for _ in range(MAX_ATTEMPTS):
            state = self.repository.load(change.key)
            if sequencer and state.sequencer > sequencer:
                # An earlier try of this change may have written its page or report and failed
                # before checking for newer commits: make the site show the newest, as it does.
                return self._stale(change.key, state)
            record = state.record
            seen = bool(sequencer) and state.sequencer == sequencer and record is not None
            if sequencer and state.rejected_sequencer > sequencer and not seen:
                # A newer upload was rejected before this change arrived: what the post shows
                # is decided by the versions since the last delete, whatever their order.
                self._show_newest_valid(change.key, None, [change.key])
                return self._stale(change.key, self.repository.load(change.key))
            # A seen change is applied again only when its time has come or when the claims on
            # its URL now give it another status (BuildIndexes re-sends it then).
            if record is not None and seen and not self._due(record) and not self._reranks(record):
                if record.status == "scheduled":  # fired early: keep it scheduled
                    self._schedule(record, change)
                self.sync_page(record, None)
                self.sync_report(change.key, state.rejection, record)
                return PublishOutcome(change.key, "unchanged", record.url)
            outcome = self._apply(change, sequencer, state)
            if outcome is not None:
                if outcome.result == "rejected":
                    self._show_newest_valid(change.key, None, [change.key])
                return outcome
        raise TransientError(f"{change.key}: the post kept changing while it was processed")

    def _stale(self, key: str, state: PostState) -> PublishOutcome:
        """A change the table has moved past: the site shows what the table holds."""
        if state.record is not None:
            self.sync_page(state.record, None)
        self.sync_report(key, state.rejection, state.record)
        return PublishOutcome(key, "stale")

    def _apply(
        self,
        change: SourceChange,
        sequencer: str,
        state: PostState,
        spelling: str | None = None,
        notice: PostProblem | None = None,
        gone: bool = False,
    ) -> PublishOutcome | None:
        """One try of the transition; None when the table moved on and the change must be
        read again. `spelling` is the S3 key to read when it is not the post's own (NFC) key,
        `notice` the problem of a file name in several spellings; `gone` takes the post down
        whatever the bucket holds."""
        version = change.version_id
        removed = change.removed or gone
        if (removed or not sequencer) and not gone:  # a removal, or a repair: what is current
            version = self.source.current_version(change.key)
            removed = version is None
        # A repair (no sequencer: the notification was lost) carries the newest recorded order.
        sequencer = sequencer or max(state.sequencer, state.rejected_sequencer) or REPAIRED
        post: Post | None = None
        if not removed:
            try:
                raw = self.source.read(
                    spelling or change.key, version, self.config.limits.max_source_bytes
                )
            except SourceMissing:
                if spelling is not None:
                    return None  # gone since its spellings were read: read them again
                # The version the event names no longer exists: what is current instead.
                return self._apply(SourceChange(change.key, True), sequencer, state)
            version = raw.version_id
            try:
                post = parse_post(change.key, raw.body, self.config, self.renderer.post_layouts)
            except InvalidPost as error:
                problems = [*error.problems, *([notice] if notice else [])]
                report = InvalidPost(change.key, problems).report()
                return self._reject(change.key, sequencer, version, report, problems)
        # A rejection is cleared by a commit at least as new; a newer one stays.
        clearing = state.rejection is not None and state.rejection.sequencer <= sequencer
        if clearing and self.reports is not None:
            # Gone before the commit clears it, so a crash after the commit cannot leave it.
            self.reports.delete_report(change.key)
        record, claims = self._record(change.key, sequencer, version, post, state.record)
        if notice is not None and post is not None:
            record = replace(record, warnings=(str(notice), *record.warnings))
        # What AWS would refuse to store (keys, items, the transaction, the report's key) is
        # rejected like any invalid post, before anything is written; a waiting post as it
        # will be committed once it owns its URL.
        limits = Commit(
            replace(record, status="published") if record.status == "waiting" else record,
            state.record,
            clear_rejection=clearing,
            claims=claims,
        )
        if post is not None and (problems := limit_problems(limits, self.repository, self.reports)):
            report = InvalidPost(change.key, problems).report()
            return self._reject(change.key, sequencer, version, report, problems)
        page = render_post(post, self.renderer) if post is not None and record.live else None
        waiting = record.status == "waiting" or (
            state.record is not None and state.record.status == "waiting"
        )
        commit = Commit(record, state.record, clear_rejection=clearing, claims=claims)
        # A change re-sent to rank it again commits nothing when the table holds it already.
        if clearing or state.record is None or record != replace(state.record, revision=""):
            try:
                self.repository.commit(commit)
            except StaleState:
                return None
        self.sync_page(record, page)
        if clearing or waiting:
            self.sync_report(change.key, None if clearing else state.rejection, record)
        if record.status == "waiting":
            location = self.reports.location(change.key) if self.reports is not None else ""
            note = self._waiting_report(record)
            message = note["summary"] if note else ""
            return PublishOutcome(change.key, "waiting", record.url, message, report=location)
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
    ) -> tuple[PostRecord, tuple[UrlClaims, ...]]:
        """The record this version makes, ranked among the claims on its URL (published, or
        waiting for an earlier post), and the claims read: those on its URL and, when it
        leaves one, on the URL it leaves."""
        if post is None:
            url = previous.url if previous else ""
            record = PostRecord(key, sequencer, version, "deleted", url)
        else:
            record = post_record(post, sequencer, version, self.config)
            if record.status == "published" and post.date > self.clock():
                record = replace(record, status="scheduled")
        urls = [r.url for r in (record, previous) if r is not None and r.claim is not None]
        claims = tuple(self.repository.url_claims(url) for url in dict.fromkeys(urls))
        record = ranked(record, next((c for c in claims if c.url == record.url), None))
        if post is not None and record.live:
            warnings = broken_links(post, self.renderer.urls, self.repository)
            record = replace(record, warnings=tuple(warnings))
        return replace(record, retired_urls=retired_urls(record, previous)), claims

    def _reranks(self, record: PostRecord) -> bool:
        """Whether the claims on the record's URL now give it another status."""
        if record.claim is None:
            return False
        return ranked(record, self.repository.url_claims(record.url)).status != record.status

    def _waiting_report(self, record: PostRecord) -> dict[str, Any] | None:
        """The editor's note of a waiting post: which post keeps its URL, by which rule, and
        that it is published by itself when that post leaves the URL. None when no other post
        comes first any more (it is about to be published)."""
        mine = record.claim
        claims = self.repository.url_claims(record.url).claims
        if mine is None or not claims or claims[0].source_key == record.source_key:
            return None
        owner = claims[0]
        why = (
            f"dated {owner.date_utc}, before this post's {mine.date_utc}"
            if owner.date_utc < mine.date_utc
            else f"dated the same ({owner.date_utc}), and its name sorts first"
        )
        problem = PostProblem(
            "url",
            f"{record.url} is the page of {owner.source_key} ({why}), so this post waits",
            f"nothing, if it should wait: it is published by itself when {owner.source_key} is "
            "deleted, moved or unpublished; to publish it now, give it another slug or permalink",
        )
        return {
            "source_key": record.source_key,
            "version_id": record.source_version,
            "sequencer": record.sequencer,
            "status": "waiting",
            "url": record.url,
            "owner": owner.source_key,
            "summary": f"{record.source_key}: waits for {problem}",
            "problems": [problem.as_dict()],
        }

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
        current = self.repository.load(key)
        self.sync_report(key, current.rejection, current.record)
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
    def sync_report(
        self, key: str, rejection: Rejection | None, record: PostRecord | None = None
    ) -> None:
        """Make the report object mirror the table (the caller's latest read of it): the
        rejection of the newest upload if there is one, else the note of a waiting post,
        else nothing."""
        reports = self.reports
        if reports is None:
            return

        def report(state: tuple[Rejection | None, PostRecord | None]) -> dict[str, Any] | None:
            rejected, shown = state
            if rejected is not None:
                return rejected.report()
            if shown is not None and shown.status == "waiting":
                return self._waiting_report(shown)
            return None

        def write(current: dict[str, Any] | None) -> None:
            if current is None:
                reports.delete_report(key)
            else:
                reports.put_report(key, current)

        def read(_: dict[str, Any] | None) -> dict[str, Any] | None:
            state = self.repository.load(key)
            return report((state.rejection, state.record))

        settle(report((rejection, record)), write, read, lambda a, b: a == b, f"{key}: its report")

    def sync_page(self, record: PostRecord, page: RenderedPage | None) -> None:
        """Make the site bucket show, at the URL `record` has and at each URL it left, the page
        of the post that owns that URL now (its first claim), if that post is live there, and
        no page otherwise. Every input comes from the committed record, so a retry cleans up
        exactly as the first try."""
        for url in sorted({record.url, *record.retired_urls} - {""}):
            self._sync_url(url, record, page)

    def _sync_url(self, url: str, record: PostRecord, page: RenderedPage | None) -> None:
        """One URL's page mirrors its owner's record: write it, read the URL's owner and its
        record again, and repeat while they moved on (a newer version, another owner)."""

        def shown(state: UrlState) -> PostRecord | None:
            owner, current = state
            live = current is not None and current.live and current.url == url
            return current if live and current is not None and current.source_key == owner else None

        def write(state: UrlState) -> None:
            current = shown(state)
            rendered = None
            if current is not None:
                mine = page is not None and _same_version(current, record)
                rendered = page if mine else self._render_version(current)
            PageWriter(self.site, self.outbox).write({key_for_url(url): rendered})

        def read(_: UrlState) -> UrlState:
            owner = self.repository.url_owner(url)
            return owner, self.repository.load(owner).record if owner is not None else None

        def agrees(written: UrlState, current: UrlState) -> bool:
            a, b = shown(written), shown(current)
            if a is None or b is None:
                return a is b
            return _same_version(a, b)

        # The committed record is what the table says of its own URL unless another post came
        # first; any other URL is read before its first write.
        first = (
            (record.source_key, record) if record.live and record.url == url else read((None, None))
        )
        settle(first, write, read, agrees, f"{record.source_key}: the page of {url}")

    def _render_version(self, record: PostRecord) -> RenderedPage | None:
        try:
            raw = self._read_version(record.source_key, record.source_version)
        except SourceMissing:
            # Expired by the lifecycle rule, or deleted by version: the caller reads the table
            # again and shows what this put there instead.
            self._replace_missing(record)
            return None
        try:
            post = parse_post(record.source_key, raw.body, self.config, self.renderer.post_layouts)
        except InvalidPost:
            return None
        return render_post(post, self.renderer)

    def _read_version(self, key: str, version: str | None) -> SourceObject:
        """One version of a post, under whichever spelling of its file name holds it (a
        version id belongs to one S3 key); SourceMissing when none does."""
        limit = self.config.limits.max_source_bytes
        *first, last = spellings(key)
        for spelling in first:
            try:
                return self.source.read(spelling, version, limit)
            except SourceMissing:
                continue
        return self.source.read(last, version, limit)

    # -- what the bucket no longer holds, and file names in several spellings ----------------
    def _replace_missing(self, record: PostRecord) -> None:
        """The version a live record shows no longer exists: publish what is current instead
        (a repair). When nothing valid is current (the newest upload was rejected, and the
        version it left live expired), the post is taken down, as a build of the bucket leaves
        it, and its rejection stays. Never raises SourceMissing, so a rebuild, a reconcile or a
        late event goes on; `on_skip` is told what was done."""
        key = record.source_key
        if getattr(_repairing, "key", None) == key:
            raise TransientError(f"{key}: its versions kept vanishing while it was repaired")
        _repairing.key = key
        try:
            self(SourceChange(key, False))
            state = self.repository.load(key)
            current = state.record
            missing = f"version {record.source_version} no longer exists (expired or deleted)"
            shown = current is not None and current.status != "deleted"
            if current is not None and shown and current.source_version != record.source_version:
                done = f"{missing}; the current version {current.source_version} is shown instead"
            else:
                if shown:
                    self._take_down(state)
                done = f"{missing} and no valid version is current: the post was taken down"
        finally:
            _repairing.key = None
        if self.on_skip is not None:
            self.on_skip(key, done)

    def _take_down(self, state: PostState) -> None:
        """Commit the post as gone while its (rejected) current upload stays, then record its
        rejection again, so its report still says what to fix."""
        key = state.record.source_key if state.record is not None else ""
        for _ in range(MAX_ATTEMPTS):
            sequencer = max(state.sequencer, state.rejected_sequencer) or REPAIRED
            rejection = state.rejection
            if self._apply(SourceChange(key, True), sequencer, state, gone=True) is not None:
                if rejection is not None:
                    self.repository.reject(replace(rejection, sequencer=sequencer))
                    current = self.repository.load(key)
                    self.sync_report(key, current.rejection)
                return
            state = self.repository.load(key)
        raise TransientError(f"{key}: the post kept changing while it was taken down")

    def _publish_spellings(self, change: SourceChange) -> PublishOutcome:
        """A file name with several Unicode spellings (NFC and NFD) names one post, recorded
        under its NFC spelling; its source is the spelling uploaded last (S3's LastModified,
        to the second; within one second, the NFC spelling). S3 orders the events of one key
        only, so these are not ordered by their sequencers: each reads what the bucket holds
        now, and commits with an order of its own, conditioned on the record it read."""
        identity = post_identity(change.key)
        for _ in range(MAX_ATTEMPTS):
            state = self.repository.load(identity)
            heads = {key: head for key in spellings(change.key) if (head := self.source.head(key))}
            live = max(heads, key=lambda key: (heads[key][1], key == identity), default=None)
            version = heads[live][0] if live is not None else None
            notice = None
            if live is not None and len(heads) > 1:
                notice = PostProblem("file name", *spelling_notice(live, heads))
            if self._describes(state, version, notice):
                if state.rejection is not None:  # a retry: what the post shows may be unfinished
                    self._show_newest_valid(identity, live, list(heads))
                    state = self.repository.load(identity)
                record = state.record
                if record is not None:
                    self.sync_page(record, None)
                self.sync_report(identity, state.rejection)
                return PublishOutcome(identity, "unchanged", record.url if record else "")
            sequencer = _next_resolved(state)
            removal = SourceChange(identity, live is None, version, sequencer)
            outcome = self._apply(removal, sequencer, state, live, notice)
            if outcome is not None:
                if outcome.result == "rejected":
                    self._show_newest_valid(identity, live, list(heads))
                return outcome
        raise TransientError(f"{identity}: the post kept changing while it was processed")

    def _show_newest_valid(self, identity: str, live: str | None, keys: list[str]) -> None:
        """The upload (of the spelling) made last is invalid: the post shows the newest valid
        version of any of its spellings uploaded since that spelling was last deleted (the same
        second: NFC first), or nothing; its rejection stays, so its report still says what to
        fix. A file name of one spelling keeps S3's order: the commit takes the rejection's."""
        plain = len(spellings(identity)) == 1
        newest: tuple[datetime, bool, str, str] | None = None
        limit = self.config.limits.max_source_bytes
        for spelling in spellings(identity):
            for version, modified in self.source.versions_since_delete(spelling):
                try:
                    raw = self.source.read(spelling, version, limit)
                    parse_post(identity, raw.body, self.config, self.renderer.post_layouts)
                except (SourceMissing, InvalidPost):
                    continue
                rank = (modified, spelling == identity, spelling, version)
                newest = rank if newest is None or rank > newest else newest
                break
        notice = None
        if newest is not None and live is not None and len(keys) > 1:
            notice = PostProblem("file name", *spelling_notice(live, keys, newest[2]))
        for _ in range(MAX_ATTEMPTS):
            state = self.repository.load(identity)
            record, rejection = state.record, state.rejection
            shown = record.source_version if record and record.status != "deleted" else None
            noted = record is None or notice is None or str(notice) in record.warnings
            unchanged = shown == (newest[3] if newest else None) and noted
            if unchanged and not (record and self._reranks(record)):
                return
            if plain:
                sequencer = max(state.sequencer, state.rejected_sequencer) or REPAIRED
            else:
                sequencer = _next_resolved(state)
            if newest is None:
                change = SourceChange(identity, True, None, sequencer)
                done = self._apply(change, sequencer, state, gone=True)
            else:
                change = SourceChange(identity, False, newest[3], sequencer)
                done = self._apply(change, sequencer, state, newest[2], notice)
            if done is not None:
                if rejection is not None:
                    self.repository.reject(replace(rejection, sequencer=sequencer))
                    current = self.repository.load(identity)
                    self.sync_report(identity, current.rejection, current.record)
                return
        raise TransientError(f"{identity}: the post kept changing while it was shown")

    def _describes(self, state: PostState, version: str | None, notice: PostProblem | None) -> bool:
        """Whether the table already shows this version of a post with several spellings (its
        record, or its rejection), with this notice of its spellings, and its record has the
        status the claims on its URL give it."""

        def noted(texts: list[str]) -> bool:
            return str(notice) in texts if notice else not any(SPELLINGS in t for t in texts)

        record, rejection = state.record, state.rejection
        if record is not None and self._reranks(record):
            return False
        if rejection is not None and version is not None and rejection.source_version == version:
            return noted([str(problem) for problem in rejection.problems])
        if rejection is not None:
            return False
        if record is None:
            return version is None
        if self._due(record) or record.source_version != version:
            return False
        return (record.status == "deleted") == (version is None) and noted(list(record.warnings))


def _same_version(a: PostRecord, b: PostRecord) -> bool:
    """Whether two records show the same page (the same version of one post, live at one URL)."""
    identity = ("source_key", "sequencer", "source_version", "status", "url")
    return all(getattr(a, name) == getattr(b, name) for name in identity)
