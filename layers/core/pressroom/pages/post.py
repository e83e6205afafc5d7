"""A post's page, at its permalink: the one kind rendered from its source file, not the table."""

from __future__ import annotations

from markupsafe import Markup

from pressroom.model import Post, RenderedPage
from pressroom.pages.base import html_page
from pressroom.render import SiteRenderer

NAME = "post"


def render_post(post: Post, renderer: SiteRenderer) -> RenderedPage:
    """The post in its layout; front-matter values reach the template as `page.<key>`."""
    page = dict(post.data) | {
        "title": post.title,
        "date": post.display_date,
        "url": post.url,
        "slug": post.slug,
        "categories": [term.name for term in post.categories],
        "tags": [term.name for term in post.tags],
        "layout": post.layout,
    }
    text = renderer.render(
        f"{post.layout}.html",
        page=page,
        post=post,
        content=Markup(post.body_html),
        page_url=post.url,
    )
    return html_page(text, "post")
