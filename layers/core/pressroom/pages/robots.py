"""`/robots.txt`: the crawling rules of `site.yaml` and where the sitemap is."""

from __future__ import annotations

from collections.abc import Iterable

from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef, RenderedPage
from pressroom.pages.base import CACHE_CONTROL, SinglePage
from pressroom.ports import SiteIndex
from pressroom.render import SiteRenderer

TEXT = "text/plain; charset=utf-8"


def robots_text(config: SiteConfig, sitemap_url: str) -> str:
    """The robots.txt of RFC 9309: one group per rule of `robots`, then the sitemap."""
    lines: list[str] = []
    for group in config.robots:
        lines += [f"User-agent: {agent}" for agent in group.user_agents]
        lines += [f"Allow: {path}" for path in group.allow]
        lines += [f"Disallow: {path}" for path in group.disallow] or ["Disallow:"]
        lines.append("")
    if sitemap_url:
        lines.append(f"Sitemap: {sitemap_url}")
    return "\n".join(lines).rstrip("\n") + "\n"


class RobotsPage(SinglePage):
    name = "robots"
    template = ""
    path = "/robots.txt"

    def stale(self, change: IndexChange, config: SiteConfig) -> Iterable[PageRef]:
        """Like the home page it exists while the site has a published post; its text
        depends on the configuration only (rebuilds bring it up to date after a change)."""
        if change.scope == "listing" and change.kind is None:
            yield PageRef(self.name)

    def render(self, ref: PageRef, index: SiteIndex, renderer: SiteRenderer) -> RenderedPage | None:
        if not index.newest(None, "", 1):
            return None
        sitemap = renderer.urls.absolute(renderer.config.sitemap_path)
        text = robots_text(renderer.config, sitemap if renderer.config.sitemap_path else "")
        return RenderedPage(text.encode("utf-8"), TEXT, CACHE_CONTROL["robots"])


KIND = RobotsPage()
