"""The fast paths of parsing and rendering give exactly what the plain implementations give.

Front matter read by libyaml equals what PyYAML's pure-Python loader reads (or both fail with
the same error).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from hostile.corpus import load_cases, site_config, source_bytes
from pressroom import urls
from pressroom.content import body, frontmatter
from pressroom.content.frontmatter import load_front_matter, load_front_matter_pure
from support.paths import CORPUS, FIXTURE_POSTS

REPO = Path(__file__).resolve().parents[2]
HOSTILE_POSTS = REPO / "tests" / "hostile" / "posts"
EXAMPLES = int(os.environ.get("PRESSROOM_EXAMPLES", "300"))
_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.M)


def outcome(load: Any, text: str) -> tuple[str, ...]:
    """What a loader makes of a text: the value with its types, or the error with its message
    (a RecursionError's wording depends on the caller's stack, so it is not compared)."""
    try:
        return ("value", repr(load(text)))
    except RecursionError:
        return ("error", "RecursionError")
    except Exception as error:  # every error, to compare the two loaders' errors
        return ("error", type(error).__name__, str(error))


def front_of(raw: bytes) -> str | None:
    """The front-matter text of a post file, as the parser cuts it, or None if it has none."""
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    if first.rstrip() != "---":
        return None
    closing = _BOUNDARY.search(rest)
    return rest[: closing.start()] if closing else None


def post_fronts() -> list[tuple[str, str]]:
    """The front matter of every fixture, hostile and (when present) real news post."""
    fronts: list[tuple[str, str]] = []
    folders = [FIXTURE_POSTS, HOSTILE_POSTS, CORPUS]
    for folder in folders:
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            front = front_of(path.read_bytes())
            if front is not None:
                fronts.append((f"{folder.name}/{path.name}", front))
    config = site_config()
    for case in load_cases():
        if case.generate:
            front = front_of(source_bytes(case, config))
            if front is not None:
                fronts.append((f"generated/{case.generate}", front))
    return fronts


TRICKY = [
    "title: a\ntitle: b",
    "a: &x 1\nb: *x",
    "a: *x",
    "a: &x [*x]",
    "a: !!python/object:os.system x",
    "a: !custom x",
    "a: !!str 10",
    "a: ! 10",
    "%YAML 1.1\n---\na: 1",
    "a: yes\nb: on\nc: No\nd: 10:00\ne: 1:20:30\nf: 2022-01-17\ng: 2022-01-17 07:46:06 +0800",
    "a: 3.10\nb: 1e3\nc: +1\nd: 0x1F\ne: 0o17\nf: 1_000\ng: .nan\nh: 12345678901234567890",
    "a: ~\nb: null\nc:\nd: True\ne: FALSE\nf: '1'\ng: \"true\"",
    "a: [x, y\nb: 1",
    'title: "a "quoted" word"',
    "a:\n\t- x",
    "a:\tb",
    "a: |\n  line\n  line\nb: >-\n  folded\n  text\n",
    "a: |#\n x",
    "a: [a?b, c]",
    "a: {b: c, d}",
    "a: [b: c]",
    "? a\n: b",
    "[1, 2]",
    "just text",
    "a: 'it''s'\nb: \"\\u00e9\\x41\\/\"",
    'a: "\\ud83d\\ude00"',
    'a: "\\ud83d"',
    "a: [" * 60 + "]" * 60,
    "a: " + "[" * 2000 + "]" * 2000,
    "- " * 80 + "x",
    "a:\n" + "".join("  " * depth + f"k{depth}:\n" for depth in range(1, 70)) + "  " * 70 + "v",
    "k" * 1030 + ": v",
    "厦" * 1030 + ": v",
    "a: x\n... \nb: y",
    "a: x\n--- \nb: y",
    "a: 1\r\nb: 2",
    "\ufeffa: 1",
    "a: b\x85c",
    "a: \x07",
    "a: 'x\n\n  y'",
    "{a: 1}: b",
    "[a]: b",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_front_matter_reads_as_the_pure_loader_reads_it(text: str) -> None:
    # Given front matter that a YAML 1.1 parser could read in more than one way
    # When libyaml's loader and the pure-Python loader read it
    # Then both give the same value with the same types, or the same error
    assert outcome(load_front_matter, text) == outcome(load_front_matter_pure, text)


def test_every_known_post_reads_as_the_pure_loader_reads_it() -> None:
    # Given the front matter of the fixture, hostile and real news posts
    fronts = post_fronts()
    assert len(fronts) > 50
    # When both loaders read each
    differing = [
        name
        for name, front in fronts
        if outcome(load_front_matter, front) != outcome(load_front_matter_pure, front)
    ]
    # Then none reads differently
    assert differing == []


def test_ordinary_front_matter_is_read_by_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an ordinary post's front matter, and a pure-Python loader that would fail
    front = 'layout: post\ntitle: "持续巩固"\ndate: 2022-01-17 07:46:06 +0800\ncategories: a b\n'
    monkeypatch.setattr(frontmatter, "load_front_matter_pure", lambda text: 1 / 0)
    # When it is read
    value = load_front_matter(front)
    # Then libyaml read it, with dates as text
    assert value == {
        "layout": "post",
        "title": "持续巩固",
        "date": "2022-01-17 07:46:06 +0800",
        "categories": "a b",
    }


def test_without_libyaml_the_pure_loader_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no libyaml
    monkeypatch.setattr(frontmatter, "_CLoader", None)
    # When front matter is read
    # Then the pure-Python loader reads it, aliases still refused
    assert load_front_matter("a: 10:00\nb: yes") == {"a": "10:00", "b": "yes"}
    with pytest.raises(Exception, match="an alias"):
        load_front_matter("a: &x 1\nb: *x")


YAML_ALPHABET = list(": -[]{},#&*!|>'\"?%@`\t\n  abeflnorsty0129厦é.\\+~")
_words = st.text(alphabet=YAML_ALPHABET, max_size=12)
_keys = st.sampled_from(["title", "a", "tags", "yes", "1", "-", "?", "~", "'k'", '"k"', ""])


@st.composite
def front_matter_like(draw: st.DrawFn) -> str:
    """Lines of `key: value`, list items and free text, indented at random."""
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        indent = " " * draw(st.sampled_from([0, 0, 0, 1, 2, 4]))
        shape = draw(st.sampled_from(["pair", "pair", "item", "text", "open"]))
        value = draw(_words)
        if shape == "pair":
            lines.append(f"{indent}{draw(_keys)}: {value}")
        elif shape == "item":
            lines.append(f"{indent}- {value}")
        elif shape == "open":
            lines.append(f"{indent}{draw(_keys)}:")
        else:
            lines.append(indent + value)
    return "\n".join(lines)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(front_matter_like(), st.text(alphabet=YAML_ALPHABET, max_size=60)))
def test_generated_front_matter_reads_as_the_pure_loader_reads_it(text: str) -> None:
    # Given text made of YAML's significant characters, shaped like front matter or not
    # When libyaml's loader and the pure-Python loader read it
    # Then both give the same value with the same types, or the same error
    assert outcome(load_front_matter, text) == outcome(load_front_matter_pure, text)


def excerpt_by_whole_parse(html: str, limit: int = 140) -> str:
    """The excerpt as it was first written: the whole body parsed in one feed (the oracle)."""
    extractor = body._TextExtractor()
    extractor.feed(html)
    text = " ".join("".join(extractor.parts).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fixture_sources() -> list[str]:
    """The Markdown of the fixture and (when present) news posts' bodies."""
    sources = []
    for folder in (FIXTURE_POSTS, CORPUS):
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            text = path.read_text(encoding="utf-8")
            front = front_of(text.encode())
            if front is not None:
                sources.append(text.split("\n", 1)[1][len(front) :].partition("\n")[2])
    return sources


def fixture_bodies() -> list[str]:
    """The HTML of the fixture and (when present) news posts' bodies."""
    return [body.render_markdown(source) for source in fixture_sources()]


LONG_BODY = (
    "<p>市执法局党组召开党史学习教育总结会。</p>\n"
    + "<p>第一段 &amp; <b>粗体</b> <script>var x = '<p>';</script>文字。</p>\n" * 400
    + "<div style='display: none'>隐藏</div><p>结尾</p>"
)


def test_excerpt_equals_the_whole_parse_on_fixture_and_long_bodies() -> None:
    # Given the fixture bodies, a long body and short ones around the excerpt's length
    bodies = [*fixture_bodies(), LONG_BODY, "", "<p>短</p>", "<p>" + "字" * 139 + "</p>"]
    bodies += ["<p>" + "字" * 141 + "</p>", "<p>" + "字 " * 300 + "</p>", "x" * 5000]
    # When each excerpt is made by reading only as much as it needs
    # Then it is the excerpt of the whole parse
    for html in bodies:
        assert body.excerpt(html) == excerpt_by_whole_parse(html)
    assert body.excerpt(LONG_BODY).startswith(
        "市执法局党组召开党史学习教育总结会。 第一段 & 粗体 文字。"
    )


HTML_PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br>",
        "<br/>",
        "</br>",
        "<b>",
        "</b>",
        "<script>",
        "</script>",
        "</scr",
        "<style>",
        "</style>",
        '<div style="display:none">',
        "<span style='DISPLAY: none'>",
        "</div>",
        "</span>",
        "<!-- c -->",
        "<!--",
        "-->",
        "<![CDATA[x]]>",
        "<!DOCTYPE html>",
        "<?php ?>",
        "&amp;",
        "&lt;",
        "&#20320;",
        "&#x4f60;",
        "&",
        "&am",
        "<",
        ">",
        "<a href='x'>",
        "</a>",
        "<img src=x>",
        "<li>",
        "</li>",
        '<p class="em_media">',
        '<p class="style">',
        '<a href="//finews.example.com/a.html">',
        "<P>",
        "</P >",
        "</p class=x>",
        "<p/>",
        "<textarea>",
        "</textarea>",
        "<title>",
        " ",
        "\n",
        "\t",
        "字",
        "word",
        "é",
    ]
)


PLAIN_HTML_PIECES = st.sampled_from(
    [
        *("<p>", "</p>", "<br>", "<br/>", "</br>", "<b>", "</b>", "<P>", "</P >", "<p/>"),
        *("<li>", "</li>", '<p class="em_media">', '<a href="/x">', "</a>", " ", "\n"),
        *("字", "word", ">"),
    ]
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.lists(st.one_of(HTML_PIECES, st.text(max_size=5)), max_size=80).map("".join),
    st.integers(0, 12),
    st.integers(1, 40),
)
def test_excerpt_equals_the_whole_parse_on_generated_html(
    html: str, piece_chars: int, limit: int
) -> None:
    # Given HTML-like text and pieces small enough to cut it anywhere before a `<`
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(body, "_EXCERPT_PIECE_CHARS", piece_chars)
        # When its excerpt is made piece by piece
        made = body.excerpt(html, limit)
    # Then it is the excerpt of the whole parse
    assert made == excerpt_by_whole_parse(html, limit)


def href_by_characters(url: str) -> str:
    """href as it was first written, one character at a time (the oracle)."""
    return "".join(
        char if char in urls._HREF_SAFE_ASCII or ord(char) > 127 else f"%{ord(char):02X}"
        for char in url
    )


@settings(max_examples=EXAMPLES * 3, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=list(" +%#?&=/:@!~()*'\"<>\\^`{|}[]\t\n\x00\x7f\x80é厦😀aZ09-._")),
    )
)
def test_href_equals_the_character_by_character_escape(url: str) -> None:
    # Given any text, rich in spaces, `+`, `%`, `#`, `?`, controls and other scripts
    # When it is written as a link
    # Then it is what escaping one character at a time gives
    assert urls.href(url) == href_by_characters(url)


def test_href_escapes_ascii_specials_and_keeps_other_scripts() -> None:
    # Given a path with a space, a plus, a percent, a hash, a query mark and Chinese
    # When it is written as a link
    # Then the ASCII specials are escaped and the Chinese is kept
    assert urls.href("/a b+c%d#e?f/厦门.html") == "/a%20b%2Bc%25d%23e%3Ff/厦门.html"


PLAIN_LINK_PARTS = [*"aZ09-._~/?#=&:", "http:", "https:", "//", "//a.b", "//A.b", "xn--", ".."]


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.one_of(
        st.from_regex(body._PLAIN_LINK, fullmatch=True),
        st.lists(st.sampled_from(PLAIN_LINK_PARTS), max_size=12).map("".join),
        st.text(alphabet=list("aZ09-._~/?#=&:%@ +厦é[]()")),
    )
)
def test_links_skipped_by_the_fast_path_are_those_markdown_it_keeps_unchanged(url: str) -> None:
    # Given a link destination, from the fast path's own pattern, its pieces or anything near
    markdown = body._markdown()
    plain = MarkdownIt("commonmark", {"html": True})
    # When markdown-it with the fast path and plain markdown-it normalize it
    # Then both give the same link and the same link text
    assert markdown.normalizeLink(url) == plain.normalizeLink(url)
    assert markdown.normalizeLinkText(url) == plain.normalizeLinkText(url)


def test_bodies_render_as_plain_markdown_it_renders_them() -> None:
    # Given the fixture bodies and links the fast path skips and those it leaves to markdown-it
    links = "\n".join(
        f"[x]({url}) <{url}>"
        for url in [
            "//finews.example.com/a.html",
            "https://a.b/c?d=1#e",
            "/a b",
            "/厦门",
            "HTTP://A.B",
        ]
    )
    bodies = [*fixture_sources(), LONG_BODY, links]
    plain = MarkdownIt("commonmark", {"html": True})
    # When each is rendered by the site's markdown-it and by plain markdown-it
    # Then the HTML is the same
    for text in bodies:
        assert body.render_markdown(text) == plain.render(text)
    assert 'href="/a%20b"' not in body.render_markdown(links)  # `[x](/a b)` is no link
    assert 'href="/%E5%8E%A6%E9%97%A8"' in body.render_markdown(links)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(PLAIN_HTML_PIECES, max_size=80).map("".join), st.integers(1, 40))
def test_plain_html_is_excerpted_as_the_whole_parse_does(html: str, limit: int) -> None:
    # Given text and plain tags only, which the excerpt reads without html.parser
    # When its excerpt is made
    # Then it is the excerpt of the whole parse
    assert body.excerpt(html, limit) == excerpt_by_whole_parse(html, limit)


def test_ordinary_bodies_are_excerpted_without_html_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a short and a long body of paragraphs, links and line breaks, and their excerpts
    short = '<p>港口<br>吞吐量</p><p class="em_media">（文章来源：厦门日报）</p>'
    short += '<a href="/x">返回</a>'
    bodies = [short, short * 20]
    expected = [excerpt_by_whole_parse(html) for html in bodies]
    # When html.parser cannot be used
    monkeypatch.setattr(body, "_TextExtractor", None)
    # Then they are excerpted all the same
    assert [body.excerpt(html) for html in bodies] == expected
    assert expected[0] == "港口 吞吐量 （文章来源：厦门日报） 返回"
    assert expected[1].endswith("…") and len(expected[1]) == 140
