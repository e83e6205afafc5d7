"""Ports: what the use cases need from the outside world. Protocols only; the adapters implement
them for AWS, and the development tools for folders and memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from pressroom.model import (
    Commit,
    Entry,
    IndexChange,
    Located,
    PageRef,
    PendingInvalidation,
    PostProblem,
    PostRecord,
    PostState,
    Rejection,
    RenderedPage,
    SourceChange,
    SourceObject,
    StaleMark,
    TaxonomyKind,
    TermCount,
    UrlClaims,
)


class SourceStore(Protocol):
    """The bucket editors upload to."""

    def read(self, key: str, version_id: str | None, max_bytes: int) -> SourceObject:
        """The object's bytes (at most max_bytes + 1 of them); SourceMissing if it is gone."""
        ...

    def current_version(self, key: str) -> str | None:
        """The version id of the current object, or None when the key is deleted."""
        ...

    def head(self, key: str) -> tuple[str, datetime] | None:
        """The current object's version id and when it was uploaded (S3's LastModified, to the
        second), or None when the key is deleted."""
        ...

    def list_keys(self, prefix: str) -> Iterable[str]:
        """Every current key under the prefix."""
        ...

    def versions_since_delete(self, key: str) -> list[tuple[str, datetime]]:
        """The versions of one key uploaded since it was last deleted, newest first, with
        their LastModified; empty when the key is deleted. LastModified has whole seconds, so
        a version of the same second as the delete marker counts as older, unless current."""
        ...


class SiteStore(Protocol):
    """The bucket the site is served from."""

    def differs(self, key: str, page: RenderedPage | None) -> bool:
        """Whether writing `page` (or deleting, for None) would change the object."""
        ...

    def put_page(self, key: str, page: RenderedPage) -> None:
        """Write a page."""
        ...

    def delete_page(self, key: str) -> None:
        """Remove a page (nothing happens when there is none)."""
        ...


class SiteIndex(Protocol):
    """What index pages are rendered from: listings, categories, tags and their months."""

    def term(self, kind: TaxonomyKind, slug: str) -> TermCount | None:
        """A category or tag with its count and display name, or None when it has no post."""
        ...

    def terms(self, kind: TaxonomyKind) -> list[TermCount]:
        """Every category or tag that has posts."""
        ...

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        """Newest posts of a category or tag, or of the whole site when kind is None."""
        ...

    def between(
        self,
        kind: TaxonomyKind,
        slug: str,
        start_utc: str,
        end_utc: str,
        limit: int | None = None,
    ) -> list[Entry]:
        """Posts of a category or tag dated in [start_utc, end_utc), newest first (the newest
        `limit` of them when given)."""
        ...

    def versions(
        self,
        kind: TaxonomyKind | None,
        slug: str,
        start_utc: str,
        end_utc: str,
        limit: int | None,
    ) -> list[str]:
        """The `Entry.version`s `between` would give with this limit (of the whole site when
        kind is None), from keys and digests only: what a written page is checked against."""
        ...

    def months(self, kind: TaxonomyKind | None, slug: str) -> list[tuple[str, int]]:
        """(YYYY-MM, count) of every month of a category or tag (of the site when kind is
        None), newest first."""
        ...

    def periods(self, kind: TaxonomyKind | None, slug: str, month: str) -> dict[str, int]:
        """The post counts of a month (`YYYY-MM`), its days (`YYYY-MM-DD`) and its hours
        (`YYYY-MM-DDTHH`) in a category or tag (in the site when kind is None), those with
        posts only: one counter read."""
        ...

    def located(self, start_utc: str, end_utc: str) -> list[Located]:
        """The site's posts dated in [start_utc, end_utc), newest first, as a sitemap lists
        them (URL, date and terms only)."""
        ...


class PostRepository(SiteIndex, Protocol):
    """The posts table: post items, memberships, taxonomies, URL claims."""

    def load(self, source_key: str) -> PostState:
        """The post item and rejection of a source key, read strongly consistently."""
        ...

    def commit(self, commit: Commit) -> None:
        """Apply a transition; StaleState if the post item, or the claims on a URL it touches,
        changed since they were read."""
        ...

    def reject(self, rejection: Rejection) -> None:
        """Record a rejection unless a newer upload is already committed or rejected."""
        ...

    def url_owner(self, url: str) -> str | None:
        """The source key whose post owns a URL: its first claim (see `model.Claim`)."""
        ...

    def url_claims(self, url: str) -> UrlClaims:
        """Every claim on a URL in the rule's order, with the guard a commit depending on them
        is conditioned on (strongly consistent)."""
        ...

    def url_owners(self, urls: Iterable[str]) -> dict[str, str | None]:
        """The owner of each URL (None where none), in batched reads."""
        ...

    def problems(self, commit: Commit) -> list[PostProblem]:
        """Why the table would refuse this commit (a key or item over DynamoDB's limits, a
        transaction too large), phrased for the editor; empty when it fits."""
        ...

    def rejections(self) -> list[Rejection]:
        """Every recorded rejection."""
        ...

    def records(self) -> list[PostRecord]:
        """Every post item."""
        ...


class TableChanges(Protocol):
    """Reads the table's change stream as changes to what index pages are made of."""

    def index_changes(self, images: Iterable[Mapping[str, Any]]) -> list[IndexChange]:
        """The changes that a batch of stream images (old and new) describes."""
        ...


class ReportStore(Protocol):
    """Where editors and operators read why an upload was rejected: one private object per
    source key, outside the prefix that triggers publishing."""

    def put_report(self, source_key: str, report: dict[str, Any]) -> None:
        """Write (or replace) the report of this source key."""
        ...

    def delete_report(self, source_key: str) -> None:
        """Remove the report of this source key, if any."""
        ...

    def location(self, source_key: str) -> str:
        """Where the report of this source key is read (for logs and status)."""
        ...

    def problems(self, source_key: str) -> list[PostProblem]:
        """Why this source key's report could not be where editors look for it (S3's key
        limit); empty when it can."""
        ...


class PublicationScheduler(Protocol):
    """One-time schedules that re-deliver a future-dated post's change when its time comes."""

    def schedule(self, source_key: str, at: datetime, change: SourceChange) -> None:
        """Create or replace the schedule of this source key, to deliver `change` at `at`."""
        ...

    def cancel(self, source_key: str) -> None:
        """Remove the schedule of this source key, if any."""
        ...


class Invalidator(Protocol):
    """The CDN in front of the site bucket."""

    def invalidate(self, paths: list[str], reference: str) -> str:
        """Make the CDN fetch these paths from the site bucket again; the invalidation's id. A
        repeated request with the same reference and paths is the same invalidation."""
        ...


class InvalidationOutbox(Protocol):
    """Paths whose objects are about to change, kept until the CDN accepted them."""

    def record(self, paths: list[str]) -> None:
        """Keep these paths (before their objects are written)."""
        ...

    def pending(self, limit: int) -> list[PendingInvalidation]:
        """The oldest recorded paths not yet accepted by the CDN."""
        ...

    def done(self, ids: list[str]) -> None:
        """Forget recorded paths the CDN accepted."""
        ...


class WildcardTimer(Protocol):
    """One later flush of the outbox, so that a wildcard waits for the writes still coming."""

    def start(self, seconds: int) -> bool:
        """Ask for a flush in `seconds`, unless one is asked for already; whether this asked."""
        ...

    def stop(self) -> None:
        """The flush asked for is running: the next wildcard asks again."""
        ...


class StalePages(Protocol):
    """Index pages a batch is about to rebuild, recorded before it renders them and forgotten
    once they are written, so that the pages of a batch that never finished can be rebuilt
    after any delay."""

    def mark(self, batch: str, refs: list[PageRef]) -> list[str]:
        """Record these pages as stale for this batch (a retry of the batch records them
        again under the same ids); the ids to clear once they are written."""
        ...

    def pending(self) -> list[StaleMark]:
        """Every record of stale pages not cleared yet."""
        ...

    def clear(self, ids: list[str]) -> None:
        """Forget these records (their pages were written)."""
        ...


class ChangeQueue(Protocol):
    """The queue RenderPost reads: source changes sent back to it, to be decided again."""

    def send(self, changes: list[SourceChange]) -> None:
        """Queue these changes (as S3 notifications)."""
        ...
