"""DESIGN invariant 2: the requests and pages written for one upload do not grow with the site,
and BuildIndexes touches only pages that exist."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pressroom import pages
from pressroom.urls import key_for_url
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
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: object) -> None:
        calls[event_name.split(".", 1)[1]] += 1

    def count_stale(event_name: str, params: dict[str, Any], **_: object) -> None:
        item = params.get("Key") or params.get("Item")
        if isinstance(item, dict) and item.get("PK") == {"S": "STALE"}:
            calls[event_name.split(".", 1)[1] + "#STALE"] += 1

    publish, build = local.pipeline.publish, local.pipeline.build_indexes
    clients = {
        id(c): c
        for c in (
            publish.source.client,
            publish.site.client,
            publish.repository.client,
            build.site.client,
            build.repository.client,
        )
    }
    for client in clients.values():
        client.meta.events.register("before-call.*.*", count)
        client.meta.events.register("before-parameter-build.*.*", count_stale)
    local.upload(f"2026-01-15-{name}.md", post_text(title=name, date="2026-01-15 09:00:00 +0800"))
    local.drain()
    for client in clients.values():
        client.meta.events.unregister("before-call.*.*", count)
        client.meta.events.unregister("before-parameter-build.*.*", count_stale)
    return calls


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
    of the six stale pages (home, 404, the category's and the tag's landing and month) once."""
    touched = site_requests_of_one_upload(local, post_text)

    urls = local.pipeline.build_indexes.renderer.urls
    real = {key_for_url(pages.url_of(ref, urls)) for ref in pages.every_page(local.repository)}
    assert touched and {key for _, key in touched} <= real, sorted(touched)
    assert [key for operation, key in touched if operation == "DeleteObject"] == []
    heads = Counter(key for operation, key in touched if operation == "HeadObject")
    assert len(heads) == 6 and set(heads.values()) == {1}, heads
