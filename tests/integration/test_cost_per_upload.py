"""DESIGN invariant 2: the requests and pages written for one upload do not grow with the site."""

from __future__ import annotations

from collections import Counter

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
    local.upload(f"2026-01-15-{name}.md", post_text(title=name, date="2026-01-15 09:00:00 +0800"))
    local.drain()
    for client in clients.values():
        client.meta.events.unregister("before-call.*.*", count)
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
