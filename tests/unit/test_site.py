"""site: the one slug function, URL patterns, object keys, hrefs and link resolution."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressroom import pages
from pressroom.config import SiteConfig
from pressroom.model import PageRef, TaxonomyKind
from pressroom.urls import (
    SYMBOL_WORDS,
    SiteUrls,
    date_tokens,
    expand,
    href,
    is_separator,
    key_for_url,
    slugify,
)
from support.paths import CORPUS

FINEWS = SiteConfig(url="https://finews.withounder.com/")
POST_URL = "/emnews/2021/12/08/202112082206672930.html"
# Letters, symbols that look alike, and separators, for the property tests.
NAME_CHARS = "cCrRdD+#&!.~_()/ -–Ｃ＋"
LOOK_ALIKES = [
    "C++",
    "C#",
    "C",
    "C plus plus",
    "C plus-plus",
    "R&D",
    "R-D",
    "R and D",
    "R!and!D",
]


class TestSlugify:
    @pytest.mark.parametrize(
        ("text", "slug"),
        [
            ("emnews", "emnews"),
            ("TechWeb", "techweb"),
            ("Techweb", "techweb"),
            ("ＴｅｃｈＷｅｂ", "techweb"),  # full-width letters: NFKC
            ("ｅｍｎｅｗｓ１２", "emnews12"),
            ("财联社", "财联社"),
            ("厦门日报新闻", "厦门日报新闻"),
            ("anxinguojizhengquan(xianggang)", "anxinguojizhengquan(xianggang)"),
            ("安信国际证券（香港）", "安信国际证券(香港)"),  # full-width parentheses fold too
            ("Career In touxingPEVC", "career-in-touxingpevc"),
            ("21shijijingjibaodao  nancailicaitong", "21shijijingjibaodao-nancailicaitong"),
            ("a b", "a-b"),
            ("a - b", "a-b"),
            ("a–b", "a-b"),  # an en dash separates words like a dash
            ("Straße", "strasse"),
            ("-a-", "a"),
            ("Node.js", "node.js"),
            ("a_b(c)", "a_b(c)"),
            # symbols are spelled, so names that differ in them stay apart
            ("C++", "c!plus-plus"),
            ("Ｃ＋＋", "c!plus-plus"),
            ("C#", "c!sharp"),
            ("C", "c"),
            ("C plus plus", "c-plus-plus"),
            ("C++ Primer", "c!plus-plus!-primer"),
            ("R&D", "r!and!d"),
            ("R-D", "r-d"),
            ("a/b", "a!slash!b"),
            ("a?b", "a!question!b"),
            ("a#b", "a!sharp!b"),
            ("a%b", "a!percent!b"),
            ("a / ? # % b", "a-!slash!-!question!-!sharp!-!percent!-b"),
            ("a_b~c.d", "a_b!tilde!c.d"),
            ("a..b", "a.!dot!b"),
            ("a....b", "a.!dot-dot-dot!b"),
            (".NET", "!dot!net"),
            ("a.", "a!dot"),
            ("../../etc/passwd", "!dot-dot-slash-dot-dot-slash!etc!slash!passwd"),
            ("新闻😀", "新闻!u1f600"),
            ("查克·舒默", "查克!middot!舒默"),
            ("a!b", "a!excl!b"),
            # no letter or digit: no slug (the post is rejected, as before)
            ("..", ""),
            ("...", ""),
            ("///", ""),
            ("📈", ""),
            ("", ""),
        ],
    )
    def test_slugify(self, text: str, slug: str) -> None:
        # Given a category or tag name editors wrote; When slugified; Then its one slug
        assert slugify(text) == slug

    @pytest.mark.parametrize(
        ("text", "slug"),
        [
            ("a/b", "a-b"),
            ("a+b", "a-b"),
            ("a?b", "a-b"),
            ("a#b", "a-b"),
            ("a%b", "a-b"),
            ("a / ? # % b", "a-b"),
            ("a_b~c.d", "a_b~c.d"),
            ("a..b", "a.b"),
            ("a....b", "a.b"),
            ("../../etc/passwd", "etc-passwd"),
            ("..", ""),
            ("///", ""),
        ],
    )
    def test_post_slugs_keep_their_rule(self, text: str, slug: str) -> None:
        # Given a file name or `slug:` with symbols; When slugified as a post slug (cased)
        # Then symbols still become one dash, so no post URL of today changes
        assert slugify(text, cased=True) == slug

    def test_cased_keeps_case_but_still_normalises_width(self) -> None:
        assert slugify("NW202201072239307540", cased=True) == "NW202201072239307540"
        assert slugify("ＮＷ２０２２", cased=True) == "NW2022"
        assert slugify("Harbour Record", cased=True) == "Harbour-Record"

    @pytest.mark.parametrize(
        "text", ["a..b", "../x", "x/..", ".a.", "a.-..-.b", "..%2f..", " . . "]
    )
    @pytest.mark.parametrize("cased", [False, True])
    def test_no_dot_dot_and_no_edge_dots_or_dashes(self, text: str, cased: bool) -> None:
        slug = slugify(text, cased=cased)
        assert ".." not in slug and "/" not in slug
        assert not slug.startswith(("-", ".")) and not slug.endswith(("-", "."))

    # A slug that spells a symbol is not idempotent (and cannot be, being injective: `C#` and
    # its slug `c!sharp` are two names); a plain slug, and every post slug, are.
    @pytest.mark.parametrize("text", ["TechWeb", "财联社 新闻", "a（b）", "Ｘ-Ｙ", "node.js"])
    def test_idempotent(self, text: str) -> None:
        assert slugify(slugify(text)) == slugify(text)

    @pytest.mark.parametrize("text", ["Ｘ/Ｙ", "a+b", "C#"])
    def test_post_slugs_idempotent(self, text: str) -> None:
        assert slugify(slugify(text, cased=True), cased=True) == slugify(text, cased=True)

    def test_case_and_width_variants_collide(self) -> None:
        assert len({slugify(v) for v in ("TechWeb", "Techweb", "TECHWEB", "ＴｅｃｈＷｅｂ")}) == 1
        assert len({slugify(v) for v in ("C++", "c++", "Ｃ＋＋", "ｃ＋+")}) == 1

    def test_look_alike_names_stay_apart(self) -> None:
        # Given names that differ only in symbols; Then each has its own category URL
        urls = SiteUrls(FINEWS)
        landing = {name: urls.landing("category", slugify(name)) for name in LOOK_ALIKES}
        assert landing == {
            "C++": "/category/c!plus-plus.html",
            "C#": "/category/c!sharp.html",
            "C": "/category/c.html",
            "C plus plus": "/category/c-plus-plus.html",
            "C plus-plus": "/category/c-plus-plus.html",
            "R&D": "/category/r!and!d.html",
            "R-D": "/category/r-d.html",
            "R and D": "/category/r-and-d.html",
            "R!and!D": "/category/r!excl!and!excl!d.html",
        }

    def test_symbol_words_cannot_meet(self) -> None:
        # Then the words are distinct, plain a-z, and none looks like a code point (u + hex)
        words = list(SYMBOL_WORDS.values())
        assert len(set(words)) == len(words)
        assert all(re.fullmatch(r"[a-z]+", word) for word in words)
        assert not [word for word in words if re.fullmatch(r"u[0-9a-f]+", word)]
        assert all(len(char) == 1 and not is_separator(char) for char in SYMBOL_WORDS)
        assert all(unicodedata.normalize("NFKC", c).casefold() == c for c in SYMBOL_WORDS)

    @settings(max_examples=3000, deadline=None)
    @given(st.text(alphabet=NAME_CHARS, max_size=8), st.text(alphabet=NAME_CHARS, max_size=8))
    def test_names_that_fold_apart_have_different_slugs(self, one: str, other: str) -> None:
        # Given two names from a small alphabet of letters, symbols and separators (so that
        # look-alikes are frequent); Then their slugs differ unless the names fold alike
        if not slugify(one) or not slugify(other):
            return
        if folded(one) != folded(other):
            assert slugify(one) != slugify(other)
        else:
            assert slugify(one) == slugify(other)

    @settings(max_examples=2000, deadline=None)
    @given(st.text(max_size=12))
    def test_a_slug_spells_out_its_folded_name(self, name: str) -> None:
        # Given any name at all; Then its folded name can be read back from its slug (so no
        # two names that fold apart share one), and the slug is a safe, readable path segment
        slug = slugify(name)
        if not slug:
            assert not any(char.isalnum() for char in folded(name))
            return
        assert unslug(slug) == folded(name)
        assert "+" not in slug and "/" not in slug and ".." not in slug and "%" not in slug
        assert not slug.startswith(("-", ".")) and not slug.endswith(("-", "."))
        assert all(char.isprintable() for char in slug)

    @settings(max_examples=500, deadline=None)
    @given(st.lists(st.text(alphabet=NAME_CHARS + "新闻+ ", min_size=1, max_size=6), max_size=3))
    def test_no_generated_url_has_a_literal_plus(self, names: list[str]) -> None:
        # Given categories and tags with any symbols; When every URL of theirs is generated
        # Then none has a `+` (S3 behind CloudFront would read it as a space)
        urls = SiteUrls(FINEWS)
        for slug in filter(None, map(slugify, names)):
            for kind in ("category", "tag"):
                for url in (urls.landing(kind, slug), urls.archive(kind, slug, "2026-03")):
                    assert "+" not in url and "+" not in href(url)
                    assert "+" not in urls.absolute(url)
            post_url = expand(
                FINEWS.permalink,
                {"categories": slug, "title": slugify("c++ notes", cased=True)}
                | date_tokens(datetime(2026, 3, 20)),
            )
            assert "+" not in post_url


def folded(name: str) -> str:
    """A name as its slug keeps it: NFKC, case-folded, each run of separators one `-`."""
    text = unicodedata.normalize("NFKC", name).casefold()
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if is_separator(char):
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return "-".join(words)


def unslug(slug: str) -> str:
    """A category slug read back: literal text, and each `!`…`!` run of symbol words."""
    chars = {word: char for char, word in SYMBOL_WORDS.items()}
    out: list[str] = []
    index = 0
    while index < len(slug):
        if slug[index] != "!":
            out.append(slug[index])
            index += 1
            continue
        close = slug.find("!", index + 1)
        run = slug[index + 1 : close if close >= 0 else len(slug)]
        for word in run.split("-"):
            out.append(chars[word] if word in chars else chr(int(word[1:], 16)))
        index = close + 1 if close >= 0 else len(slug)
    return "".join(out)


def legacy_slug(text: str) -> str:
    """slugify as it was before names that differ in symbols were told apart (frozen here)."""
    slug = re.sub(
        r"-{2,}",
        "-",
        re.sub(r"[^\w.~()-]+", "-", unicodedata.normalize("NFKC", text).casefold()),
    ).strip("-.")
    while ".." in slug:
        slug = slug.replace("..", ".")
    return slug


def corpus_names() -> set[tuple[TaxonomyKind, str]]:
    """Every category and tag name of the news site's corpus: the posts' `categories:` and
    `tags:` lines (as the parser spaces them), and the names of its category pages."""
    names: set[tuple[TaxonomyKind, str]] = set()
    for path in sorted(CORPUS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for kind, field in (("category", "categories"), ("tag", "tags")):
            for line in re.findall(rf"^{field}: (.+)$", text, re.M):
                names.add((kind, " ".join(line.split())))
    for page in sorted((CORPUS.parent / "site" / "category").glob("*.html")):
        names.add(("category", " ".join(page.stem.split())))
    return names


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the news site's corpus is not on this machine")
def test_every_url_of_the_news_site_stays() -> None:
    # Given every category and tag name of the news site (posts and category pages)
    names = corpus_names()
    assert len(names) >= 20 and ("category", "anxinguojizhengquan(xianggang)") in names
    # When their landing and archive URLs are generated with the slug rule of before and now
    urls = SiteUrls(FINEWS)

    def every_url(slug_of: Callable[[str], str]) -> dict[tuple[TaxonomyKind, str], list[str]]:
        return {
            (kind, name): [
                urls.landing(kind, slug_of(name)),
                urls.archive(kind, slug_of(name), "2021-12"),
            ]
            for kind, name in names
        }

    # Then every one is the same, and they are all plain (no symbol was spelled)
    now = every_url(slugify)
    assert now == every_url(legacy_slug)
    assert now[("category", "Career In touxingPEVC")][0] == "/category/career-in-touxingpevc.html"
    assert not [url for pair in now.values() for url in pair if "!" in url or "+" in url]


class TestExpand:
    def test_tokens_are_filled(self) -> None:
        values = {"categories": "emnews", "year": "2021", "month": "12", "day": "08", "title": "x"}
        url = expand("/:categories/:year/:month/:day/:title.html", values)
        assert url == "/emnews/2021/12/08/x.html"

    def test_unknown_tokens_are_kept(self) -> None:
        assert expand("/:year/:nope/:title.html", {"year": "2021", "title": "x"}) == (
            "/2021/:nope/x.html"
        )

    def test_empty_segments_collapse(self) -> None:
        assert expand("/:categories/:year/x.html", {"categories": "", "year": "2021"}) == (
            "/2021/x.html"
        )

    def test_double_slash_in_pattern_collapses(self) -> None:
        assert expand("//a///b", {}) == "/a/b"

    def test_archive_pattern(self) -> None:
        url = expand(
            "/category/:name/:year-:month.html", {"name": "a", "year": "2022", "month": "01"}
        )
        assert url == "/category/a/2022-01.html"

    def test_date_tokens_use_the_dates_own_offset(self) -> None:
        # Given 00:19 at +08:00 (still the 25th in UTC)
        when = datetime(2022, 5, 26, 0, 19, 55, tzinfo=timezone(timedelta(hours=8)))
        tokens = date_tokens(when)
        assert (tokens["year"], tokens["month"], tokens["day"]) == ("2022", "05", "26")
        assert (tokens["i_month"], tokens["i_day"], tokens["short_year"]) == ("5", "26", "22")
        assert (tokens["hour"], tokens["minute"], tokens["second"]) == ("00", "19", "55")


class TestKeyForUrl:
    @pytest.mark.parametrize(
        ("url", "key"),
        [
            ("/", "index.html"),
            ("", "index.html"),
            ("/a/", "a/index.html"),
            ("/a/b.html", "a/b.html"),
            (POST_URL, POST_URL[1:]),
            ("/category/%E8%B4%A2%E8%81%94%E7%A4%BE.html", "category/财联社.html"),
            ("/category/财联社.html", "category/财联社.html"),
            ("/a%20b.html", "a b.html"),
            ("/a.html?x=1", "a.html"),
            ("/a.html#top", "a.html"),
        ],
    )
    def test_key_for_url(self, url: str, key: str) -> None:
        assert key_for_url(url) == key


class TestHref:
    def test_keeps_chinese_readable(self) -> None:
        assert href("/category/财联社.html") == "/category/财联社.html"

    def test_encodes_space_and_quote(self) -> None:
        assert href('/a b"c.html') == "/a%20b%22c.html"

    @pytest.mark.parametrize(
        ("url", "encoded"),
        [
            ("/a<b>.html", "/a%3Cb%3E.html"),
            ("/a%b", "/a%25b"),
            ("/a#b", "/a%23b"),
            ("/a?b", "/a%3Fb"),
            ("/a\\b", "/a%5Cb"),
            ("/a`b", "/a%60b"),
            ("/a\nb", "/a%0Ab"),
            ("/c++/a+b.html", "/c%2B%2B/a%2Bb.html"),  # S3 would read a literal + as a space
        ],
    )
    def test_encodes_ascii_specials(self, url: str, encoded: str) -> None:
        assert href(url) == encoded

    def test_keeps_url_safe_ascii(self) -> None:
        url = "/anxinguojizhengquan(xianggang)/2021/12/08/a-b_c~d.html"
        assert href(url) == url

    @pytest.mark.parametrize("url", ["/category/财联社 新闻.html", "/c++/a+b.html"])
    def test_key_for_url_inverts_href(self, url: str) -> None:
        assert key_for_url(href(url)) == url[1:]


class TestInternalPath:
    urls = SiteUrls(FINEWS)

    @pytest.mark.parametrize(
        ("link", "path"),
        [
            ("/category/emnews.html", "/category/emnews.html"),
            ("/", "/"),
            ("../emnews/", "/emnews/2021/12/emnews/"),  # resolves from the post's URL
            ("../", "/emnews/2021/12/"),
            ("x.html", "/emnews/2021/12/08/x.html"),
            ("https://finews.withounder.com/a.html", "/a.html"),
            ("http://finews.withounder.com/a.html", "/a.html"),
            ("https://FINEWS.WITHOUNDER.COM/a.html", "/a.html"),
            ("https://finews.withounder.com", "/"),
            ("//finews.withounder.com/", "/"),
            ("//finews.withounder.com/category/shamenribao.html", "/category/shamenribao.html"),
            ("/a.html#top", "/a.html"),
            ("/a.html?x=1", "/a.html"),
            ("/category/%E8%B4%A2%E8%81%94%E7%A4%BE.html", "/category/财联社.html"),
            ("  /padded.html  ", "/padded.html"),
            ("/a+b.html", "/a b.html"),  # as S3 reads the path behind CloudFront
            ("/a%2Bb.html", "/a+b.html"),
        ],
    )
    def test_site_links(self, link: str, path: str) -> None:
        assert self.urls.internal_path(link, POST_URL) == path

    @pytest.mark.parametrize(
        "link",
        [
            "http://finance.eastmoney.com/news/11060,202112082206672930.html",
            "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW1",
            "//evil.com/x",
            "https://finews.withounder.com.evil.com/x",
            "mailto:editor@finews.withounder.com",
            "javascript:alert(1)",
            "ftp://finews.withounder.com/a",
            "#top",
            "",
            "   ",
        ],
    )
    def test_links_that_leave_the_site(self, link: str) -> None:
        assert self.urls.internal_path(link, POST_URL) is None

    def test_other_site_url_makes_finews_external(self) -> None:
        urls = SiteUrls(SiteConfig(url="https://example.org"))
        assert urls.internal_path("//finews.withounder.com/x", POST_URL) is None
        assert urls.internal_path("https://example.org/x", POST_URL) == "/x"


class TestPages:
    urls = SiteUrls(FINEWS)

    def test_trailing_slash_dropped_from_site_url(self) -> None:
        assert FINEWS.url == "https://finews.withounder.com"

    def test_landing_and_archive_urls(self) -> None:
        assert self.urls.landing("category", "财联社") == "/category/财联社.html"
        assert self.urls.landing("tag", "东财滚动新闻") == "/tag/东财滚动新闻.html"
        assert self.urls.archive("category", "emnews", "2021-12") == "/category/emnews/2021-12.html"
        assert self.urls.archive("tag", "x", "2022-01") == "/tag/x/2022-01.html"

    def test_patterns_come_from_config(self) -> None:
        config = SiteConfig(
            category_path="/c/:name/",
            category_archive_path="/c/:name/:year/:month/",
            tag_path="/t/:name/",
            tag_archive_path="/t/:name/:year/:month/",
        )
        urls = SiteUrls(config)
        assert urls.landing("category", "a") == "/c/a/"
        assert urls.archive("category", "a", "2021-12") == "/c/a/2021/12/"
        assert urls.landing("tag", "b") == "/t/b/"
        assert urls.archive("tag", "b", "2022-01") == "/t/b/2022/01/"
        assert urls.reserved_prefixes == ("/.well-known/", "/c/", "/feed/", "/sitemap-", "/t/")

    @pytest.mark.parametrize(
        ("ref", "url"),
        [
            (PageRef("home"), "/"),
            (PageRef("not_found"), "/404.html"),
            (PageRef("category", "emnews"), "/category/emnews.html"),
            (PageRef("tag", "x"), "/tag/x.html"),
            (PageRef("category_archive", "emnews", "2021-12"), "/category/emnews/2021-12.html"),
            (PageRef("tag_archive", "x", "2022-05"), "/tag/x/2022-05.html"),
            (PageRef("feed"), "/feed.xml"),
            (PageRef("feed_category", "emnews"), "/feed/emnews.xml"),
            (PageRef("feed_tag", "x"), "/feed/by_tag/x.xml"),
        ],
    )
    def test_page_refs(self, ref: PageRef, url: str) -> None:
        assert pages.url_of(ref, self.urls) == url

    def test_reserved_urls(self) -> None:
        assert {"/", "/index.html", "/404.html", "/robots.txt", "/favicon.ico"} <= (
            self.urls.reserved_urls
        )
        assert self.urls.reserved_prefixes == (
            "/.well-known/",
            "/category/",
            "/feed/",
            "/sitemap-",
            "/tag/",
        )

    @pytest.mark.parametrize(
        ("url", "reserved"),
        [
            ("/", True),
            ("/index.html", True),
            ("/404.html", True),
            ("/category/x.html", True),
            ("/tag/x/2022-01.html", True),
            ("/robots.txt", True),
            ("/.well-known/security.txt", True),
            ("/categoryx.html", False),
            ("/emnews/2021/12/08/x.html", False),
            ("/a/index.html", False),
        ],
    )
    def test_is_reserved(self, url: str, reserved: bool) -> None:
        assert self.urls.is_reserved(url) is reserved

    def test_absolute(self) -> None:
        assert self.urls.absolute("/category/财联社 新闻.html") == (
            "https://finews.withounder.com/category/财联社%20新闻.html"
        )
