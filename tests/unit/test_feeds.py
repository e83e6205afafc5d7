"""Atom feeds: valid RFC 4287 read by a real feed parser, jekyll-feed's entry ids, escaping,
CJK text, what makes a feed stale, and the pages that link them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.robotparser import RobotFileParser

import pytest
from pydantic import ValidationError

from pressroom import pages
from pressroom.config import RobotsGroup, SiteConfig
from pressroom.model import Entry, IndexChange, PageRef, RenderedPage, TaxonomyKind, TermCount
from pressroom.pages import feed, robots
from pressroom.pages.landing import render_listing
from pressroom.render import SiteRenderer
from support.feeds import read_atom
from support.paths import TEMPLATES

Golden = Callable[[str, str], None]
SITE = "https://finews.withounder.com"
HARBOUR = Entry(
    "厦门港集装箱吞吐量创新高 “十四五”开局良好",
    "/shamenribao/2022/01/17/harbour-record.html",
    "2022-01-17 07:46:06 +0800",
    "本报讯 全年完成集装箱吞吐量约1200万标箱。",
    "shamenribao",
    "2022-01-16T23:46:06Z#a@1",
)
OLDER = Entry(
    "航运 & “港口” <周报>",
    "/财经/2022/01/16/weekly.html",
    "2022-01-16 09:00:00 -0500",
    "",
    "shamenribao",
    "2022-01-16T14:00:00Z#b@2",
)
SHAMEN = TermCount("shamenribao", "shamenribao", 2)


class ListingIndex:
    """A site index with one category, whose listings are `entries` (newest first)."""

    def __init__(self, entries: list[Entry], term: TermCount | None = SHAMEN) -> None:
        self.entries, self.category = entries, term
        self.limits: list[int] = []

    def term(self, kind: TaxonomyKind, slug: str) -> TermCount | None:
        return self.category if kind == "category" and self.category else None

    def terms(self, kind: TaxonomyKind) -> list[TermCount]:
        return [self.category] if kind == "category" and self.category else []

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        self.limits.append(limit)
        return self.entries[:limit]

    def versions(
        self, kind: TaxonomyKind | None, slug: str, start: str, end: str, limit: int | None
    ) -> list[str]:
        return [entry.version for entry in self.entries[:limit]]

    def months(self, kind: TaxonomyKind, slug: str) -> list[tuple[str, int]]:
        return []


def renderer_with(tmp_path: Path, **settings: object) -> SiteRenderer:
    config = SiteConfig.load(TEMPLATES / "site.yaml").model_copy(update=settings)
    return SiteRenderer(config, TEMPLATES / "layouts")


@pytest.fixture(scope="module")
def renderer() -> SiteRenderer:
    return SiteRenderer.from_directory(TEMPLATES)


def render(
    kind: feed.FeedPage, index: ListingIndex, renderer: SiteRenderer, slug: str = ""
) -> bytes:
    page = kind.render(PageRef(kind.name, slug), index, renderer)
    assert page is not None
    assert page.content_type == "application/atom+xml; charset=utf-8"
    assert page.cache_control == "public, max-age=600, s-maxage=3600"
    return page.body


def test_the_site_feed_matches_golden_and_is_valid_atom(
    renderer: SiteRenderer, golden: Golden
) -> None:
    # Given two posts, the second dated in another offset
    body = render(feed.SITE, ListingIndex([HARBOUR, OLDER]), renderer)
    # Then the feed is byte for byte the reviewed one, and valid Atom that feedparser reads
    golden("feed.xml", body.decode("utf-8"))
    atom = read_atom(body)
    assert atom.title == "金融消息"
    assert atom.self_link == f"{SITE}/feed.xml"
    # Its `updated` is the newest post's date, RFC 3339 with the post's own offset
    assert atom.updated == "2022-01-17T07:46:06+08:00"
    assert [entry.updated for entry in atom.entries] == [
        "2022-01-17T07:46:06+08:00",
        "2022-01-16T09:00:00-05:00",
    ]
    assert atom.parsed.feed.links[1].href == f"{SITE}/"


def test_entry_ids_are_jekyll_feeds_so_migrated_subscribers_see_no_duplicates(
    renderer: SiteRenderer,
) -> None:
    atom = read_atom(render(feed.SITE, ListingIndex([HARBOUR, OLDER]), renderer))
    # jekyll-feed writes `post.id | absolute_url`: the URL without .html, percent-encoded
    assert [entry.id for entry in atom.entries] == [
        f"{SITE}/shamenribao/2022/01/17/harbour-record",
        f"{SITE}/%E8%B4%A2%E7%BB%8F/2022/01/16/weekly",
    ]
    assert atom.entries[1].link == f"{SITE}/财经/2022/01/16/weekly.html"
    # And a re-render gives the same ids
    again = read_atom(render(feed.SITE, ListingIndex([HARBOUR, OLDER]), renderer))
    assert [e.id for e in again.entries] == [e.id for e in atom.entries]


def test_cjk_text_and_markup_in_titles_and_summaries_reach_the_reader_as_text(
    renderer: SiteRenderer,
) -> None:
    hostile = Entry(
        '</title><script>alert("x")</script> & 港\x01口\x0b ]]>',
        "/x/2022/01/17/hostile.html",
        "2022-01-17 07:46:06 +0800",
        "<img src=x onerror=alert(1)> &amp; 摘要\x7f",
        "x",
        "k@1",
    )
    body = render(feed.SITE, ListingIndex([hostile]), renderer)
    assert b"<script>" not in body and b"<img" not in body
    atom = read_atom(body)
    # The characters XML cannot hold are dropped; everything else is the editor's text
    assert atom.entries[0].title == '</title><script>alert("x")</script> & 港口 ]]>'
    assert atom.parsed.entries[0].title == atom.entries[0].title
    assert atom.entries[0].summary == "<img src=x onerror=alert(1)> &amp; 摘要\x7f"


def test_a_category_feed_names_its_category_and_links_its_landing_page(
    renderer: SiteRenderer,
) -> None:
    body = render(feed.CATEGORY, ListingIndex([HARBOUR]), renderer, "shamenribao")
    atom = read_atom(body)
    assert atom.title == "金融消息 · shamenribao"
    assert atom.self_link == f"{SITE}/feed/shamenribao.xml"
    alternate = [link.href for link in atom.parsed.feed.links if link.rel == "alternate"]
    assert alternate == [f"{SITE}/category/shamenribao.html"]


def test_a_feed_holds_the_newest_feed_size_posts(tmp_path: Path) -> None:
    renderer = renderer_with(tmp_path, feed_size=1)
    index = ListingIndex([HARBOUR, OLDER])
    atom = read_atom(render(feed.SITE, index, renderer))
    assert [entry.title for entry in atom.entries] == [HARBOUR.title]
    assert index.limits == [1]


def test_a_feed_without_posts_or_of_an_emptied_term_does_not_exist(
    renderer: SiteRenderer,
) -> None:
    assert feed.SITE.render(PageRef("feed"), ListingIndex([]), renderer) is None
    emptied = ListingIndex([HARBOUR], TermCount("shamenribao", "shamenribao", 0))
    assert feed.CATEGORY.render(PageRef("feed_category", "shamenribao"), emptied, renderer) is None
    gone = ListingIndex([HARBOUR], None)
    assert feed.CATEGORY.render(PageRef("feed_category", "shamenribao"), gone, renderer) is None


def test_a_check_equals_the_snapshot_it_was_rendered_from_until_a_listed_post_changes() -> None:
    config = SiteConfig()
    ref = PageRef("feed_category", "shamenribao")
    index = ListingIndex([HARBOUR, OLDER])
    assert (
        feed.CATEGORY.check(ref, index, config) == feed.CATEGORY.snapshot(ref, index, config).check
    )
    changed = ListingIndex([HARBOUR, replace(OLDER, version="2022-01-16T14:00:00Z#b@3")])
    assert (
        feed.CATEGORY.check(ref, changed, config)
        != feed.CATEGORY.snapshot(ref, index, config).check
    )


@pytest.mark.parametrize(
    ("change", "stale"),
    [
        (IndexChange("listing", None, "", "2022-01-16T23:46:06Z"), {PageRef("feed")}),
        (
            IndexChange("listing", "category", "shamenribao", "2022-01-16T23:46:06Z"),
            {PageRef("feed_category", "shamenribao")},
        ),
        (
            IndexChange("listing", "tag", "港口", "2022-01-16T23:46:06Z"),
            {PageRef("feed_tag", "港口")},
        ),
        (IndexChange("term", "category", "shamenribao"), set()),
        (IndexChange("months", "category", "shamenribao"), set()),
    ],
)
def test_a_feed_is_stale_when_a_post_enters_leaves_or_changes_in_its_listing(
    change: IndexChange, stale: set[PageRef]
) -> None:
    feeds = {
        ref for ref in pages.stale_pages([change], SiteConfig()) if ref.kind.startswith("feed")
    }
    assert feeds == stale


def test_a_feed_path_left_empty_turns_that_kind_of_feed_off(tmp_path: Path) -> None:
    renderer = renderer_with(tmp_path, category_feed_path="")
    config = renderer.config
    change = IndexChange("listing", "category", "shamenribao", "2022-01-16T23:46:06Z")
    assert PageRef("feed_category", "shamenribao") not in pages.stale_pages([change], config)
    assert not [
        r for r in pages.every_page(ListingIndex([HARBOUR]), config) if r.kind == "feed_category"
    ]  # type: ignore[arg-type]
    html = render_listing(renderer, "category", SHAMEN, [HARBOUR], [])
    assert 'href="/feed/shamenribao.xml"' not in html
    assert 'href="/feed.xml"' in html


@pytest.mark.parametrize("path", ["feed.xml", "/feed/", "feed/:name.xml"])
def test_a_feed_path_must_be_rooted_and_name_a_file(path: str) -> None:
    with pytest.raises(ValidationError, match="category_feed_path"):
        SiteConfig(category_feed_path=path)


def test_pages_link_the_site_feed_and_a_listing_links_its_own(renderer: SiteRenderer) -> None:
    html = render_listing(renderer, "category", SHAMEN, [HARBOUR], [])
    assert (
        '<link rel="alternate" type="application/atom+xml" title="金融消息" href="/feed.xml">'
        in html
    )
    assert (
        '<link rel="alternate" type="application/atom+xml" title="金融消息 · shamenribao" '
        'href="/feed/shamenribao.xml">'
    ) in html


def test_feed_urls_are_reserved_from_posts(renderer: SiteRenderer) -> None:
    assert "/feed.xml" in renderer.urls.reserved_urls
    assert renderer.urls.is_reserved("/feed/emnews.xml")
    assert renderer.urls.is_reserved("/feed/by_tag/港口.xml")


@pytest.mark.parametrize(
    ("broken", "found"),
    [
        (b"<updated>2022-01-17T07:46:06+08:00</updated>", b"<updated>2022-01-17 07:46</updated>"),
        (b"<id>https://finews.withounder.com/feed.xml</id>", b""),
        ("<author><name>金融消息</name></author>".encode(), b""),
    ],
)
def test_the_validator_rejects_a_feed_that_breaks_the_rfc(
    renderer: SiteRenderer, broken: bytes, found: bytes
) -> None:
    body = render(feed.SITE, ListingIndex([HARBOUR]), renderer)
    assert broken in body
    with pytest.raises(AssertionError):
        read_atom(body.replace(broken, found, 1))


# --------------------------------------------------------------------------- robots.txt


def robots_for(renderer: SiteRenderer) -> tuple[RenderedPage, RobotFileParser]:
    page = robots.KIND.render(PageRef("robots"), ListingIndex([HARBOUR]), renderer)
    assert page is not None
    parser = RobotFileParser()
    parser.parse(page.body.decode("utf-8").splitlines())
    return page, parser


def test_robots_txt_lets_every_crawler_in_by_default(renderer: SiteRenderer) -> None:
    page, parser = robots_for(renderer)
    assert page.content_type == "text/plain; charset=utf-8"
    assert page.body == f"User-agent: *\nDisallow:\n\nSitemap: {SITE}/sitemap.xml\n".encode()
    assert parser.can_fetch("Googlebot", f"{SITE}/shamenribao/2022/01/17/harbour-record.html")


def test_robots_txt_rules_come_from_site_yaml(tmp_path: Path) -> None:
    groups = (
        RobotsGroup(user_agents=("GPTBot", "CCBot"), disallow=("/",)),
        RobotsGroup(disallow=("/tag/",), allow=("/tag/港口.html",)),
    )
    renderer = renderer_with(tmp_path, robots=groups, sitemap_path="/sitemap.xml")
    _, parser = robots_for(renderer)
    assert not parser.can_fetch("GPTBot", f"{SITE}/")
    assert not parser.can_fetch("Bingbot", f"{SITE}/tag/x.html")
    assert parser.can_fetch("Bingbot", f"{SITE}/category/x.html")
    assert parser.site_maps() == [f"{SITE}/sitemap.xml"]


@pytest.mark.parametrize("rule", ["/a\nUser-agent: evil", "/a # comment", "  "])
def test_a_robots_rule_is_one_line(rule: str) -> None:
    with pytest.raises(ValidationError, match="robots rule"):
        RobotsGroup(disallow=(rule,))


def test_robots_txt_exists_while_the_site_has_a_post(renderer: SiteRenderer) -> None:
    assert robots.KIND.render(PageRef("robots"), ListingIndex([]), renderer) is None
