"""The home page: the newest posts of the site and its categories."""

from __future__ import annotations

from collections.abc import Iterable

from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage
from pressroom.pages.base import SinglePage, html_page
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer


class HomePage(SinglePage):
    name = "home"
    template = "home.html"
    path = "/"

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        if (change.scope == "listing" and change.kind is None) or (
            change.scope == "term" and change.kind == "category"
        ):
            yield PageRef(self.name)

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        """The home page exists while the site has a published post."""
        entries = index.newest(None, "", renderer.config.home_size)
        if not entries:
            return None
        categories = [term for term in index.terms("category") if term.count > 0]
        text = renderer.render(
            self.template,
            entries=entries,
            categories=categories,
            page={"title": renderer.config.title},
            page_url="/",
        )
        return html_page(text, "index")


KIND = HomePage()
