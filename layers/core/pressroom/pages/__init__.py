"""The kinds of page and their registry.

Each kind derived from the table is one module (home, not_found, landing, archive, feed,
robots, sitemap) with a `PageKind`; `REGISTRY` lists them, and the pipeline (what a change makes
stale), rebuilds and `pressroom build` (every page) loop over it. The post page (`post`) is
rendered from its source file when it is published, so it is not in the registry.
"""

from __future__ import annotations

from collections.abc import Iterable

from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage
from pressroom.pages import archive, feed, home, landing, not_found, robots, sitemap
from pressroom.pages.base import PageKind
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer
from pressroom.urls import SiteUrls

REGISTRY: tuple[PageKind, ...] = (
    home.KIND,
    not_found.KIND,
    landing.CATEGORY,
    landing.TAG,
    archive.CATEGORY,
    archive.TAG,
    feed.SITE,
    feed.CATEGORY,
    feed.TAG,
    robots.KIND,
    sitemap.INDEX,
    sitemap.SHARD,
)


def kind_of(ref: PageRef) -> PageKind:
    for kind in REGISTRY:
        if kind.name == ref.kind:
            return kind
    raise KeyError(f"no page kind named {ref.kind!r}")


def url_of(ref: PageRef, urls: SiteUrls) -> str:
    return kind_of(ref).url(ref, urls)


def render(ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
    return kind_of(ref).render(ref, index, renderer)


def stale_pages(changes: Iterable[IndexChange], config: SiteConfig) -> set[PageRef]:
    """The pages that a batch of table changes makes stale, of every kind."""
    return {ref for change in changes for kind in REGISTRY for ref in kind.stale(change, config)}


def every_page(index: SiteIndex, config: SiteConfig | None = None) -> set[PageRef]:
    """Every page of every kind the table implies (cut as `config` says, by default the
    default site's)."""
    config = config or SiteConfig()
    return {ref for kind in REGISTRY for ref in kind.enumerate(index, config)}


def site_templates() -> frozenset[str]:
    """The templates of the registered kinds (never post layouts)."""
    return frozenset(kind.template for kind in REGISTRY if kind.template)
