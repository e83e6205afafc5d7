"""Listing pages of bounded size: a month over `archive_page_size` posts links its days, a day
over it its hours; the pipeline cuts them as the folder build does, whatever the order of
uploads and deletes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressroom_dev.folder import build_site
from support.cdn import templates_with, with_templates
from support.harness import Harness
from support.posts import PostFactory

SIZE = 3
MONTH = "category/xiamenribao/2026-03.html"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """The site's templates with archive pages of at most three posts."""
    return templates_with(tmp_path, archive_page_size=SIZE)


@pytest.fixture
def small_pages(local: Harness, templates: Path) -> Harness:
    return with_templates(local, templates)


def story(post_text: PostFactory, day: int, hour: int) -> tuple[str, str]:
    name = f"2026-03-{day:02d}-s{day}-{hour}.md"
    return name, post_text(
        title=f"新闻{day}日{hour}时", date=f"2026-03-{day:02d} {hour:02d}:10:00 +0800"
    )


def folder_build(local: Harness, templates: Path, out: Path) -> dict[str, bytes]:
    sources = []
    for page in local.s3.get_paginator("list_objects_v2").paginate(
        Bucket=local.settings.source_bucket, Prefix="posts/"
    ):
        for item in page.get("Contents", []):
            body = local.s3.get_object(Bucket=local.settings.source_bucket, Key=item["Key"])
            sources.append((item["Key"], body["Body"].read()))
    build_site(sources, templates, out, jobs=1)
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def archive_keys(site: dict[str, bytes]) -> list[str]:
    return sorted(key for key in site if key.startswith("category/xiamenribao/"))


def test_a_month_and_a_day_over_the_page_size_are_split_and_joined_again(
    small_pages: Harness, templates: Path, post_text: PostFactory, tmp_path: Path
) -> None:
    local = small_pages
    # Given three posts on three days of March: one month page listing all three
    for day in (3, 5, 7):
        local.upload(*story(post_text, day, 9))
    local.drain()
    site = local.site()
    assert archive_keys(site) == [MONTH]
    assert site[MONTH].decode().count('<li><a href="/xiamenribao/') == 3

    # When a fourth post arrives on the 5th: the month crosses the page size
    local.upload(*story(post_text, 5, 11))
    local.drain()
    # Then the month page links its days with their counts, and each day is a page
    site = local.site()
    assert archive_keys(site) == [
        MONTH,
        "category/xiamenribao/2026-03/03.html",
        "category/xiamenribao/2026-03/05.html",
        "category/xiamenribao/2026-03/07.html",
    ]
    month = site[MONTH].decode()
    assert '<a href="/category/xiamenribao/2026-03/05.html">05</a> <span class="meta">(2)' in month
    assert '<li><a href="/xiamenribao/' not in month
    assert site["category/xiamenribao/2026-03/05.html"].decode().count("新闻5日") == 2
    assert site == folder_build(local, templates, tmp_path / "split")

    # When the 5th grows past the page size too: it links its hours, each hour a page
    for hour in (13, 15):
        local.upload(*story(post_text, 5, hour))
    local.drain()
    site = local.site()
    hours = [
        key for key in archive_keys(site) if key.startswith("category/xiamenribao/2026-03/05/")
    ]
    assert hours == [
        f"category/xiamenribao/2026-03/05/{hour}.html" for hour in ("09", "11", "13", "15")
    ]
    day = site["category/xiamenribao/2026-03/05.html"].decode()
    assert '<a href="/category/xiamenribao/2026-03/05/13.html">13:00</a>' in day
    assert site == folder_build(local, templates, tmp_path / "hours")

    # When posts are deleted until the month holds three again: one page, the others gone
    for hour in (11, 13, 15):
        local.delete(story(post_text, 5, hour)[0])
    local.drain()
    site = local.site()
    assert archive_keys(site) == [MONTH]
    assert site[MONTH].decode().count('<li><a href="/xiamenribao/') == 3
    assert site == folder_build(local, templates, tmp_path / "joined")


def test_an_edited_title_in_a_split_month_rewrites_its_day_page(
    small_pages: Harness, post_text: PostFactory
) -> None:
    local = small_pages
    # Given a split month (five posts over two days)
    for day, hour in ((3, 9), (3, 10), (4, 9), (4, 10), (4, 11)):
        local.upload(*story(post_text, day, hour))
    local.drain()
    # When one post's title changes, no count moving
    name, _ = story(post_text, 4, 10)
    local.upload(name, post_text(title="改过的标题", date="2026-03-04 10:10:00 +0800"))
    local.drain()
    # Then its day page shows the new title
    site = local.site()
    assert "改过的标题" in site["category/xiamenribao/2026-03/04.html"].decode()
    assert "新闻4日10时" not in site["category/xiamenribao/2026-03/04.html"].decode()
