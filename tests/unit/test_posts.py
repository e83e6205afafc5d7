"""parse_post: a source file's bytes to a validated Post, with Jekyll 4 semantics.

Each test reads Given (the source file) / When (it is parsed) / Then (what the post or the
error says).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pressroom.config import Limits, SiteConfig
from pressroom.content import decode_source, excerpt, internal_links, parse_post
from pressroom.errors import InvalidPost
from pressroom.model import Post
from pressroom.urls import SiteUrls

LAYOUTS = frozenset({"post"})
NAME = "2021-12-08-202112082206672930.md"
TITLE = 'title: "离岸人民币兑美元升至2018年以来最高水平"'
BASE = f"layout: post\n{TITLE}\ndate: 2021-12-08 10:46:18 +0800\ncategories: emnews"
BODY = "<p>离岸人民币兑美元升至6.3512。</p>\n"


def source(front: str, body: str = BODY) -> bytes:
    """A post's bytes: `---`, the front-matter lines, `---`, the body."""
    return f"---\n{front.strip()}\n---\n{body}".encode()


def parse(
    front: str, body: str = BODY, *, name: str = NAME, config: SiteConfig | None = None
) -> Post:
    return parse_post(name, source(front, body), config or SiteConfig(), LAYOUTS)


def rejected(
    raw: bytes, *, name: str = NAME, config: SiteConfig | None = None, layouts=LAYOUTS
) -> InvalidPost:
    """The InvalidPost raised for `raw`; fails the test if the post is accepted."""
    with pytest.raises(InvalidPost) as info:
        parse_post(name, raw, config or SiteConfig(), layouts)
    return info.value


def fields(error: InvalidPost) -> set[str]:
    return {problem.field for problem in error.problems}


def problem(error: InvalidPost, field: str) -> str:
    """The text of the first problem about `field`."""
    return next(str(p) for p in error.problems if p.field == field)


# --------------------------------------------------------------------------- categories, tags


class TestCategories:
    def test_yaml_list_gives_one_category_per_item(self) -> None:
        # Given categories written as a YAML list
        post = parse(f"{TITLE}\ncategories: [emnews, cailianshe]")
        # Then both are categories, in order
        assert [t.slug for t in post.categories] == ["emnews", "cailianshe"]

    def test_string_is_split_on_whitespace(self) -> None:
        # Given `categories: a b` (Jekyll splits a string on spaces)
        post = parse(f"{TITLE}\ncategories: a b")
        assert [t.name for t in post.categories] == ["a", "b"]

    def test_string_with_double_space_gives_no_empty_category(self) -> None:
        # Given the corpus' double-spaced category name
        post = parse(f"{TITLE}\ncategories: 21shijijingjibaodao  nancailicaitong")
        assert [t.slug for t in post.categories] == ["21shijijingjibaodao", "nancailicaitong"]

    def test_singular_category_is_one_value(self) -> None:
        # Given the singular key with a space inside
        post = parse(f"{TITLE}\ncategory: a b")
        # Then it is ONE category, slugged with a dash
        assert [(t.slug, t.name) for t in post.categories] == [("a-b", "a b")]

    def test_singular_and_plural_are_merged_without_duplicates(self) -> None:
        # Given both keys, sharing one name
        post = parse(f"{TITLE}\ncategories: [emnews, cailianshe]\ncategory: emnews")
        # Then the union is kept once each
        assert [t.slug for t in post.categories] == ["emnews", "cailianshe"]

    def test_singular_and_plural_with_distinct_values_are_all_kept(self) -> None:
        post = parse(f"{TITLE}\ncategories: emnews\ncategory: 财联社")
        assert {t.slug for t in post.categories} == {"emnews", "财联社"}

    def test_case_and_width_variants_are_one_category_named_as_first_written(self) -> None:
        # Given TechWeb, techweb and full-width ＴｅｃｈＷｅｂ
        post = parse(f"{TITLE}\ncategories: [TechWeb, techweb, ＴｅｃｈＷｅｂ]")
        # Then one category, slug techweb, keeping the first spelling
        assert [(t.slug, t.name) for t in post.categories] == [("techweb", "TechWeb")]

    def test_width_variant_first_keeps_its_own_spelling(self) -> None:
        post = parse(f"{TITLE}\ncategories: [ＴｅｃｈＷｅｂ, TechWeb]")
        assert [(t.slug, t.name) for t in post.categories] == [("techweb", "ＴｅｃｈＷｅｂ")]

    def test_chinese_category_keeps_a_readable_slug(self) -> None:
        post = parse(f"{TITLE}\ncategories: 财联社")
        assert [(t.slug, t.name) for t in post.categories] == [("财联社", "财联社")]
        assert post.url.startswith("/财联社/")

    def test_parentheses_survive_in_slug(self) -> None:
        post = parse(f"{TITLE}\ncategories: anxinguojizhengquan(xianggang)")
        assert post.categories[0].slug == "anxinguojizhengquan(xianggang)"

    def test_number_category_becomes_text(self) -> None:
        post = parse(f"{TITLE}\ncategories: 2021")
        assert [t.slug for t in post.categories] == ["2021"]

    def test_no_categories_is_allowed(self) -> None:
        assert parse(TITLE).categories == ()

    def test_too_many_categories_is_an_error(self) -> None:
        # Given one category more than the limit
        names = ", ".join(f"c{i}" for i in range(4))
        config = SiteConfig(limits=Limits(max_categories=3))
        error = rejected(source(f"{TITLE}\ncategories: [{names}]"), config=config)
        # Then the error names the field and the limit
        assert "categories" in fields(error)
        assert "limit of 3" in problem(error, "categories")

    def test_exactly_the_limit_is_accepted(self) -> None:
        names = ", ".join(f"c{i}" for i in range(3))
        config = SiteConfig(limits=Limits(max_categories=3))
        assert len(parse(f"{TITLE}\ncategories: [{names}]", config=config).categories) == 3

    def test_case_variants_count_once_towards_the_limit(self) -> None:
        config = SiteConfig(limits=Limits(max_categories=1))
        post = parse(f"{TITLE}\ncategories: [TechWeb, techweb, TECHWEB]", config=config)
        assert len(post.categories) == 1

    def test_nested_list_is_an_error(self) -> None:
        error = rejected(source(f"{TITLE}\ncategories: [[a, b]]"))
        assert "categories" in fields(error)

    def test_name_without_letters_or_digits_is_an_error(self) -> None:
        error = rejected(source(f"{TITLE}\ncategories: '///'"))
        assert "categories" in fields(error)


class TestTags:
    def test_string_is_split_on_whitespace(self) -> None:
        post = parse(f"{TITLE}\ntags: 东财滚动新闻 财联社新闻")
        assert [t.name for t in post.tags] == ["东财滚动新闻", "财联社新闻"]

    def test_yaml_list(self) -> None:
        post = parse(f"{TITLE}\ntags: [a, b]")
        assert [t.slug for t in post.tags] == ["a", "b"]

    def test_singular_tag_is_one_value(self) -> None:
        post = parse(f"{TITLE}\ntag: Career In touxingPEVC")
        assert [(t.slug, t.name) for t in post.tags] == [
            ("career-in-touxingpevc", "Career In touxingPEVC")
        ]

    def test_singular_and_plural_merge_without_duplicates(self) -> None:
        post = parse(f"{TITLE}\ntags: [x, 厦门日报新闻]\ntag: X")
        assert [t.slug for t in post.tags] == ["x", "厦门日报新闻"]

    def test_case_and_width_variants_are_one_tag(self) -> None:
        post = parse(f"{TITLE}\ntags: [TechWeb, ＴＥＣＨＷＥＢ]")
        assert [(t.slug, t.name) for t in post.tags] == [("techweb", "TechWeb")]

    def test_tags_do_not_change_the_url(self) -> None:
        assert parse(f"{BASE}\ntags: a").url == parse(BASE).url

    def test_too_many_tags_is_an_error(self) -> None:
        config = SiteConfig(limits=Limits(max_tags=2))
        error = rejected(source(f"{TITLE}\ntags: a b c"), config=config)
        assert "tags" in fields(error)
        assert "limit of 2" in problem(error, "tags")


# --------------------------------------------------------------------------- dates


class TestDates:
    def test_offset_is_kept_and_utc_is_right(self) -> None:
        # Given a Jekyll-style date with +0800
        post = parse(f"{TITLE}\ndate: 2022-01-17 07:46:06 +0800")
        # Then the post keeps +08:00 for display and knows its UTC instant
        assert post.date.utcoffset() == timedelta(hours=8)
        assert post.date_utc == datetime(2022, 1, 16, 23, 46, 6, tzinfo=UTC)
        assert post.display_date == "2022-01-17 07:46:06 +0800"

    def test_no_offset_is_read_in_the_site_time_zone(self) -> None:
        # Given a date without offset and the default site zone Asia/Shanghai
        post = parse(f"{TITLE}\ndate: 2021-12-08 10:46:18")
        assert post.date.utcoffset() == timedelta(hours=8)
        assert post.date_utc == datetime(2021, 12, 8, 2, 46, 18, tzinfo=UTC)

    def test_no_offset_with_utc_site(self) -> None:
        # Given the same date on a site configured for UTC
        post = parse(f"{TITLE}\ndate: 2021-12-08 10:46:18", config=SiteConfig(timezone="UTC"))
        assert post.date_utc == datetime(2021, 12, 8, 10, 46, 18, tzinfo=UTC)
        assert post.display_date == "2021-12-08 10:46:18 +0000"

    def test_no_offset_with_another_zone(self) -> None:
        config = SiteConfig(timezone="America/New_York")
        post = parse(f"{TITLE}\ndate: 2021-12-08 10:00:00", config=config)
        assert post.date_utc == datetime(2021, 12, 8, 15, 0, tzinfo=UTC)

    def test_iso_8601_with_z(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-01-17T07:46:06Z")
        assert post.date_utc == datetime(2022, 1, 17, 7, 46, 6, tzinfo=UTC)
        assert post.date.utcoffset() == timedelta(0)

    def test_iso_8601_with_colon_offset(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-01-17T07:46:06+08:00")
        assert post.date_utc == datetime(2022, 1, 16, 23, 46, 6, tzinfo=UTC)
        assert post.display_date == "2022-01-17 07:46:06 +0800"

    def test_negative_offset(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-01-17 07:46:06 -0530")
        assert post.date_utc == datetime(2022, 1, 17, 13, 16, 6, tzinfo=UTC)

    def test_fractional_seconds(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-01-17T07:46:06.5+08:00")
        assert post.date.microsecond == 500000

    def test_bare_date_is_midnight_in_site_zone(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-01-17")
        assert post.date_utc == datetime(2022, 1, 16, 16, 0, tzinfo=UTC)
        assert post.url == "/2022/01/17/202112082206672930.html"

    def test_date_value_stays_text_in_data(self) -> None:
        # YAML must not turn the date into a datetime behind our back
        post = parse(f"{TITLE}\ndate: 2022-01-17 07:46:06 +0800")
        assert post.data["date"] == "2022-01-17 07:46:06 +0800"

    def test_no_date_key_uses_file_name_prefix(self) -> None:
        # Given no date key and a file named 2021-12-08-...
        post = parse(TITLE, name="posts/2021-12-08-init.md")
        # Then the date is that day, midnight, site zone
        assert post.date == datetime(2021, 12, 8, 0, 0, tzinfo=SiteConfig().zone)
        assert post.url == "/2021/12/08/init.html"

    def test_single_digit_file_name_date(self) -> None:
        post = parse(TITLE, name="2021-1-8-init.md")
        assert (post.date.year, post.date.month, post.date.day) == (2021, 1, 8)

    def test_date_key_wins_over_file_name(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-05-31 18:03:41 +0800", name="2021-12-08-x.md")
        assert post.url == "/2022/05/31/x.html"

    def test_no_date_and_no_prefix_is_an_error_naming_date(self) -> None:
        error = rejected(source(TITLE), name="-202205262391921712.md")
        assert fields(error) == {"date"}
        assert "YYYY-MM-DD" in problem(error, "date")

    def test_offset_only_date_is_rejected(self) -> None:
        # Given the corpus quirk `date:  +0800`
        error = rejected(source(f"{TITLE}\ndate:  +0800"))
        assert fields(error) == {"date"}
        assert "+0800" in problem(error, "date")

    def test_empty_date_falls_back_to_the_file_name(self) -> None:
        # Given `date:` with no value (Jekyll reads it as absent) and a dated file name
        post = parse(f"{TITLE}\ndate:", name="posts/2021-12-08-story.md")
        # Then the date comes from the file name, in the site's time zone
        assert post.date.isoformat() == "2021-12-08T00:00:00+08:00"

    def test_empty_date_without_a_dated_file_name_is_rejected(self) -> None:
        assert fields(rejected(source(f"{TITLE}\ndate:"), name="posts/story.md")) == {"date"}

    @pytest.mark.parametrize(
        "value",
        [
            "2022-02-30",
            "2022-13-01",
            "2022-01-17 25:00:00 +0800",
            "2022-01-17 07:46:06 +1900",
            "2022-01-17 07:46:06 +0860",
            "2022-01-17 07:46:06 +1430",
            "yesterday",
            "17/01/2022",
        ],
    )
    def test_impossible_or_unreadable_dates_are_rejected(self, value: str) -> None:
        error = rejected(source(f"{TITLE}\ndate: {value}"))
        assert fields(error) == {"date"}

    def test_largest_real_offset_is_accepted(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-01-17 07:46:06 +1400")
        assert post.date.utcoffset() == timedelta(hours=14)

    def test_url_date_parts_use_the_posts_own_offset(self) -> None:
        # Given 23:30 at -05:00, which is already the 9th in UTC and in Shanghai
        post = parse(f"{TITLE}\ndate: 2021-12-08 23:30:00 -0500\ncategories: emnews")
        # Then the URL keeps the day the editor wrote
        assert post.url == "/emnews/2021/12/08/202112082206672930.html"
        assert post.date_utc.day == 9

    def test_url_date_parts_from_early_morning_plus_0800(self) -> None:
        post = parse(f"{TITLE}\ndate: 2022-05-26 00:19:55 +0800\ncategories: emnews")
        assert post.url == "/emnews/2022/05/26/202112082206672930.html"


# --------------------------------------------------------------------------- YAML safety


class TestYamlSafety:
    def test_sexagesimal_time_stays_text(self) -> None:
        post = parse(f"{TITLE}\ntime: 10:00")
        assert post.data["time"] == "10:00"

    def test_yes_no_on_off_stay_text(self) -> None:
        post = parse(f"{TITLE}\nflag: yes\nother: no\non: off\ny: n")
        assert post.data["flag"] == "yes"
        assert post.data["other"] == "no"
        assert post.data["on"] == "off"
        assert post.data["y"] == "n"

    def test_published_false_is_a_real_bool(self) -> None:
        post = parse(f"{TITLE}\npublished: false")
        assert post.published is False

    def test_published_defaults_to_true(self) -> None:
        assert parse(TITLE).published is True

    def test_published_not_a_bool_is_an_error(self) -> None:
        assert "published" in fields(rejected(source(f"{TITLE}\npublished: no")))

    def test_unquoted_number_title_becomes_text(self) -> None:
        # Given the corpus 404 page's unquoted `title: 404`
        post = parse("title: 404")
        assert post.title == "404"

    def test_leading_zero_number_stays_text(self) -> None:
        assert parse("title: 007").title == "007"

    def test_unquoted_decimal_title_is_kept_as_written(self) -> None:
        # Given a version-like title written without quotes
        post = parse("title: 3.10")
        # Then the editor's text is kept, not a float's repr
        assert post.title == "3.10"

    def test_plain_values_keep_their_type(self) -> None:
        # Integers, booleans and null are typed; decimals stay text so no digit is lost
        post = parse(f"{TITLE}\ncount: 3\nratio: 1.50\nnothing: ~\nflag: true")
        assert post.data["count"] == 3
        assert post.data["ratio"] == "1.50"
        assert post.data["nothing"] is None
        assert post.data["flag"] is True

    def test_duplicate_keys_are_rejected(self) -> None:
        # Given the same key twice (YAML would silently keep the last one)
        error = rejected(source(f"{TITLE}\nx: 1\nx: 2"))
        text = problem(error, "front matter")
        assert "duplicate" in text
        assert "line 4" in text

    def test_duplicate_title_is_rejected(self) -> None:
        error = rejected(source(f'{TITLE}\ntitle: "另一个"'))
        assert "duplicate" in problem(error, "front matter")

    def test_python_tags_are_not_executed(self) -> None:
        # Given a PyYAML object tag that would run a command under an unsafe loader
        error = rejected(source(f'{TITLE}\nx: !!python/object/apply:os.system ["echo"]'))
        assert fields(error) == {"front matter"}

    def test_unescaped_quote_in_double_quoted_title(self) -> None:
        # Given the generator's unescaped title on line 3 of the file
        raw = '---\nlayout: post\ntitle: "他说"好"了"\n---\n<p>x</p>\n'.encode()
        error = rejected(raw)
        # Then the problem names the front matter and the line
        assert fields(error) == {"front matter"}
        assert error.problems[0].line == 3
        assert "line 3, front matter" in str(error)

    def test_yaml_error_line_counts_blank_lines_after_opening_dashes(self) -> None:
        # Given two blank lines after `---`, then a duplicate key on line 6
        raw = b"---\n\n\ntitle: a\nx: 1\nx: 2\n---\nbody\n"
        error = rejected(raw)
        # Then the line reported is the file's line 6
        assert error.problems[0].line == 6

    def test_front_matter_that_is_a_list_is_reported_as_such(self) -> None:
        error = rejected(b'---\n- title: "a"\n- date: 2021-12-08\n---\nbody\n')
        assert fields(error) == {"front matter"}

    def test_tab_indentation_is_rejected(self) -> None:
        error = rejected(source(f"{TITLE}\nx:\n\t- a"))
        assert "front matter" in fields(error)


# --------------------------------------------------------------------------- slug and URL


class TestSlugAndUrl:
    def test_slug_from_file_name_without_date_and_extension(self) -> None:
        post = parse(BASE, name="_posts/2022-01-07-NW202201072239307540.md")
        assert post.slug == "NW202201072239307540"

    def test_default_permalink(self) -> None:
        post = parse(BASE)
        assert post.url == "/emnews/2021/12/08/202112082206672930.html"

    def test_slug_key_overrides_file_name(self) -> None:
        post = parse(f"{BASE}\nslug: Harbour Record")
        assert post.slug == "Harbour-Record"
        assert post.url == "/emnews/2021/12/08/Harbour-Record.html"

    def test_empty_slug_is_an_error(self) -> None:
        assert "slug" in fields(rejected(source(f"{BASE}\nslug: '...'")))

    def test_two_categories_nest_in_the_url(self) -> None:
        post = parse(f"{TITLE}\ndate: 2021-12-08 10:46:18\ncategories: a b", name="2021-12-08-x.md")
        assert post.url == "/a/b/2021/12/08/x.html"

    def test_no_categories_gives_no_double_slash(self) -> None:
        post = parse(f"{TITLE}\ndate: 2021-12-08 10:46:18", name="2021-12-08-x.md")
        assert post.url == "/2021/12/08/x.html"

    def test_category_slug_not_name_is_used_in_url(self) -> None:
        post = parse(f"{TITLE}\ncategory: Career In touxingPEVC", name="2021-12-08-x.md")
        assert post.url == "/career-in-touxingpevc/2021/12/08/x.html"

    def test_site_permalink_pattern_is_configurable(self) -> None:
        config = SiteConfig(permalink="/:year/:month/:slug/")
        assert parse(BASE, config=config).url == "/2021/12/202112082206672930/"

    def test_permalink_override_literal(self) -> None:
        post = parse(f"{BASE}\npermalink: /about/harbour.html")
        assert post.url == "/about/harbour.html"

    def test_permalink_override_with_placeholders(self) -> None:
        post = parse(f"{BASE}\npermalink: /news/:year/:i_month/:i_day/:title/")
        assert post.url == "/news/2021/12/8/202112082206672930/"

    def test_permalink_unknown_token_is_kept(self) -> None:
        post = parse(f"{BASE}\npermalink: /x/:nope.html")
        assert post.url == "/x/:nope.html"

    @pytest.mark.parametrize(
        "permalink",
        [
            "/../x.html",
            "/a/./x.html",
            "//evil.com/x",
            "http://evil.com/x",
            "https://finews.withounder.com/x.html",
            "x.html",
            "/a\\b.html",
            "/x.html?q=1",
            "/x.html#top",
            "/x%2e%2e.html",
            '/a"b.html',
            "/<script>.html",
            "/",
            "/index.html",
            "/404.html",
            "/category/x.html",
            "/category/emnews/2021-12.html",
            "/tag/x.html",
            "''",
        ],
    )
    def test_hostile_or_reserved_permalinks_are_rejected(self, permalink: str) -> None:
        quoted = permalink if permalink == "''" else "'" + permalink.replace("'", "''") + "'"
        error = rejected(source(f"{BASE}\npermalink: {quoted}"))
        assert fields(error) == {"permalink"}

    def test_overlong_permalink_is_rejected(self) -> None:
        error = rejected(source(f"{BASE}\npermalink: /{'a' * 600}.html"))
        assert fields(error) == {"permalink"}

    def test_dot_dot_in_file_name_never_reaches_the_url(self) -> None:
        post = parse(BASE, name="2021-12-08-..%2f...md")
        assert ".." not in post.url
        assert "%" not in post.url


# --------------------------------------------------------------------------- title, layout, data


class TestTitleLayoutData:
    @pytest.mark.parametrize(
        "front", ["date: 2021-12-08", 'title: ""', "title: '   '", "title:", "title: [a, b]"]
    )
    def test_title_is_required(self, front: str) -> None:
        error = rejected(source(front))
        assert "title" in fields(error)

    def test_title_whitespace_is_collapsed(self) -> None:
        assert parse('title: "  港口   吞吐量 "').title == "港口 吞吐量"

    def test_title_over_the_limit_is_an_error(self) -> None:
        config = SiteConfig(limits=Limits(max_title_chars=10))
        error = rejected(source(f'title: "{"长" * 11}"'), config=config)
        assert "limit of 10" in problem(error, "title")

    def test_title_at_the_limit_is_accepted(self) -> None:
        config = SiteConfig(limits=Limits(max_title_chars=10))
        assert parse(f'title: "{"长" * 10}"', config=config).title == "长" * 10

    def test_special_characters_in_title_survive(self) -> None:
        title = "“股王”茅台《十四五》（600519）涨５％、(2888.HK) 1117%-1233%：A股。"
        assert parse(f'title: "{title}"').title == title

    def test_unknown_layout_lists_available_layouts(self) -> None:
        error = rejected(source(f"{TITLE}\nlayout: nope"), layouts={"post", "wide"})
        text = problem(error, "layout")
        assert "'nope'" in text
        assert "post, wide" in text

    def test_default_layout_from_config(self) -> None:
        assert parse(TITLE).layout == "post"

    def test_other_keys_are_kept_in_data(self) -> None:
        post = parse(f'{BASE}\nsubtitle: "副标题"\nauthors: [a, b]\nextra: {{k: v}}')
        assert post.data["subtitle"] == "副标题"
        assert post.data["authors"] == ["a", "b"]
        assert post.data["extra"] == {"k": "v"}
        assert post.data["layout"] == "post"

    def test_every_problem_is_reported_at_once(self) -> None:
        # Given a post with no title, a bad date and an unknown layout
        error = rejected(source("date: soon\nlayout: nope"))
        assert fields(error) == {"title", "date", "layout"}


# --------------------------------------------------------------------------- bytes and encoding


class TestBytes:
    def test_utf8_bom_is_accepted(self) -> None:
        raw = b"\xef\xbb\xbf" + source(BASE)
        post = parse_post(NAME, raw, SiteConfig(), LAYOUTS)
        assert post.title == "离岸人民币兑美元升至2018年以来最高水平"

    def test_a_bad_byte_after_a_bom_is_named_with_its_line(self) -> None:
        # Given a file that starts with a BOM and has a byte that is not UTF-8 on line 3
        raw = b"\xef\xbb\xbf---\ntitle: a\n\xff\n---\nx\n"
        # When it is parsed, then the problem names that byte and that line
        problem = rejected(raw).problems[0]
        assert problem.message.startswith("is not UTF-8 (byte 0xff)")
        assert problem.line == 3

    def test_crlf_gives_same_post_as_lf(self) -> None:
        # Given the same file with LF and with CRLF line ends
        body = "> 摘要\n <p>一</p>\n <p>二</p>\n\n<http://a.example/x>\n"
        lf = source(BASE, body)
        crlf = lf.replace(b"\n", b"\r\n")
        one = parse_post(NAME, lf, SiteConfig(), LAYOUTS)
        two = parse_post(NAME, crlf, SiteConfig(), LAYOUTS)
        # Then the body HTML and everything else are equal
        assert two.body_html == one.body_html
        assert "\r" not in two.body_html
        assert two == one

    def test_gbk_is_rejected_naming_gbk(self) -> None:
        raw = "---\ntitle: 港口吞吐量创新高\n---\n正文\n".encode("gbk")
        error = rejected(raw)
        text = str(error)
        assert "not UTF-8" in text
        assert "GBK" in text
        assert error.problems[0].line == 2

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
    def test_utf16_is_rejected(self, encoding: str) -> None:
        raw = source(BASE).decode().encode(encoding)
        assert fields(rejected(raw)) == {"file"}

    def test_nul_byte_is_rejected(self) -> None:
        error = rejected(source(BASE, "<p>a\x00b</p>"))
        assert "NUL" in str(error)

    @pytest.mark.parametrize("raw", [b"", b"   \n\n\t"])
    def test_empty_file_is_rejected(self, raw: bytes) -> None:
        error = rejected(raw)
        assert "empty" in problem(error, "file")

    def test_file_over_the_size_limit_is_rejected(self) -> None:
        raw = source(BASE, "x" * 200)
        config = SiteConfig(limits=Limits(max_source_bytes=len(raw) - 1))
        error = rejected(raw, config=config)
        assert f"limit of {len(raw) - 1:,}" in problem(error, "file")

    def test_file_at_the_size_limit_is_accepted(self) -> None:
        raw = source(BASE)
        config = SiteConfig(limits=Limits(max_source_bytes=len(raw)))
        assert parse_post(NAME, raw, config, LAYOUTS).title

    @pytest.mark.parametrize(
        ("head", "kind"),
        [
            (b"\xff\xd8\xff\xe0\x00\x10JFIF", "a JPEG image"),
            (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a WebP image"),
            (b"\x1f\x8b\x08\x00", "a gzip archive"),
            (b"\x00\x00\x00\x18ftypheic", "an MP4 video or HEIC image"),
            (b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>", "an SVG image"),
        ],
    )
    def test_a_file_that_is_no_post_is_named_and_sent_to_assets(
        self, head: bytes, kind: str
    ) -> None:
        error = rejected(head + b"\x00" * 64)
        assert f"is {kind}, not a post" in problem(error, "file")
        assert "belong under assets/" in error.problems[0].hint

    def test_a_post_that_mentions_svg_is_still_a_post(self) -> None:
        raw = source(BASE) + b"\n<svg viewBox='0 0 1 1'></svg>\n"
        assert parse_post(NAME, raw, SiteConfig(), LAYOUTS).title

    def test_decode_source_strips_bom(self) -> None:
        assert decode_source(NAME, b"\xef\xbb\xbf---\n", SiteConfig()) == "---\n"

    def test_blank_line_before_front_matter(self) -> None:
        error = rejected(b"\n" + source(BASE))
        assert fields(error) == {"front matter"}
        assert "line 1" in str(error)
        assert "does not start on line 1" in str(error)

    def test_no_front_matter(self) -> None:
        error = rejected("<p>只有正文</p>\n".encode())
        assert "missing" in problem(error, "front matter")

    def test_unclosed_front_matter(self) -> None:
        error = rejected(f"---\n{BASE}\n<p>x</p>\n".encode())
        assert "not closed" in problem(error, "front matter")

    def test_no_body_is_allowed(self) -> None:
        post = parse_post(NAME, f"---\n{BASE}\n---".encode(), SiteConfig(), LAYOUTS)
        assert post.body_html == ""
        assert post.excerpt == ""


# --------------------------------------------------------------------------- body


class TestBody:
    def test_raw_html_passes_through_untouched(self) -> None:
        body = (
            '<p class="em_media">（文章来源：厦门日报）</p>'
            '<span web="1" href="http://quote.eastmoney.com/unify/r/1.600160">巨化股份</span>'
            "<!-- EM_StockImg_Start --><p>《&lt;蒙特利尔议定书&gt;基加利修正案》</p>\n"
        )
        html = parse(BASE, body).body_html
        assert '<p class="em_media">（文章来源：厦门日报）</p>' in html
        assert '<span web="1" href="http://quote.eastmoney.com/unify/r/1.600160">' in html
        assert "<!-- EM_StockImg_Start -->" in html
        assert "&lt;蒙特利尔议定书&gt;" in html

    def test_unescaped_ampersand_in_image_url_is_kept(self) -> None:
        body = '<img src="https://x.example/GetPic.aspx?nid=1&imageType=k&token=2" />\n'
        assert "nid=1&imageType=k&token=2" in parse(BASE, body).body_html

    def test_markdown_links_and_autolinks(self) -> None:
        body = (
            "<p>正文</p>\n\n<http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW1>\n\n"
            "[返回首页](//finews.withounder.com/)｜[返回](../emnews/)\n"
        )
        html = parse(BASE, body).body_html
        assert (
            '<a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW1">'
            "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW1</a>"
        ) in html
        assert '<a href="//finews.withounder.com/">返回首页</a>' in html
        assert '<a href="../emnews/">返回</a>' in html

    def test_empty_autolink_stays_literal(self) -> None:
        html = parse(BASE, "<p>x</p>\n\n<>\n").body_html
        assert "<p>&lt;&gt;</p>" in html

    def test_blockquote_right_after_front_matter(self) -> None:
        html = parse(BASE, "> 摘要：港口吞吐量创新高。\n\n<p>正文</p>\n").body_html
        assert html.startswith("<blockquote>\n<p>摘要：港口吞吐量创新高。</p>\n</blockquote>")

    def test_markdown_is_commonmark(self) -> None:
        html = parse(BASE, "**粗体** 和 *斜体*\n").body_html
        assert html == "<p><strong>粗体</strong> 和 <em>斜体</em></p>\n"

    def test_jinja_syntax_in_body_is_plain_text(self) -> None:
        html = parse(BASE, "{{ 7*7 }} {% raw %}\n").body_html
        assert "{{ 7*7 }}" in html
        assert "{% raw %}" in html

    def test_indented_code_block_at_start_of_body(self) -> None:
        html = parse(BASE, "    code line\n\n<p>after</p>\n").body_html
        assert html.startswith("<pre><code>code line\n</code></pre>")


class TestExcerpt:
    def test_excerpt_is_plain_text(self) -> None:
        body = '> 摘要\n\n<p>一<a href="/x">链接</a>。</p><p class="em_media">（来源）</p>\n'
        text = parse(BASE, body).excerpt
        assert "<" not in text
        assert text == "摘要 一链接。 （来源）"

    def test_hidden_paragraph_is_left_out(self) -> None:
        body = '<p style="display: none">隐藏</p><p>可见</p>'
        assert parse(BASE, body).excerpt == "可见"

    def test_corpus_style_hidden_paragraph(self) -> None:
        body = '<p style="display:none;height:1px;overflow:hidden;"><br /></p><p>可见</p>'
        assert parse(BASE, body).excerpt == "可见"

    def test_script_and_style_are_left_out(self) -> None:
        body = "<script>alert(1)</script><style>p{}</style><p>可见</p>"
        assert parse(BASE, body).excerpt == "可见"

    def test_entities_are_decoded(self) -> None:
        assert parse(BASE, "<p>&lt;议定书&gt; &amp;</p>").excerpt == "<议定书> &"

    def test_long_text_is_cut_with_ellipsis(self) -> None:
        text = excerpt("<p>" + "字" * 500 + "</p>", limit=20)
        assert len(text) == 20
        assert text.endswith("…")

    def test_hidden_element_with_nested_tags_stays_hidden(self) -> None:
        body = '<div style="display:none"><p>一</p><span>二</span>三</div><p>可见</p>'
        assert parse(BASE, body).excerpt == "可见"

    def test_hidden_void_element_does_not_hide_the_rest(self) -> None:
        body = '<img style="display:none" src="x.png"><p>可见</p>'
        assert parse(BASE, body).excerpt == "可见"


class TestInternalLinks:
    def test_internal_links_of_a_post(self) -> None:
        body = (
            "[返回东财滚动新闻](../emnews/)\n[返回首页](//finews.withounder.com/)\n"
            "<http://finance.eastmoney.com/news/11060,1.html>\n[站内](/category/emnews.html)\n"
            "[再来](/category/emnews.html)\n"
        )
        config = SiteConfig(url="https://finews.withounder.com")
        post = parse(BASE, body, config=config)
        assert internal_links(post, SiteUrls(config)) == [
            "/emnews/2021/12/emnews/",
            "/",
            "/category/emnews.html",
        ]


# --------------------------------------------------------------------------- hints


BAD_SOURCES = {
    "empty": b"",
    "gbk": "---\ntitle: 港口\n---\n".encode("gbk"),
    "utf16": "---\ntitle: a\n---\n".encode("utf-16"),
    "nul": b"---\ntitle: a\n---\n\x00",
    "no front matter": b"text\n",
    "blank first line": b"\n---\ntitle: a\n---\n",
    "unclosed": b"---\ntitle: a\n",
    "bad yaml": '---\ntitle: "他说"好"了"\n---\n'.encode(),
    "duplicate": b"---\ntitle: a\ntitle: b\n---\n",
    "python tag": b"---\ntitle: !!python/object/apply:os.system [echo]\n---\n",
    "tab": b"---\ntitle: a\nx:\n\t- b\n---\n",
    "everything wrong": (
        b"---\ntitle: ''\ndate: '  +0800'\nlayout: nope\npublished: maybe\n"
        b"categories: [[a]]\ntag: {a: b}\nslug: '...'\n---\n"
    ),
    "bad permalink": b"---\ntitle: a\npermalink: /../x.html\n---\n",
    "empty permalink": b"---\ntitle: a\npermalink: ''\n---\n",
    "title not text": b"---\ntitle: {a: b}\n---\n",
    "no date": b"---\ntitle: a\n---\n",
    "too big": b"---\ntitle: a\n---\n" + b"x" * 100,
}


@pytest.mark.parametrize("raw", BAD_SOURCES.values(), ids=BAD_SOURCES.keys())
def test_every_error_carries_a_hint(raw: bytes) -> None:
    # Given any broken file (the last one is only broken by size)
    config = SiteConfig(limits=Limits(max_source_bytes=100))
    error = rejected(raw, name="x.md", config=config)
    # Then the whole message and every single problem say how to fix it
    assert "fix:" in str(error)
    assert str(error).startswith("x.md: ")
    for each in error.problems:
        assert "(fix: " in str(each), each


# --------------------------------------------------------------------------- corpus

CORPUS = Path(
    os.environ.get("PRESSROOM_CORPUS")
    or Path(__file__).resolve().parents[3] / "shared/corpus/finews/posts"
)
CORPUS_FILES = sorted(CORPUS.glob("*.md")) if CORPUS.is_dir() else []
REJECTED = {
    "-202205262391921712.md": {"title", "date"},
    "2021-12-08-202112082206703990.md": {"front matter"},
}
needs_corpus = pytest.mark.skipif(not CORPUS_FILES, reason=f"corpus not found at {CORPUS}")
URL = re.compile(r"^/(?P<cat>[a-z]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<name>[^/]+)\.html$")
SITE = SiteConfig.load(Path(__file__).resolve().parents[2] / "templates" / "site.yaml")


def _corpus_post(path: Path) -> Post:
    return parse_post(f"_posts/{path.name}", path.read_bytes(), SITE, LAYOUTS)


@needs_corpus
def test_corpus_is_the_documented_sample() -> None:
    assert len(CORPUS_FILES) == 53
    assert set(REJECTED) <= {path.name for path in CORPUS_FILES}


@needs_corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_corpus_post(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.name in REJECTED:
        # Then the two malformed posts are rejected for the documented reasons
        with pytest.raises(InvalidPost) as info:
            _corpus_post(path)
        assert fields(info.value) == REJECTED[path.name]
        return
    post = _corpus_post(path)
    # Then the URL is /<category>/<yyyy>/<mm>/<dd>/<name>.html, from the date and file name
    match = URL.match(post.url)
    assert match, post.url
    date_part, name = re.match(r"(\d{4}-\d{2}-\d{2})-(.+)\.md$", path.name).groups()
    assert f"{match['y']}-{match['m']}-{match['d']}" == date_part
    assert match["name"] == name == post.slug
    assert match["cat"] == re.search(r"^categories: (\S+)$", text, re.M).group(1)
    # And the title is exactly what is between the quotes
    assert post.title == re.search(r'^title: "(.*)"$', text, re.M).group(1)
    # And the date keeps the Shanghai offset
    assert post.display_date.endswith(" +0800")
    assert post.excerpt
    assert not re.search(r"</?[a-z!]", post.excerpt)
    assert "\r" not in post.body_html


@needs_corpus
def test_corpus_crlf_post_parses() -> None:
    path = CORPUS / "2022-01-07-NW202201072239307540.md"
    assert b"\r\n" in path.read_bytes()
    post = _corpus_post(path)
    assert post.url == "/quanshangzhongguo/2022/01/07/NW202201072239307540.html"
    assert "\r" not in post.body_html


@needs_corpus
def test_corpus_titles_keep_special_characters() -> None:
    titles = "".join(_corpus_post(path).title for path in CORPUS_FILES if path.name not in REJECTED)
    for char in "“”《》（）%()：":
        assert char in titles, char


@needs_corpus
def test_corpus_undated_post_reports_both_problems() -> None:
    with pytest.raises(InvalidPost) as info:
        _corpus_post(CORPUS / "-202205262391921712.md")
    text = str(info.value)
    assert "title: is empty" in text
    assert "'+0800' is not a date" in text


@needs_corpus
def test_corpus_entities_and_eastmoney_markup_survive() -> None:
    post = _corpus_post(CORPUS / "2022-05-26-202205262391921712.md")
    assert "&lt;蒙特利尔议定书&gt;" in post.body_html
    assert '<span web="1" href="http://quote.eastmoney.com/unify/r/1.600160"' in post.body_html
    assert "<!-- EM_StockImg_Start -->" in post.body_html
    assert post.body_html.startswith("<blockquote>")


# --------------------------------------------------------------------------- hostile front matter


class TestHostileYaml:
    def test_an_alias_bomb_is_refused_before_it_expands(self) -> None:
        """Given a "billion laughs" front matter, then it is rejected at the first alias."""
        levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
        levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
        error = rejected(source(BASE + "\n" + "\n".join(levels)))

        assert problem(error, "front matter").startswith("line 7, front matter: uses an alias")
        assert "write the value out in full" in problem(error, "front matter")

    @pytest.mark.parametrize(
        "value", ["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!x 1"]
    )
    def test_a_tag_is_refused_not_constructed(self, value: str) -> None:
        """Given a `!!python/...` or custom tag, then nothing is constructed and the editor is
        told to remove the tag."""
        error = rejected(source(f"{BASE}\nextra: {value}"))

        assert "a tag that is not allowed" in problem(error, "front matter")
        assert "remove the `!!...`" in problem(error, "front matter")

    def test_tags_stay_refused_when_other_code_extends_yaml_safeloader(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Given a `!` multi-constructor added to yaml.SafeLoader itself (SAM CLI's YAML
        helper does that in the same process), then a front-matter tag is still refused."""
        monkeypatch.setattr(yaml.SafeLoader, "yaml_multi_constructors", {})
        yaml.SafeLoader.add_multi_constructor("!", lambda loader, suffix, node: suffix)
        assert yaml.safe_load("extra: !x 1") == {"extra": "x"}

        error = rejected(source(f"{BASE}\nextra: !x 1"))

        assert "a tag that is not allowed" in problem(error, "front matter")


class TestLimits:
    def test_a_body_over_the_limit_is_refused_before_rendering(self) -> None:
        config = SiteConfig(limits=Limits(max_body_chars=100))
        error = rejected(source(BASE, "长" * 101), config=config)

        assert problem(error, "body") == (
            "body: has 101 characters, over the limit of 100 (fix: split the post into parts)"
        )

    def test_a_body_at_the_limit_is_published(self) -> None:
        config = SiteConfig(limits=Limits(max_body_chars=100))

        assert "长" * 100 in parse(BASE, "长" * 100, config=config).body_html


class TestSanitize:
    HOSTILE = (
        '<p style="color:red" onclick="steal()">正文<script>alert(1)</script>'
        '<a href="javascript:alert(2)">链接</a><img src="https://img.example/k.png" '
        'onerror="steal()"></p><iframe src="https://evil.example"></iframe>\n'
    )

    def test_bodies_are_trusted_html_by_default(self) -> None:
        post = parse(BASE, self.HOSTILE)

        assert "<script>alert(1)</script>" in post.body_html
        assert 'onclick="steal()"' in post.body_html

    def test_sanitize_removes_scripts_handlers_and_javascript_urls(self) -> None:
        post = parse(BASE, self.HOSTILE, config=SiteConfig(sanitize=True))

        for gone in ("<script", "alert(", "onclick", "onerror", "javascript:", "<iframe", "style="):
            assert gone not in post.body_html
        assert "正文" in post.body_html and "链接" in post.body_html
        assert '<img src="https://img.example/k.png">' in post.body_html
