"""Ports: what the use cases need from storage, and the records that cross them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from pressroom.posts import Term
from pressroom.render import Entry, TermCount
from pressroom.site import TaxonomyKind

PostStatus = Literal["published", "unpublished", "deleted"]
PageClass = Literal["post", "index", "not_found"]


@dataclass(frozen=True)
class SourceObject:
    """One version of a source file."""

    key: str
    version_id: str | None
    body: bytes


@dataclass(frozen=True)
class Listed:
    """A post as the table records it for listings (what a membership item holds)."""

    source_key: str
    title: str
    url: str
    display_date: str
    date_utc: str
    excerpt: str
    month: str
    categories: tuple[Term, ...] = ()
    tags: tuple[Term, ...] = ()


@dataclass(frozen=True)
class PostRecord:
    """The committed state of one source key (the post item)."""

    source_key: str
    sequencer: str
    source_version: str | None
    status: PostStatus
    url: str = ""
    listed: Listed | None = None
    warnings: tuple[str, ...] = ()

    @property
    def live(self) -> bool:
        return self.status == "published" and self.listed is not None


@dataclass(frozen=True)
class Rejection:
    """Why the newest upload of a source key was not published."""

    source_key: str
    sequencer: str
    source_version: str | None
    message: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class PostState:
    """Everything the table knows about one source key, read strongly consistently."""

    record: PostRecord | None = None
    rejection: Rejection | None = None

    @property
    def sequencer(self) -> str:
        return self.record.sequencer if self.record else ""


@dataclass(frozen=True)
class Commit:
    """A transition of one source key from `previous` to `record`, applied all or nothing."""

    record: PostRecord
    previous: PostRecord | None
    clear_rejection: bool


class SourceStore(Protocol):
    """The bucket editors upload to."""

    def read(self, key: str, version_id: str | None, max_bytes: int) -> SourceObject:
        """The object's bytes (at most max_bytes + 1 of them); SourceMissing if it is gone."""
        ...

    def current_version(self, key: str) -> str | None:
        """The version id of the current object, or None when the key is deleted."""
        ...

    def list_keys(self, prefix: str) -> Iterable[str]: ...


class SiteStore(Protocol):
    """The bucket the site is served from."""

    def put_page(self, key: str, html: str, page_class: PageClass) -> None: ...

    def delete_page(self, key: str) -> None: ...


class PostRepository(Protocol):
    """The posts table: post items, memberships, taxonomies, URL claims."""

    def load(self, source_key: str) -> PostState: ...

    def commit(self, commit: Commit) -> None:
        """Apply a transition; StaleState if the post item changed since it was read,
        UrlConflict if another source owns the URL."""
        ...

    def reject(self, rejection: Rejection) -> None:
        """Record a rejection unless a newer upload is already committed."""
        ...

    def url_owner(self, url: str) -> str | None: ...

    def term(self, kind: TaxonomyKind, slug: str) -> TermCount | None: ...

    def terms(self, kind: TaxonomyKind) -> list[TermCount]: ...

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        """Newest posts of a category or tag, or of the whole site when kind is None."""
        ...

    def between(self, kind: TaxonomyKind, slug: str, start_utc: str, end_utc: str) -> list[Entry]:
        """Posts of a category or tag dated in [start_utc, end_utc), newest first."""
        ...

    def months(self, kind: TaxonomyKind, slug: str) -> list[tuple[str, int]]:
        """(YYYY-MM, count) of every month of a category or tag, newest first."""
        ...

    def rejections(self) -> list[Rejection]: ...

    def records(self) -> list[PostRecord]: ...


class Invalidator(Protocol):
    """The CDN in front of the site bucket."""

    def invalidate(self, paths: list[str]) -> None: ...
