"""DESIGN invariant 2: the requests and pages written for one upload do not grow with the site,
and BuildIndexes touches only pages that exist."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pressroom import pages
from pressroom.urls import key_for_url
from pressroom_dev.bench import upload
from support.aws import ACCOUNT_ID, REGION
from support.cdn import templates_with, with_templates
from support.harness import Harness
from support.posts import PostFactory


def requests_for_one_upload(
    local: Harness, post_text: PostFactory, existing: int, name: str
) -> Counter[str]:
    for day in range(existing):
        local.upload(
            f"2026-01-{day % 28 + 1:02d}-story-{day}.md",
            post_text(title=f"旧闻{day}", date=f"2026-01-{day % 28 + 1:02d} 08:00:00 +0800"),
        )
    local.drain()
    publish, build = local.pipeline.publish, local.pipeline.build_indexes
    with upload.counted(upload.function_clients(publish, build)) as cost:
        text = post_text(title=name, date="2026-01-15 09:00:00 +0800")
        local.upload(f"2026-01-15-{name}.md", text)
        local.drain()
    return Counter({key: n for key, n in cost.items() if "bytes" not in key})


def test_one_upload_costs_the_same_in_a_small_and_a_large_category(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a category with 3 posts, measured; then the same category grown by 40 more posts
    small = requests_for_one_upload(local, post_text, 3, "first")
    large = requests_for_one_upload(local, post_text, 40, "second")
    # Then one more upload makes exactly the same AWS requests (by the functions) and page writes
    assert small == large
    assert small["s3.PutObject"] == large["s3.PutObject"] > 0
    # And the stale pages are recorded once and cleared once (README, "Rebuild and repair")
    assert small["dynamodb.PutItem#STALE"] == small["dynamodb.DeleteItem#STALE"] == 1


def site_requests_of_one_upload(local: Harness, post_text: PostFactory) -> list[tuple[str, str]]:
    """(operation, key) of every request BuildIndexes makes to the site bucket while one post
    joins a category and a tag that already have posts."""
    for day in (1, 2, 3):
        local.upload(
            f"2026-01-0{day}-story-{day}.md",
            post_text(title=f"旧闻{day}", date=f"2026-01-0{day} 08:00:00 +0800"),
        )
    local.drain()
    touched: list[tuple[str, str]] = []

    def record(model: Any, params: dict[str, Any], **_: object) -> None:
        touched.append((str(model.name), str(params.get("Key", ""))))

    client = local.pipeline.build_indexes.site.client  # type: ignore[attr-defined]
    client.meta.events.register("before-parameter-build.s3.*", record)
    local.upload("2026-01-15-new.md", post_text(title="新闻", date="2026-01-15 09:00:00 +0800"))
    local.drain()
    client.meta.events.unregister("before-parameter-build.s3.*", record)
    return touched


def test_one_upload_into_an_existing_category_touches_no_phantom_page(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a category and a tag with three posts, when one more post joins both, then
    BuildIndexes reads and writes the site bucket only at keys of pages the table implies
    (a count item's `<slug>#<spelling>` is no landing page), deletes nothing, and reads each
    of the twelve stale pages (home, 404, robots.txt, the category's and the tag's landing
    and month, the site's, the category's and the tag's feeds, and the sitemap's pages and
    month shards) once."""
    touched = site_requests_of_one_upload(local, post_text)

    urls = local.pipeline.build_indexes.renderer.urls
    real = {key_for_url(pages.url_of(ref, urls)) for ref in pages.every_page(local.repository)}
    assert touched and {key for _, key in touched} <= real, sorted(touched)
    assert [key for operation, key in touched if operation == "DeleteObject"] == []
    heads = Counter(key for operation, key in touched if operation == "HeadObject")
    assert len(heads) == 12 and set(heads.values()) == {1}, heads


def seed_month(local: Harness, first: int, last: int) -> None:
    """Posts `first`..`last - 1` of one category and tag in January 2026, written straight to the
    table as the pipeline would record them (membership items and counters): days 1 to 28
    except the 15th, at 08:00."""
    table = local.settings.posts_table
    upload.seed_month(local.stack.dynamodb, table, first, last, ACCOUNT_ID, REGION)


def cost_of_one_upload(local: Harness, post_text: PostFactory, name: str) -> Counter[str]:
    """Requests by operation, DynamoDB response bytes, S3 objects and bytes written, while one
    post joins the category and the tag on 15 January and the events are delivered."""
    publish, build = local.pipeline.publish, local.pipeline.build_indexes
    with upload.counted(upload.function_clients(publish, build)) as cost:
        text = post_text(title=name, date="2026-01-15 09:00:00 +0800")
        local.upload(f"2026-01-15-{name}.md", text)
        local.drain()
    return cost


@pytest.fixture
def split_months(local: Harness, tmp_path: Path) -> Harness:
    """The pipeline with sitemap shards of at most 100 posts, as archive pages are by default,
    so a month of 150 posts is split by day for both."""
    return with_templates(local, templates_with(tmp_path, sitemap_size=100))


def test_one_upload_costs_the_same_in_a_month_of_150_and_of_2000_posts(
    split_months: Harness, post_text: PostFactory
) -> None:
    """DESIGN invariant 2 in every unit, for a month split into day pages and day sitemap
    shards (README, "Listing pages"): the new post's day holds the same posts in both cases."""
    local = split_months
    # Given a category and a tag with 150 posts in January (so their months are split by day)
    # (and two uploads already made on the new post's day, which wrote the site's constant
    # pages and the day's sitemap shard: the index is read again while a period has one post)
    seed_month(local, 0, 150)
    cost_of_one_upload(local, post_text, "warm-up")
    cost_of_one_upload(local, post_text, "warm-up-2")
    small = cost_of_one_upload(local, post_text, "first")
    # When the month has grown to 2,000 posts
    # (seeded straight into the table, so one more upload brings the feeds up to date)
    seed_month(local, 150, 2000)
    cost_of_one_upload(local, post_text, "warm-up-again")
    large = cost_of_one_upload(local, post_text, "second")
    # Then one more upload makes the same requests and writes the same objects
    requests = {key: n for key, n in small.items() if "bytes" not in key}
    assert requests == {key: n for key, n in large.items() if "bytes" not in key}
    assert small["s3.PutObject"] == large["s3.PutObject"] > 0
    # And reads and writes as many bytes, within 1.2x
    for unit in ("dynamodb bytes read", "s3 bytes written"):
        assert 0 < large[unit] <= 1.2 * small[unit], (unit, small[unit], large[unit])
        assert small[unit] <= 1.2 * large[unit], (unit, small[unit], large[unit])
