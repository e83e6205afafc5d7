"""What the table records of a post, and the warnings its body earns."""

from __future__ import annotations

from pressroom.config import SiteConfig
from pressroom.content import internal_links
from pressroom.model import (
    Commit,
    Listed,
    Post,
    PostProblem,
    PostRecord,
    PostStatus,
    TaxonomyKind,
    utc_text,
)
from pressroom.ports import PostRepository, ReportStore
from pressroom.urls import SiteUrls

SEQUENCER_WIDTH = 32


def sequencer_order(sequencer: str) -> str:
    """S3 sequencers of one key compare as hex strings once left-padded to one width."""
    return sequencer.upper().rjust(SEQUENCER_WIDTH, "0") if sequencer else ""


def post_record(post: Post, sequencer: str, version: str | None, config: SiteConfig) -> PostRecord:
    """What the table records of a parsed post."""
    listed = Listed(
        source_key=post.source_key,
        title=post.title,
        url=post.url,
        display_date=post.display_date,
        date_utc=utc_text(post.date),
        excerpt=post.excerpt,
        month=config.month_of(post.date),
        categories=post.categories,
        tags=post.tags,
        hour=config.hour_of(post.date),
    )
    status: PostStatus = "published" if post.published else "unpublished"
    return PostRecord(post.source_key, sequencer, version, status, post.url, listed)


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


# A body's internal links are checked up to this many distinct paths (the rest are counted in
# one warning), and at most this many warnings are stored with the post ("and N more" after).
MAX_CHECKED_LINKS = 1000
MAX_STORED_WARNINGS = 20
# Up to this many distinct category (or tag) pages are looked up one by one; more, and the
# whole list of categories (or tags) is read once instead.
_TERM_LOOKUPS = 25


def broken_links(
    post: Post, urls: SiteUrls, repository: PostRepository, links: list[str] | None = None
) -> list[str]:
    """Warnings for links of the post's body (or its `links`, internal_links of the body made
    earlier) that point into the site but reach no page: the first MAX_CHECKED_LINKS distinct
    paths are checked, post URLs in batched reads, and at most MAX_STORED_WARNINGS warnings
    are returned, then one line counting the rest."""
    paths = internal_links(post, urls) if links is None else links
    unchecked = len(paths) - MAX_CHECKED_LINKS
    paths = paths[:MAX_CHECKED_LINKS]
    terms: dict[str, tuple[TaxonomyKind, str]] = {}
    posts: list[str] = []
    for path in paths:
        target = _term_page(path, urls)
        if path in ("/", "/index.html", "/404.html", post.url):
            continue
        if target is not None:
            terms[path] = target
        else:
            posts.append(path)
    live = _live_terms(post, set(terms.values()), repository)
    owners = repository.url_owners(posts) if posts else {}
    warnings = [
        f"link to {path} points into the site but no page is there"
        for path in paths
        if (path in terms and terms[path] not in live) or (path in owners and owners[path] is None)
    ]
    if unchecked > 0:
        warnings.append(
            f"{unchecked:,} more internal links were not checked "
            f"(only the first {MAX_CHECKED_LINKS:,} are)"
        )
    if len(warnings) > MAX_STORED_WARNINGS:
        rest = len(warnings) - MAX_STORED_WARNINGS
        warnings = [*warnings[:MAX_STORED_WARNINGS], f"and {rest:,} more warnings"]
    return warnings


def _term_page(path: str, urls: SiteUrls) -> tuple[TaxonomyKind, str] | None:
    """The category or tag whose landing page `path` is, if it is one."""
    kinds: tuple[TaxonomyKind, ...] = ("category", "tag")
    for kind in kinds:
        prefix, _, suffix = urls.landing(kind, "\x00").partition("\x00")
        if path.startswith(prefix) and path.endswith(suffix) and len(path) > len(prefix + suffix):
            slug = path[len(prefix) : len(path) - len(suffix)]
            if "/" not in slug:
                return kind, slug
    return None


def _live_terms(
    post: Post, wanted: set[tuple[TaxonomyKind, str]], repository: PostRepository
) -> set[tuple[TaxonomyKind, str]]:
    """Which of the wanted categories and tags have a landing page (the post's own do)."""
    own: set[tuple[TaxonomyKind, str]] = {("category", term.slug) for term in post.categories}
    own |= {("tag", term.slug) for term in post.tags}
    live = wanted & own
    kinds: tuple[TaxonomyKind, ...] = ("category", "tag")
    for kind in kinds:
        slugs = {slug for k, slug in wanted - own if k == kind}
        if len(slugs) > _TERM_LOOKUPS:
            existing = {term.slug for term in repository.terms(kind) if term.count > 0}
            live |= {(kind, slug) for slug in slugs & existing}
            continue
        for slug in slugs:
            term = repository.term(kind, slug)
            if term is not None and term.count > 0:
                live.add((kind, slug))
    return live


def limit_problems(
    commit: Commit, repository: PostRepository, reports: ReportStore | None
) -> list[PostProblem]:
    """Why AWS would refuse what publishing this commit writes: the table's items and
    transaction, and the key of the report the post would get if rejected."""
    problems = repository.problems(commit)
    if reports is not None:
        problems += reports.problems(commit.record.source_key)
    return problems
