"""Sitemaps: shards cut like archive pages, valid against the sitemaps.org schemas and within
the protocol's limits, with every URL percent-encoded, and what makes each stale."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from pydantic import ValidationError

from pressroom import pages
from pressroom.config import SiteConfig
from pressroom.model import Entry, IndexChange, Located, PageRef, TaxonomyKind
from pressroom.pages import sitemap
from pressroom.pages.archive import period_bounds
from pressroom.render import SiteRenderer
from support.paths import TEMPLATES
from support.sitemaps import path_of, read_index, read_sitemap

SITE = "https://finews.withounder.com"
SMALL = SiteConfig.load(TEMPLATES / "site.yaml").model_copy(update={"sitemap_size": 3})


def located(date_utc: str, url: str, *terms: tuple[TaxonomyKind, str]) -> tuple[str, Located]:
    return date_utc, Located(url, "2026-03-05 09:10:00 +0800", tuple(terms), f"{date_utc}@1")


class SiteMonths:
    """A site index of the site's listing and month counters only."""

    def __init__(self, posts: Iterable[tuple[str, Located]], counts: dict[str, int]) -> None:
        self.posts = sorted(posts, key=lambda post: post[0], reverse=True)
        self.counts = counts
        self.reads: list[str] = []

    def located(self, start_utc: str, end_utc: str) -> list[Located]:
        self.reads.append(f"{start_utc}..{end_utc}")
        return [post for date, post in self.posts if start_utc <= date < end_utc]

    def versions(
        self, kind: TaxonomyKind | None, slug: str, start: str, end: str, limit: int | None
    ) -> list[str]:
        return [post.version for post in self.located(start, end)][:limit]

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        return [Entry("t", post.url, post.date, "") for _, post in self.posts[:limit]]

    def months(self, kind: TaxonomyKind | None, slug: str) -> list[tuple[str, int]]:
        months = [(period, n) for period, n in self.counts.items() if len(period) == 7]
        return sorted(months, reverse=True)

    def periods(self, kind: TaxonomyKind | None, slug: str, month: str) -> dict[str, int]:
        return {p: n for p, n in self.counts.items() if p.startswith(month) and n > 0}


@pytest.fixture(scope="module")
def renderer() -> SiteRenderer:
    return SiteRenderer(SMALL, TEMPLATES / "layouts")


def shard(renderer: SiteRenderer, index: SiteMonths, period: str) -> dict[str, str] | None:
    page = sitemap.SHARD.render(PageRef("sitemap", "", period), index, renderer)  # type: ignore[arg-type]
    if page is None:
        return None
    assert page.content_type == "application/xml; charset=utf-8"
    assert page.cache_control == "public, max-age=3600"
    return read_sitemap(page.body, SITE)


MARCH = {"2026-03": 2, "2026-03-05": 2, "2026-03-05T09": 2}
HARBOUR = located(
    "2026-03-05T01:10:00Z",
    "/财经/2026/03/05/港口 & 航运+100%.html",
    ("category", "财经"),
    ("tag", "港口"),
)
METRO = located("2026-03-05T01:20:00Z", "/city/2026/03/05/metro.html", ("category", "财经"))


def test_a_month_shard_lists_its_posts_and_their_listing_pages_once(
    renderer: SiteRenderer,
) -> None:
    # Given two posts of March in one category, one of them also in a tag, with a hostile URL
    index = SiteMonths([HARBOUR, METRO], MARCH)
    # When the March shard is rendered, then it is a valid sitemap (XSD, limits, ASCII URLs)
    entries = shard(renderer, index, "2026-03")
    assert entries is not None
    # And each post is listed with its date, percent-encoded (`+`, `&` and `%` included)
    harbour = (
        f"{SITE}/%E8%B4%A2%E7%BB%8F/2026/03/05/"
        "%E6%B8%AF%E5%8F%A3%20%26%20%E8%88%AA%E8%BF%90%2B100%25.html"
    )
    assert entries[harbour] == "2026-03-05T09:10:00+08:00"
    assert path_of(harbour) == "/财经/2026/03/05/港口 & 航运+100%.html"
    # And the category's and the tag's landing and March pages once each, without a date
    listing = {path_of(loc) for loc, lastmod in entries.items() if not lastmod}
    assert listing == {
        "/category/财经.html",
        "/category/财经/2026-03.html",
        "/tag/港口.html",
        "/tag/港口/2026-03.html",
    }
    assert len(entries) == 6


def test_a_month_over_the_shard_size_is_split_by_day_and_a_day_by_hour(
    renderer: SiteRenderer,
) -> None:
    # Given five March posts (over the size of three): four on the 5th (three at 09:00)
    posts = [
        located(f"2026-03-05T01:{minute:02d}:00Z", f"/a/{minute}.html") for minute in (1, 2, 3)
    ]
    posts += [located("2026-03-05T02:00:00Z", "/a/10.html")]
    posts += [located("2026-03-06T01:00:00Z", "/a/6.html")]
    counts = {
        "2026-03": 5,
        "2026-03-05": 4,
        "2026-03-05T09": 3,
        "2026-03-05T10": 1,
        "2026-03-06": 1,
        "2026-03-06T09": 1,
    }
    index = SiteMonths(posts, counts)
    # Then the month and the 5th have no shard, the 5th's hours and the 6th do
    assert sitemap.leaves("2026-03", counts, 3) == [
        "2026-03-05T09",
        "2026-03-05T10",
        "2026-03-06",
    ]
    assert shard(renderer, index, "2026-03") is None
    assert shard(renderer, index, "2026-03-05") is None
    nine = shard(renderer, index, "2026-03-05T09")
    assert nine is not None and {path_of(loc) for loc in nine} == {
        "/a/1.html",
        "/a/2.html",
        "/a/3.html",
    }
    six = shard(renderer, index, "2026-03-06")
    assert six is not None and [path_of(loc) for loc in six] == ["/a/6.html"]
    # And a shard reads only its own period's posts
    index.reads.clear()
    shard(renderer, index, "2026-03-06")
    assert index.reads == ["..".join(period_bounds("2026-03-06", SMALL))]
    # And the index lists the pages shard, then every shard oldest first
    page = sitemap.INDEX.render(PageRef("sitemap_index"), index, renderer)  # type: ignore[arg-type]
    assert page is not None and page.content_type == "application/xml; charset=utf-8"
    assert [path_of(loc) for loc in read_index(page.body, SITE)] == [
        "/sitemap-pages.xml",
        "/sitemap-posts-2026-03-05-09.xml",
        "/sitemap-posts-2026-03-05-10.xml",
        "/sitemap-posts-2026-03-06.xml",
    ]


def test_the_pages_shard_and_the_index_exist_while_the_site_has_a_post(
    renderer: SiteRenderer,
) -> None:
    index = SiteMonths([METRO], {"2026-03": 1, "2026-03-05": 1, "2026-03-05T09": 1})
    assert shard(renderer, index, "") == {f"{SITE}/": ""}
    empty = SiteMonths([], {"2026-03": 0})
    assert shard(renderer, empty, "") is None
    assert sitemap.INDEX.render(PageRef("sitemap_index"), empty, renderer) is None  # type: ignore[arg-type]


def test_a_shard_keeps_to_the_protocols_limits(renderer: SiteRenderer) -> None:
    # Given more entries than a sitemap may list, and one URL longer than it allows
    too_long = f"{SITE}/{'x' * 2100}.html"
    entries = [(too_long, "")] + [(f"{SITE}/p/{n}.html", "") for n in range(50_010)]
    # When they are written as one shard
    page = sitemap._urlset(renderer, entries)
    # Then it holds the first 50,000 URLs that fit, and the overlong one is left out
    found = read_sitemap(page.body, SITE)
    assert len(found) == 50_000
    assert too_long not in found and f"{SITE}/p/49999.html" in found


def stale(change: IndexChange, config: SiteConfig = SMALL) -> set[PageRef]:
    return pages.stale_pages([change], config)


def test_what_a_change_makes_stale() -> None:
    # A post in the site's listing: the pages shard
    listing = stale(IndexChange("listing", None, "", "2026-03-05T01:10:00Z"))
    assert {ref for ref in listing if ref.kind.startswith("sitemap")} == {PageRef("sitemap")}
    # The site's counter of a month that is not split, with the hour the commit changed: the
    # month's shard
    whole = (("2026-03", 2), ("2026-03-05", 2), ("2026-03-05T09", 2))
    assert stale(IndexChange("months", None, "", counts=whole)) == {
        PageRef("sitemap", "", "2026-03")
    }
    # A counter image of a split month: the changed hour's day shard, and no new index
    split = (("2026-03", 5), ("2026-03-05", 2), ("2026-03-05T09", 1))
    refs = stale(IndexChange("months", None, "", counts=split))
    assert refs == {PageRef("sitemap", "", "2026-03-05")}
    # A day of a split month with its first post (or its last gone): the index too
    first = (("2026-03", 5), ("2026-03-05", 1), ("2026-03-05T09", 1))
    assert PageRef("sitemap_index") in stale(IndexChange("months", None, "", counts=first))
    # An old image of a split month with a day at N + 1 (its `changed` hours the commit
    # before's): the day fell back to N, so the index names it again instead of its hours
    fell = (("2026-03", 6), ("2026-03-05", 4), ("2026-03-06", 2), ("2026-03-06T09", 1))
    refs = stale(IndexChange("months", None, "", counts=fell))
    assert PageRef("sitemap_index") in refs and PageRef("sitemap", "", "2026-03-05") in refs
    # A month at N + 1: it and every day shard, and the index
    crossed = (("2026-03", 4), ("2026-03-05", 2), ("2026-03-05T09", 1))
    refs = stale(IndexChange("months", None, "", counts=crossed))
    assert PageRef("sitemap_index") in refs and len(refs) == 33
    # A month with posts before and after, not split: its shard, not the index
    steady = (("2026-03", 3), ("2026-03-05", 2), ("2026-03-05T09", 1))
    assert stale(IndexChange("months", None, "", counts=steady)) == {
        PageRef("sitemap", "", "2026-03")
    }
    # A category's counter never touches the sitemap
    assert not {r.kind for r in stale(IndexChange("months", "category", "a", counts=first))} & {
        "sitemap",
        "sitemap_index",
    }
    # And with no sitemap configured, nothing of it is ever stale
    off = SMALL.model_copy(update={"sitemap_path": ""})
    assert not {
        r.kind for r in stale(IndexChange("listing", None, "", "2026-03-05T01:10:00Z"), off)
    } & {
        "sitemap",
        "sitemap_index",
    }


@pytest.mark.parametrize("path", ["sitemap.xml", "/sitemaps/", "/sitemap.txt", "/:name.xml"])
def test_a_sitemap_path_must_be_a_rooted_xml_file(path: str) -> None:
    with pytest.raises(ValidationError, match=r"sitemap_path|sitemap path"):
        SiteConfig(sitemap_path=path)


def test_shards_hold_at_most_1500_posts_so_50000_urls_always_fit() -> None:
    # each post brings its URL and two per category and tag (at most 15 of them): 31
    assert sitemap.MAX_URLS >= 1500 * 31
    with pytest.raises(ValidationError):
        SiteConfig(sitemap_size=1501)


def test_the_index_and_shards_are_reserved_urls() -> None:
    from pressroom.urls import SiteUrls

    urls = SiteUrls(SiteConfig())
    assert urls.is_reserved("/sitemap.xml")
    assert urls.is_reserved("/sitemap-posts-2026-03.xml")
    assert urls.sitemap("2026-03-05T09") == "/sitemap-posts-2026-03-05-09.xml"


def test_a_shard_stops_before_its_byte_limit(
    renderer: SiteRenderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a byte limit of 10,000 (50 MB in the protocol) and 200 URLs of about 100 bytes
    monkeypatch.setattr(sitemap, "MAX_BYTES", 10_000)
    entries = [(f"{SITE}/{'p' * 60}/{n}.html", "2026-03-05T09:10:00+08:00") for n in range(200)]
    # When they are written as one shard, then it stays under the limit and keeps the first
    page = sitemap._urlset(renderer, entries)
    assert len(page.body) <= 10_000
    found = list(read_sitemap(page.body, SITE))
    assert 50 < len(found) < 200 and found == [loc for loc, _ in entries[: len(found)]]
