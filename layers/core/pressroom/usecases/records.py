"""What the table records of a post, and the warnings its body earns."""

from __future__ import annotations

from pressroom.config import SiteConfig
from pressroom.content import internal_links
from pressroom.model import Listed, Post, PostRecord, PostStatus, utc_text
from pressroom.ports import PostRepository
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
