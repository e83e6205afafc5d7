"""How archive pages are cut (pages.archive): by counts alone, with URLs under the month's."""

from __future__ import annotations

from pressroom.config import SiteConfig
from pressroom.model import IndexChange, PageRef
from pressroom.pages import archive
from pressroom.urls import SiteUrls

CONFIG = SiteConfig(archive_page_size=3)


def test_periods_are_bounded_in_the_site_time_zone() -> None:
    # Given the default zone (UTC+8), then a day and an hour start eight hours earlier in UTC
    assert archive.period_bounds("2026-03-15", CONFIG) == (
        "2026-03-14T16:00:00Z",
        "2026-03-15T16:00:00Z",
    )
    assert archive.period_bounds("2026-03-15T09", CONFIG) == (
        "2026-03-15T01:00:00Z",
        "2026-03-15T02:00:00Z",
    )
    assert archive.period_bounds("2026-12", CONFIG)[1] == "2026-12-31T16:00:00Z"
    # And a month's children are its days, a day's its 24 hours
    assert len(archive.children("2024-02")) == 29
    assert archive.children("2026-03-15")[9] == "2026-03-15T09"


def test_a_page_exists_where_its_parent_is_split() -> None:
    # Given a month of four posts (over the size of three), two on the 5th
    counts = {"2026-03": 4, "2026-03-03": 2, "2026-03-05": 2, "2026-03-05T09": 2}
    # Then the month is split, its days have pages, and their hours do not
    assert archive.is_split("2026-03", counts, 3)
    assert archive.exists("2026-03-05", counts, 3)
    assert not archive.exists("2026-03-05T09", counts, 3)
    assert not archive.exists("2026-03-07", counts, 3)
    # And with three posts the month is one page and no day has one
    three = counts | {"2026-03": 3}
    assert not archive.is_split("2026-03", three, 3)
    assert not archive.exists("2026-03-05", three, 3)


def test_day_and_hour_urls_live_under_the_month() -> None:
    urls = SiteUrls(CONFIG)
    url = archive.CATEGORY.url
    assert url(PageRef("category_archive", "a", "2026-03"), urls) == "/category/a/2026-03.html"
    assert url(PageRef("category_archive", "a", "2026-03-05"), urls) == (
        "/category/a/2026-03/05.html"
    )
    assert url(PageRef("category_archive", "a", "2026-03-05T09"), urls) == (
        "/category/a/2026-03/05/09.html"
    )


def stale(change: IndexChange) -> set[str]:
    return {ref.month for ref in archive.CATEGORY.stale(change, CONFIG)}


def test_what_a_change_makes_stale() -> None:
    # A listing change: its month page only
    assert stale(IndexChange("listing", "category", "a", "2026-03-05T01:10:00Z")) == {"2026-03"}
    # A counter image of a split month: the changed hour's day (its hour too if the day is split)
    split = (("2026-03", 5), ("2026-03-05", 2), ("2026-03-05T09", 1))
    assert stale(IndexChange("months", "category", "a", counts=split)) == {"2026-03-05"}
    big_day = (("2026-03", 6), ("2026-03-05", 5), ("2026-03-05T09", 1))
    assert stale(IndexChange("months", "category", "a", counts=big_day)) == {
        "2026-03-05",
        "2026-03-05T09",
    }
    # An image at N + 1 (the month just crossed, one way or the other): it and every day
    crossed = (("2026-03", 4), ("2026-03-05", 2), ("2026-03-05T09", 1))
    pages = stale(IndexChange("months", "category", "a", counts=crossed))
    assert {"2026-03", "2026-03-01", "2026-03-31"} <= pages and len(pages) == 32
    # And a month of three (not split) makes no day stale
    small = (("2026-03", 3), ("2026-03-05", 2), ("2026-03-05T09", 1))
    assert stale(IndexChange("months", "category", "a", counts=small)) == set()
