"""Sitemaps through the pipeline: the index leads to shards that are valid and within the
protocol's limits, every URL in them resolves, a new post rewrites its own shard (and the
index only when the set of shards changes), a month over `sitemap_size` is split by day as
the folder build splits it, and deletes take posts out."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressroom.urls import key_for_url
from pressroom_dev.folder import build_site
from support.cdn import templates_with, with_templates
from support.harness import Harness
from support.posts import PostFactory
from support.sitemaps import crawl, path_of

SITE = "https://finews.withounder.com"
SIZE = 3


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """The site's templates with shards of at most three posts."""
    return templates_with(tmp_path, sitemap_size=SIZE)


@pytest.fixture
def small_shards(local: Harness, templates: Path) -> Harness:
    return with_templates(local, templates)


def sitemap_of(site: dict[str, bytes]) -> dict[str, str]:
    """Every URL the index leads to, after validating the index and each shard."""
    return crawl(lambda path: site.get(key_for_url(path)), SITE, "/sitemap.xml")


def story(post_text: PostFactory, day: int, hour: int = 9, **fields: str) -> tuple[str, str]:
    name = f"2026-03-{day:02d}-s{day}-{hour}.md"
    date = f"2026-03-{day:02d} {hour:02d}:10:00 +0800"
    return name, post_text(title=f"新闻{day}日{hour}时", date=date, **fields)


def shards(site: dict[str, bytes]) -> list[str]:
    return sorted(key for key in site if key.startswith("sitemap-"))


def test_every_url_in_the_sitemap_resolves_and_every_post_is_in_it(
    local: Harness, post_text: PostFactory
) -> None:
    # Given posts in two months, in categories and tags (one tag in Chinese)
    local.upload("2026-02-27-old.md", post_text(title="旧闻", date="2026-02-27 08:00:00 +0800"))
    local.upload(*story(post_text, 5, tags="港口 航运"))
    local.upload(*story(post_text, 6, categories="hangyun"))
    local.drain()
    site = local.site()
    # When a crawler reads /sitemap.xml and each shard it names (robots.txt points to it)
    assert f"Sitemap: {SITE}/sitemap.xml" in site["robots.txt"].decode()
    found = sitemap_of(site)
    # Then every URL is a page the site serves, and every post is listed with its date
    for loc in found:
        assert key_for_url(path_of(loc)) in site, loc
    posts = {path_of(loc): lastmod for loc, lastmod in found.items() if lastmod}
    assert posts == {
        "/xiamenribao/2026/02/27/old.html": "2026-02-27T08:00:00+08:00",
        "/xiamenribao/2026/03/05/s5-9.html": "2026-03-05T09:10:00+08:00",
        "/hangyun/2026/03/06/s6-9.html": "2026-03-06T09:10:00+08:00",
    }
    # And the home page, each landing page and each month page are listed
    assert {"/", "/tag/港口.html", "/category/hangyun/2026-03.html"} <= {
        path_of(loc) for loc in found
    }
    assert shards(site) == [
        "sitemap-pages.xml",
        "sitemap-posts-2026-02.xml",
        "sitemap-posts-2026-03.xml",
    ]
    head = local.s3.head_object(Bucket=local.settings.site_bucket, Key="sitemap.xml")
    assert head["ContentType"] == "application/xml; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=3600"


def test_a_new_post_rewrites_its_shard_and_the_index_only_for_a_new_shard(
    local: Harness, post_text: PostFactory
) -> None:
    local.upload(*story(post_text, 5))
    local.drain()
    before = local.site()
    # When a second March post arrives
    local.upload(*story(post_text, 6))
    local.drain()
    after = local.site()
    changed = {key for key in after if key.startswith("sitemap") and before.get(key) != after[key]}
    # Then only March's shard changed: the index and the pages shard are the same bytes
    assert changed == {"sitemap-posts-2026-03.xml"}
    # When a post of a new month arrives, its shard is new and the index names it
    local.upload("2026-04-01-new.md", post_text(title="四月", date="2026-04-01 08:00:00 +0800"))
    local.drain()
    final = local.site()
    assert {
        key for key in final if key.startswith("sitemap") and before.get(key) != final[key]
    } == {
        "sitemap-posts-2026-03.xml",
        "sitemap-posts-2026-04.xml",
        "sitemap.xml",
    }
    # with the post and its category's and tag's April pages (their landing pages are in
    # March's shard already)
    assert len(sitemap_of(final)) == len(sitemap_of(after)) + 3


def test_a_month_over_the_shard_size_is_split_by_day_as_the_folder_build_splits_it(
    small_shards: Harness, templates: Path, post_text: PostFactory, tmp_path: Path
) -> None:
    local = small_shards
    # Given three March posts: one March shard
    for day in (3, 5, 7):
        local.upload(*story(post_text, day))
    local.drain()
    assert shards(local.site()) == ["sitemap-pages.xml", "sitemap-posts-2026-03.xml"]
    # When a fourth arrives, the month is split: one shard per day with posts
    local.upload(*story(post_text, 5, 11))
    local.drain()
    site = local.site()
    assert shards(site) == [
        "sitemap-pages.xml",
        "sitemap-posts-2026-03-03.xml",
        "sitemap-posts-2026-03-05.xml",
        "sitemap-posts-2026-03-07.xml",
    ]
    assert len([lastmod for lastmod in sitemap_of(site).values() if lastmod]) == 4
    # And the folder build of the same sources writes the same sitemaps, byte for byte
    out = tmp_path / "out"
    bucket = local.settings.source_bucket
    listed = local.s3.list_objects_v2(Bucket=bucket, Prefix="posts/")["Contents"]
    sources = [
        (item["Key"], local.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
        for item in listed
    ]
    build_site(sources, templates, out, jobs=1)
    for key in ["sitemap.xml", *shards(site)]:
        assert (out / key).read_bytes() == site[key], key
    # When posts are deleted until the month is under the size again, it is one shard again
    local.delete("2026-03-05-s5-11.md")
    local.delete("2026-03-07-s7-9.md")
    local.drain()
    site = local.site()
    assert shards(site) == ["sitemap-pages.xml", "sitemap-posts-2026-03.xml"]
    assert len([lastmod for lastmod in sitemap_of(site).values() if lastmod]) == 2
    # And when the last posts go, so do the sitemaps
    local.delete("2026-03-03-s3-9.md")
    local.delete("2026-03-05-s5-9.md")
    local.drain()
    assert shards(local.site()) == [] and "sitemap.xml" not in local.site()
