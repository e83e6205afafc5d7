"""The 404 page, which CloudFront serves for any URL without an object."""

from __future__ import annotations

from collections.abc import Iterable

from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage
from pressroom.pages.base import SinglePage, html_page
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer


class NotFoundPage(SinglePage):
    name = "not_found"
    template = "404.html"
    path = "/404.html"

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        if change.scope == "listing" and change.kind is None:
            yield PageRef(self.name)

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        """Like the home page, it exists while the site has a published post."""
        if not index.newest(None, "", 1):
            return None
        text = renderer.render(self.template, page={"title": "404"}, page_url="/404.html")
        return html_page(text, "not_found")


KIND = NotFoundPage()
