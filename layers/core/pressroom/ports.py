"""Ports: what the use cases need from storage, and the records that cross them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from pressroom.errors import PostProblem
from pressroom.posts import Term
from pressroom.render import Entry, TermCount
from pressroom.site import TaxonomyKind

PostStatus = Literal["published", "scheduled", "unpublished", "deleted"]
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
    retired_urls: tuple[str, ...] = ()

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
    problems: tuple[PostProblem, ...] = ()
    rejected_at: str = ""

    def report(self) -> dict[str, Any]:
        """The editor's report: which file and version, and every problem with its fix."""
        return {
            "source_key": self.source_key,
            "version_id": self.source_version,
            "sequencer": self.sequencer,
            "rejected_at": self.rejected_at,
            "summary": self.message,
            "problems": [problem.as_dict() for problem in self.problems],
        }


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


# -- the table's layout (see README, "Data model") ------------------------------------------
def listing_pk(kind: TaxonomyKind | None, slug: str = "") -> str:
    return "ALL" if kind is None else f"{'CAT' if kind == 'category' else 'TAG'}#{slug}"


def taxonomy_pk(kind: TaxonomyKind) -> str:
    return "CATS" if kind == "category" else "TAGS"


def months_pk(kind: TaxonomyKind, slug: str) -> str:
    return f"MONTHS#{listing_pk(kind, slug)}"


def membership_sk(listed: Listed) -> str:
    return f"{listed.date_utc}#{listed.source_key}"


def terms_of(listed: Listed) -> list[tuple[TaxonomyKind, Term]]:
    return [("category", term) for term in listed.categories] + [
        ("tag", term) for term in listed.tags
    ]


def listed_values(listed: Listed) -> dict[str, Any]:
    return {
        "source_key": listed.source_key,
        "title": listed.title,
        "url": listed.url,
        "display_date": listed.display_date,
        "date_utc": listed.date_utc,
        "excerpt": listed.excerpt,
        "month": listed.month,
    }


def membership_items(listed: Listed | None) -> dict[tuple[str, str], dict[str, Any]]:
    """The listing items a live post has: one in ALL and one per category and tag."""
    if listed is None:
        return {}
    sk = membership_sk(listed)
    base = listed_values(listed)
    members = {("ALL", sk): {"PK": "ALL", "SK": sk} | base}
    for kind, term in terms_of(listed):
        pk = listing_pk(kind, term.slug)
        members[(pk, sk)] = {"PK": pk, "SK": sk, "name": term.name} | base
    return members


def counter_changes(old: Listed | None, new: Listed | None) -> dict[tuple[str, str, str], int]:
    """Counter deltas (PK, SK, display name): per-spelling totals of each category and tag
    (`CATS`/`TAGS`, `<slug>#<spelling>`) and per-month totals (`MONTHS#…`, `YYYY-MM`)."""
    deltas: dict[tuple[str, str, str], int] = {}
    for listed, sign in ((old, -1), (new, 1)):
        if listed is None:
            continue
        for kind, term in terms_of(listed):
            for key in (
                (taxonomy_pk(kind), f"{term.slug}#{term.name}", term.name),
                (months_pk(kind, term.slug), listed.month, listed.month),
            ):
                deltas[key] = deltas.get(key, 0) + sign
    return {key: delta for key, delta in deltas.items() if delta}


def term_counts(rows: Iterable[tuple[str, int]]) -> list[TermCount]:
    """Taxonomy rows (`<slug>#<spelling>`, count) to one TermCount per slug with posts: the total,
    and as name the spelling most posts use (ties: the smallest), whatever the order of events."""
    spellings: dict[str, dict[str, int]] = {}
    for sk, count in rows:
        slug, _, name = sk.partition("#")
        spellings.setdefault(slug, {})[name or slug] = count
    counts = []
    for slug in sorted(spellings):
        names = {name: count for name, count in spellings[slug].items() if count > 0}
        if names:
            name = min(names, key=lambda n: (-names[n], n))
            counts.append(TermCount(slug, name, sum(names.values())))
    return counts


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

    def put_page(self, key: str, html: str, page_class: PageClass) -> bool:
        """Write a page; False when the object already held exactly these bytes."""
        ...

    def delete_page(self, key: str) -> bool:
        """Remove a page; False when there was none."""
        ...


class PostRepository(Protocol):
    """The posts table: post items, memberships, taxonomies, URL claims."""

    def load(self, source_key: str) -> PostState: ...

    def commit(self, commit: Commit) -> None:
        """Apply a transition; StaleState if the post item changed since it was read,
        UrlConflict if another source owns the URL."""
        ...

    def reject(self, rejection: Rejection) -> None:
        """Record a rejection unless a newer upload is already committed or rejected."""
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


class ReportStore(Protocol):
    """Where editors and operators read why an upload was rejected: one private object per
    source key, outside the prefix that triggers publishing."""

    def put_report(self, source_key: str, report: dict[str, Any]) -> None: ...

    def delete_report(self, source_key: str) -> None:
        """Remove the report of this source key, if any."""
        ...


class PublicationScheduler(Protocol):
    """One-time schedules that re-deliver a future-dated post's change when its time comes."""

    def schedule(self, source_key: str, at: datetime, notification: dict[str, Any]) -> None:
        """Create or replace the schedule of this source key."""
        ...

    def cancel(self, source_key: str) -> None:
        """Remove the schedule of this source key, if any."""
        ...


class Invalidator(Protocol):
    """The CDN in front of the site bucket."""

    def invalidate(self, paths: list[str]) -> None: ...
