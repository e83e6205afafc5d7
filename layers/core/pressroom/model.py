"""The domain model: posts, records, rejections, listings, page references and changes.

Plain frozen dataclasses; this module imports nothing of pressroom's, so every other module can
speak it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

TaxonomyKind = Literal["category", "tag"]
# "waiting": valid, published and due, but another post keeps its URL (see `Claim`).
PostStatus = Literal["published", "waiting", "scheduled", "unpublished", "deleted"]
Result = Literal[
    "published",
    "waiting",
    "scheduled",
    "unpublished",
    "deleted",
    "rejected",
    "stale",
    "unchanged",
]
# The statuses that claim the post's URL: a published, non-future post, live or waiting.
CLAIMING: tuple[PostStatus, ...] = ("published", "waiting")


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
    hour: str = ""  # `YYYY-MM-DDTHH` in the site's time zone: the day and hour pages it is on

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
    revision: str = ""  # the table's token of the stored item ("" for a record not yet stored)

    @property
    def live(self) -> bool:
        return self.status == "published" and self.listed is not None

    @property
    def claim(self) -> Claim | None:
        """The claim this record makes on its URL: a published, non-future post's (live or
        waiting), none for any other."""
        if self.status not in CLAIMING or self.listed is None or not self.url:
            return None
        return Claim(self.listed.date_utc, self.source_key)


@dataclass(frozen=True, order=True)
class Claim:
    """A post's claim on its URL. The rule of ownership: of the posts claiming one URL, the
    one with the earlier date (UTC) keeps it, ties broken by the smaller source key (in UTF-8
    byte order, which is code point order). Claims compare in exactly that order, so the owner
    is the smallest claim, whatever order the posts arrived in."""

    date_utc: str
    source_key: str


@dataclass(frozen=True)
class UrlClaims:
    """Every claim on one URL, in the rule's order, as read from the table, with the guard a
    commit that depends on them is conditioned on ("" when the URL had no claim)."""

    url: str
    claims: tuple[Claim, ...] = ()
    guard: str = ""

    @property
    def owner(self) -> str | None:
        return self.claims[0].source_key if self.claims else None

    def after(self, remove: Claim | None, add: Claim | None) -> tuple[Claim, ...]:
        """The claims once one post replaced its claim `remove` with `add`."""
        kept = {claim for claim in self.claims if claim != remove}
        return tuple(sorted(kept | ({add} if add is not None else set())))


def ranked(record: PostRecord, claims: UrlClaims | None) -> PostRecord:
    """A claiming record with the status the rule gives it among `claims` (the other posts'
    claims on its URL, read from the table): published when its claim comes first, else
    waiting. Any other record is returned as it is."""
    mine = record.claim
    if mine is None:
        return record
    others = [
        claim for claim in (claims.claims if claims else ()) if claim.source_key != mine.source_key
    ]
    first = min([mine, *others])
    status: PostStatus = "published" if first == mine else "waiting"
    return record if record.status == status else replace(record, status=status)


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
    # The claims on the URLs the transition touches, as read before it: the commit is
    # conditioned on their guards, so a decision of who owns a URL is never taken on stale
    # claims.
    claims: tuple[UrlClaims, ...] = ()


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
    version: str = ""  # its listing item's key and content digest: what a page check compares


@dataclass(frozen=True)
class Located:
    """One post as a sitemap lists it: its URL, its date, the categories and tags whose
    pages it is on, and its listing item's key and digest (what a sitemap check compares)."""

    url: str
    date: str
    terms: tuple[tuple[TaxonomyKind, str], ...]
    version: str


@dataclass(frozen=True)
class TermCount:
    """A category or tag with the number of posts it holds."""

    slug: str
    name: str
    count: int


@dataclass(frozen=True)
class Archive:
    """A period (month, day or hour) of a category or tag that has posts, with its page's URL
    and `label` (how the page shows it)."""

    month: str
    count: int
    url: str
    label: str = ""


@dataclass(frozen=True, order=True)
class PageRef:
    """A page derived from the table: its kind (a name in the page registry) and what it
    shows, identified independently of its URL pattern."""

    kind: str
    term: str = ""
    month: str = ""  # archive pages: the period, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDTHH`


# "claims": the claims on a URL (in `slug`) are contested, or its owner changed.
IndexScope = Literal["listing", "term", "months", "claims"]


@dataclass(frozen=True)
class IndexChange:
    """A change to what index pages are made of, as the table reports it: a post entered, left
    or changed in a listing (of the site when `kind` is None, else of a category or tag, dated
    `date_utc`), a category's or tag's count or spelling changed, or its months' counts did
    (`counts`: the month's and its days' counts as one image of the counter shows them, so
    the archive can tell a month or day that just crossed its page size)."""

    scope: IndexScope
    kind: TaxonomyKind | None = None
    slug: str = ""
    date_utc: str = ""
    counts: tuple[tuple[str, int], ...] = ()


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
