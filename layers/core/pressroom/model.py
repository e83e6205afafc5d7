"""The domain model: posts, records, rejections, listings, page references and changes.

Plain frozen dataclasses; this module imports nothing of pressroom's, so every other module can
speak it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

TaxonomyKind = Literal["category", "tag"]
PostStatus = Literal["published", "scheduled", "unpublished", "deleted"]
Result = Literal[
    "published", "scheduled", "unpublished", "deleted", "rejected", "stale", "unchanged"
]


def format_date(when: datetime) -> str:
    """How a post's date is shown: `2026-01-17 07:46:06 +0800`."""
    return when.strftime("%Y-%m-%d %H:%M:%S %z")


def utc_text(when: datetime) -> str:
    """A moment as the table orders it: `2026-01-16T23:46:06Z`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc_text(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class PostProblem:
    """One thing wrong with a post, phrased for the editor who wrote it."""

    field: str
    message: str
    hint: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        text = f"{where}{self.field}: {self.message}"
        return f"{text} (fix: {self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "line": self.line, "message": self.message, "hint": self.hint}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PostProblem:
        line = values.get("line")
        return cls(
            str(values.get("field", "")),
            str(values.get("message", "")),
            str(values.get("hint") or ""),
            int(line) if line else None,
        )


@dataclass(frozen=True)
class Term:
    """A category or tag: its slug (identity and URL) and the name editors wrote."""

    slug: str
    name: str


@dataclass(frozen=True)
class Post:
    """A parsed, validated post, ready to render and to index."""

    source_key: str
    title: str
    date: datetime
    slug: str
    url: str
    layout: str
    categories: tuple[Term, ...]
    tags: tuple[Term, ...]
    published: bool
    body_html: str
    excerpt: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def date_utc(self) -> datetime:
        return self.date.astimezone(UTC)

    @property
    def display_date(self) -> str:
        return format_date(self.date)


@dataclass(frozen=True)
class SourceChange:
    """One S3 notification about a source key: created (a version) or removed."""

    key: str
    removed: bool
    version_id: str | None = None
    sequencer: str = ""


@dataclass(frozen=True)
class SourceObject:
    """One version of a source file."""

    key: str
    version_id: str | None
    body: bytes


@dataclass(frozen=True)
class Listed:
    """A post as the table records it for listings."""

    source_key: str
    title: str
    url: str
    display_date: str
    date_utc: str
    excerpt: str
    month: str
    categories: tuple[Term, ...] = ()
    tags: tuple[Term, ...] = ()

    def terms(self) -> list[tuple[TaxonomyKind, Term]]:
        """Every category and tag of the post, with its kind."""
        kinds: list[tuple[TaxonomyKind, Term]] = [("category", term) for term in self.categories]
        return kinds + [("tag", term) for term in self.tags]


@dataclass(frozen=True)
class PostRecord:
    """The committed state of one source key."""

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

    @property
    def rejected_sequencer(self) -> str:
        return self.rejection.sequencer if self.rejection else ""


@dataclass(frozen=True)
class Commit:
    """A transition of one source key from `previous` to `record`, applied all or nothing."""

    record: PostRecord
    previous: PostRecord | None
    clear_rejection: bool


@dataclass(frozen=True)
class PublishOutcome:
    """What publishing one change did, for logs, metrics and reports."""

    key: str
    result: Result
    url: str = ""
    message: str = ""
    warnings: tuple[str, ...] = ()
    problems: tuple[PostProblem, ...] = ()
    report: str = ""


@dataclass(frozen=True)
class Entry:
    """One post as a listing shows it."""

    title: str
    url: str
    date: str
    excerpt: str
    name: str = ""  # in a category or tag listing: how this post spells the term


@dataclass(frozen=True)
class TermCount:
    """A category or tag with the number of posts it holds."""

    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class Archive:
    """A month of a category or tag that has posts, with its page's URL."""

    month: str
    count: int
    url: str


@dataclass(frozen=True, order=True)
class PageRef:
    """A page derived from the table: its kind (a name in the page registry) and what it
    shows, identified independently of its URL pattern."""

    kind: str
    term: str = ""
    month: str = ""


IndexScope = Literal["listing", "term", "months"]


@dataclass(frozen=True)
class IndexChange:
    """A change to what index pages are made of, as the table reports it: a post entered, left
    or changed in a listing (of the site when `kind` is None, else of a category or tag, dated
    `date_utc`), a category's or tag's count or spelling changed, or its months' counts did."""

    scope: IndexScope
    kind: TaxonomyKind | None = None
    slug: str = ""
    date_utc: str = ""


@dataclass(frozen=True)
class PendingInvalidation:
    """Paths recorded in the outbox before their objects were written, until the CDN has
    accepted their invalidation."""

    id: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class StaleMark:
    """Index pages one batch of table changes recorded as stale before rendering them, kept
    until the batch (or a repair) has written them all."""

    id: str
    pages: tuple[PageRef, ...]


@dataclass(frozen=True)
class RenderedPage:
    """A page as bytes, with how it is served."""

    body: bytes
    content_type: str
    cache_control: str
