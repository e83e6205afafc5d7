"""The kinds of page with the repository templates: golden pages, escaping, no template
injection."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pressroom.content import parse_post
from pressroom.model import Archive, Entry, PageRef, Post, TaxonomyKind, TermCount
from pressroom.pages import home, not_found
from pressroom.pages.landing import render_listing
from pressroom.pages.post import render_post
from pressroom.render import SiteRenderer
from pressroom.usecases.records import post_record

Golden = Callable[[str, str], None]
FIXTURE = "2022-01-17-harbour-record.md"


@pytest.fixture(scope="module")
def renderer() -> SiteRenderer:
    templates = Path(__file__).resolve().parents[2] / "templates"
    return SiteRenderer.from_directory(templates)


def parse(renderer: SiteRenderer, raw: bytes, name: str = "2022-01-17-x.md") -> Post:
    return parse_post(name, raw, renderer.config, renderer.post_layouts)


def post_source(
    title: str,
    body: str = "<p>正文</p>\n",
    *,
    layout: str = "post",
    terms: str = "categories: emnews",
    extra: str = "",
) -> bytes:
    front = f"layout: {layout}\ntitle: {title}\ndate: 2022-01-17 07:46:06 +0800\n{terms}\n{extra}"
    return f"---\n{front.strip()}\n---\n{body}".encode()


@pytest.fixture(scope="module")
def fixture_post(renderer: SiteRenderer) -> Post:
    path = Path(__file__).resolve().parents[1] / "fixtures" / "posts" / FIXTURE
    return parse(renderer, path.read_bytes(), name=f"_posts/{FIXTURE}")


ENTRIES = [
    Entry(
        "厦门港集装箱吞吐量创新高 “十四五”开局良好",
        "/shamenribao/2022/01/17/harbour-record.html",
        "2022-01-17 07:46:06 +0800",
        "本报讯 全年完成集装箱吞吐量约1200万标箱。",
    ),
    Entry(
        "<b>不是粗体</b> & 符号",
        "/shamenribao/2022/01/16/a b.html",
        "2022-01-16 09:00:00 +0800",
        "",
    ),
]
ARCHIVES = [
    Archive("2022-01", 2, "/category/shamenribao/2022-01.html"),
    Archive("2021-12", 5, "/category/shamenribao/2021-12.html"),
]
SHAMEN = TermCount("shamenribao", "shamenribao", 7)


class StaticIndex:
    """A site index that always answers with the same posts and categories."""

    def __init__(self, entries: list[Entry], categories: list[TermCount]) -> None:
        self.entries, self.categories = entries, categories

    def term(self, kind: TaxonomyKind, slug: str) -> TermCount | None:
        return next((term for term in self.terms(kind) if term.slug == slug), None)

    def terms(self, kind: TaxonomyKind) -> list[TermCount]:
        return self.categories if kind == "category" else []

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        return self.entries[:limit]

    def between(self, kind: TaxonomyKind, slug: str, start_utc: str, end_utc: str) -> list[Entry]:
        return self.entries

    def months(self, kind: TaxonomyKind, slug: str) -> list[tuple[str, int]]:
        return []


def post_html(post: Post, renderer: SiteRenderer) -> str:
    page = render_post(post, renderer)
    assert page.content_type == "text/html; charset=utf-8"
    return page.body.decode("utf-8")


def home_html(renderer: SiteRenderer, entries: list[Entry], categories: list[TermCount]) -> str:
    page = home.KIND.render(PageRef("home"), StaticIndex(entries, categories), renderer)
    assert page is not None
    return page.body.decode("utf-8")


# --------------------------------------------------------------------------- golden pages


def test_post_page_matches_golden(
    renderer: SiteRenderer, fixture_post: Post, golden: Golden
) -> None:
    # Given the fixture post; When rendered; Then byte for byte the reviewed page
    golden("post.html", post_html(fixture_post, renderer))


def test_post_page_content(renderer: SiteRenderer, fixture_post: Post) -> None:
    html = post_html(fixture_post, renderer)
    # Then the title, the date in the post's own offset, the term links and the body are there
    assert '<h1 class="post-title">厦门港集装箱吞吐量创新高 “十四五”开局良好</h1>' in html
    assert '<time datetime="2022-01-17T07:46:06+08:00">2022-01-17 07:46:06 +0800</time>' in html
    assert '<a href="/category/shamenribao.html">shamenribao</a>' in html
    assert '<a href="/tag/厦门日报新闻.html">厦门日报新闻</a>' in html
    assert '<a href="/tag/港口.html">港口</a>' in html
    body = re.search(r'<div class="post-body">\n(.*?)\n</div>', html, re.S)
    assert body is not None
    assert body.group(1).strip() == fixture_post.body_html.strip()
    assert (
        '<link rel="canonical" href="https://finews.withounder.com/shamenribao/2022/01/17/' in html
    )


def test_category_landing_matches_golden(renderer: SiteRenderer, golden: Golden) -> None:
    html = render_listing(renderer, "category", SHAMEN, ENTRIES, ARCHIVES)
    golden("category.html", html)
    assert "<h1>分类：shamenribao</h1>" in html
    assert "共 7 篇" in html
    assert '<a href="/category/shamenribao/2022-01.html">2022-01</a>' in html
    assert '<a href="/shamenribao/2022/01/16/a%20b.html">' in html
    assert "&lt;b&gt;不是粗体&lt;/b&gt; &amp; 符号" in html
    assert 'href="https://finews.withounder.com/category/shamenribao.html"' in html


def test_category_archive_page(renderer: SiteRenderer) -> None:
    # Given the month page of a category
    html = render_listing(renderer, "category", SHAMEN, ENTRIES[:1], ARCHIVES, month="2022-01")
    # Then the current month is not a link, the other month is, and the landing page is linked
    assert "<h1>分类：shamenribao · 2022-01</h1>" in html
    assert "<li>2022-01 <span" in html
    assert '<a href="/category/shamenribao/2021-12.html">2021-12</a>' in html
    assert '<a href="/category/shamenribao.html">shamenribao</a> · 1 篇' in html
    assert 'href="https://finews.withounder.com/category/shamenribao/2022-01.html"' in html


def test_tag_landing_page(renderer: SiteRenderer) -> None:
    term = TermCount("厦门日报新闻", "厦门日报新闻", 1)
    html = render_listing(renderer, "tag", term, ENTRIES[:1], [])
    assert "<h1>标签：厦门日报新闻</h1>" in html
    assert 'href="https://finews.withounder.com/tag/厦门日报新闻.html"' in html
    assert "按月归档" not in html


def test_home_matches_golden(renderer: SiteRenderer, golden: Golden) -> None:
    categories = [SHAMEN, TermCount("财联社", "财联社", 3)]
    html = home_html(renderer, ENTRIES, categories)
    golden("home.html", html)
    assert f"<title>{renderer.config.title}</title>" in html
    assert '<a href="/category/财联社.html">财联社</a> <span class="meta">(3)</span>' in html
    assert '<a href="/shamenribao/2022/01/17/harbour-record.html">' in html


def test_what_listings_show_of_a_post(renderer: SiteRenderer, fixture_post: Post) -> None:
    listed = post_record(fixture_post, "", None, renderer.config).listed
    assert listed is not None
    assert listed.url == "/shamenribao/2022/01/17/harbour-record.html"
    assert listed.display_date == "2022-01-17 07:46:06 +0800"
    assert listed.excerpt.startswith("本报讯 全年完成集装箱吞吐量约1200万标箱。 记者")


def test_home_and_404_exist_only_while_the_site_has_a_post(renderer: SiteRenderer) -> None:
    empty = StaticIndex([], [SHAMEN])
    assert home.KIND.render(PageRef("home"), empty, renderer) is None
    assert not_found.KIND.render(PageRef("not_found"), empty, renderer) is None


# --------------------------------------------------------------------------- escaping


def test_title_is_escaped_but_body_is_not(renderer: SiteRenderer) -> None:
    # Given a hostile title and a body with real HTML
    title = "'<script>alert(1)</script>\" onmouseover=\"x'"
    post = parse(renderer, post_source(title, '<p class="em_media"><b>粗体</b></p>\n'))
    html = post_html(post, renderer)
    # Then no raw script or attribute break-out appears anywhere
    assert "<script>alert" not in html
    assert '" onmouseover="x' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'content="&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;x"' in html
    # And the body's HTML is rendered as HTML
    assert '<p class="em_media"><b>粗体</b></p>' in html


def test_term_names_are_escaped(renderer: SiteRenderer) -> None:
    post = parse(renderer, post_source("T", terms="category: '<i>x</i>'"))
    html = post_html(post, renderer)
    assert "<i>x</i>" not in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html


def test_jinja_syntax_in_title_and_body_is_not_evaluated(renderer: SiteRenderer) -> None:
    # Given template syntax in the title and the body
    title = "'{{ 7*7 }} {% raw %} {{ site.title }}'"
    body = "<p>{{ 7*7 }} {% raw %}x{% endraw %} {{ config }}</p>\n"
    html = post_html(parse(renderer, post_source(title, body)), renderer)
    # Then it is printed literally, never evaluated
    assert "49" not in html
    assert '<h1 class="post-title">{{ 7*7 }} {% raw %} {{ site.title }}</h1>' in html
    assert "<p>{{ 7*7 }} {% raw %}x{% endraw %} {{ config }}</p>" in html


def test_not_found_links_home(renderer: SiteRenderer) -> None:
    page = not_found.KIND.render(PageRef("not_found"), StaticIndex(ENTRIES, []), renderer)
    assert page is not None and page.cache_control == "public, max-age=60"
    html = page.body.decode("utf-8")
    assert '<a href="/">返回首页</a>' in html
    assert "<title>404 | " in html
    assert 'href="https://finews.withounder.com/404.html"' in html


# --------------------------------------------------------------------------- layouts


def test_post_layouts_are_only_post_templates(renderer: SiteRenderer) -> None:
    assert "post" in renderer.post_layouts
    for site_layout in ("base", "category", "tag", "home", "404", "_listing"):
        assert site_layout not in renderer.post_layouts


def test_extra_layout_gets_front_matter_as_page_keys(tmp_path: Path) -> None:
    # Given a copy of the templates with one more post layout using page.subtitle
    templates = Path(__file__).resolve().parents[2] / "templates"
    shutil.copytree(templates, tmp_path / "templates")
    (tmp_path / "templates" / "layouts" / "wide.html").write_text(
        '{% extends "base.html" %}{% block main %}<h2>{{ page.subtitle }}</h2>'
        "{{ content }}{% endblock %}\n",
        encoding="utf-8",
    )
    renderer = SiteRenderer.from_directory(tmp_path / "templates")
    assert renderer.post_layouts == {"post", "wide"}
    raw = post_source("T", layout="wide", extra="subtitle: '<em>副</em>'")
    html = post_html(parse(renderer, raw), renderer)
    # Then the key reaches the template, escaped
    assert "<h2>&lt;em&gt;副&lt;/em&gt;</h2>" in html
