"""Categories whose names differ only in symbols (C++, C#, C) on moto, through the handlers,
read back through the local site server, which reads a path's `+` as S3 does (a space)."""

from __future__ import annotations

import re

from pressroom_dev.serve import origin_key, site_response
from support.harness import Harness
from support.posts import PostFactory

CATEGORIES = {"C++": "c!plus-plus", "C#": "c!sharp", "C": "c"}


def get(local: Harness, path: str) -> tuple[int, str]:
    status, _, body = site_response(local.s3, local.settings.site_bucket, path)
    return status, body.decode()


def hrefs(html: str) -> list[str]:
    return [link for link in re.findall(r'href="([^"]+)"', html) if link.startswith("/")]


def test_same_named_posts_in_c_plus_plus_c_sharp_and_c_stay_apart(
    local: Harness, post_text: PostFactory
) -> None:
    # Given three posts with one slug, in the categories C++, C# and C (one slug "c" before)
    for number, (name, _) in enumerate(CATEGORIES.items()):
        local.upload(
            f"2026-03-20-intro-{number}.md",
            post_text(title=f"{name} 入门", categories=f'["{name}"]', extra="slug: intro"),
        )
    # When the pipeline drains
    local.drain()
    # Then every post is published at its own URL, and each category has its own page
    site = local.site()
    for number, (name, slug) in enumerate(CATEGORIES.items()):
        assert local.state(f"2026-03-20-intro-{number}.md").record.status == "published"
        assert f"{name} 入门" in site[f"{slug}/2026/03/20/intro.html"].decode()
        landing = site[f"category/{slug}.html"].decode()
        assert f"<h1>分类：{name}</h1>" in landing
        assert f'href="/{slug}/2026/03/20/intro.html"' in landing
        others = [other for other in CATEGORIES.values() if other != slug]
        assert not [other for other in others if f"/{other}/2026" in landing]
    assert len([key for key in site if key.endswith("/intro.html")]) == 3
    # And every link of the home page and of the category pages opens through the site server
    home = site["index.html"].decode()
    assert all(f'href="/category/{slug}.html"' in home for slug in CATEGORIES.values())
    for page in ("/", *(f"/category/{slug}.html" for slug in CATEGORIES.values())):
        status, html = get(local, page)
        assert status == 200
        for link in hrefs(html):
            assert "+" not in link
            assert get(local, link)[0] == 200, link


def test_a_permalink_with_a_plus_is_linked_as_percent_2b(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a post whose permalink an editor wrote with a literal +
    local.upload(
        "2026-03-20-notes.md",
        post_text(categories='["C++"]', extra="permalink: /c++/notes.html"),
    )
    # When the pipeline drains
    local.drain()
    # Then its object is the key with the plus, and every page links to it as %2B
    site = local.site()
    assert "c++/notes.html" in site
    home = site["index.html"].decode()
    assert 'href="/c%2B%2B/notes.html"' in home and "/c++/" not in home
    # And the link opens through the site server, while the literal + misses, as on S3
    # (CloudFront passes the path on; S3 reads "/c++/notes.html" as the key "c  /notes.html")
    assert get(local, "/c%2B%2B/notes.html")[0] == 200
    assert origin_key("/c++/notes.html") == "c  /notes.html"
    assert get(local, "/c++/notes.html")[0] == 404
