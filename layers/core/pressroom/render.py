"""Rendering pages to strings with the site's Jinja2 templates (one Environment per container)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from pressroom.config import SiteConfig
from pressroom.posts import Post
from pressroom.site import PageRef, SiteUrls, TaxonomyKind, href

SITE_LAYOUTS = frozenset({"base", "category", "tag", "home", "404"})


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


class SiteRenderer:
    """Turns posts and listings into HTML strings; knows nothing of where they are stored."""

    def __init__(self, config: SiteConfig, layouts_dir: Path) -> None:
        self.config = config
        self.urls = SiteUrls(config)
        self.env = Environment(
            loader=FileSystemLoader(str(layouts_dir)),
            autoescape=select_autoescape(["html", "xml"], default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["href"] = href
        self.env.globals.update(site=config, urls=self.urls)
        self.post_layouts = frozenset(
            path.stem
            for path in layouts_dir.glob("*.html")
            if path.stem not in SITE_LAYOUTS and not path.stem.startswith("_")
        )

    @classmethod
    def from_directory(cls, templates_dir: str | Path) -> SiteRenderer:
        """Load `site.yaml` and `layouts/` from a templates folder (the templates layer)."""
        root = Path(templates_dir)
        return cls(SiteConfig.load(root / "site.yaml"), root / "layouts")

    def _render(self, template: str, **context: Any) -> str:
        return self.env.get_template(f"{template}.html").render(**context)

    def render_post(self, post: Post) -> str:
        page = dict(post.data) | {
            "title": post.title,
            "date": post.display_date,
            "url": post.url,
            "slug": post.slug,
            "categories": [term.name for term in post.categories],
            "tags": [term.name for term in post.tags],
            "layout": post.layout,
        }
        return self._render(
            post.layout,
            page=page,
            post=post,
            content=Markup(post.body_html),
            page_url=post.url,
        )

    def render_listing(
        self,
        kind: TaxonomyKind,
        term: TermCount,
        entries: list[Entry],
        archives: list[Archive],
        month: str = "",
    ) -> str:
        """A category or tag page: the landing page, or with `month` one archive page."""
        ref = PageRef.archive(kind, term.slug, month) if month else PageRef.landing(kind, term.slug)
        return self._render(
            kind,
            kind=kind,
            term=term,
            entries=entries,
            archives=archives,
            month=month,
            landing_url=self.urls.landing(kind, term.slug),
            page={"title": f"{term.name} {month}".strip()},
            page_url=self.urls.page(ref),
        )

    def render_home(self, entries: list[Entry], categories: list[TermCount]) -> str:
        return self._render(
            "home",
            entries=entries,
            categories=categories,
            page={"title": self.config.title},
            page_url="/",
        )

    def render_not_found(self) -> str:
        return self._render("404", page={"title": "404"}, page_url="/404.html")


def post_entry(post: Post) -> Entry:
    return Entry(post.title, post.url, post.display_date, post.excerpt)
