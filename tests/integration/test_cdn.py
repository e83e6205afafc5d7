"""What is written is what readers get: every object the pipeline writes or deletes in the site
bucket is invalidated at the CDN, once per batch, and a failed invalidation is retried until it
succeeds."""

from __future__ import annotations

import pytest

from pressroom.adapters.cloudfront import CloudFrontInvalidator
from pressroom.adapters.dynamodb import DynamoInvalidationOutbox
from pressroom.composition import pipeline_from_settings
from support.cdn import RecordingCdn, with_cdn
from support.harness import Harness
from support.posts import PostFactory

POST = "/xiamenribao/2026/03/20/port.html"
MOVED = "/hangyun/2026/03/20/port.html"


@pytest.fixture
def cdn(local: Harness) -> RecordingCdn:
    recording = RecordingCdn()
    with_cdn(local, pipeline_from_settings(local.settings, local.session), recording)
    return recording


def pending(local: Harness) -> list[object]:
    outbox = DynamoInvalidationOutbox(local.settings.posts_table, local.stack.dynamodb)
    return list(outbox.pending(100))


def test_a_new_post_invalidates_its_page_and_the_listings_it_changed(
    local: Harness, cdn: RecordingCdn, post_text: PostFactory
) -> None:
    # Given a first post, when it is published
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    # Then its page, the home and 404 pages and its category's and tag's pages are invalidated,
    # as the paths CloudFront caches them under (non-ASCII percent-encoded), and nothing waits
    assert {
        POST,
        "/index.html",
        "/404.html",
        "/category/xiamenribao.html",
        "/category/xiamenribao/2026-03.html",
    } <= cdn.paths
    tag = "/tag/%E5%8E%A6%E9%97%A8%E6%97%A5%E6%8A%A5%E6%96%B0%E9%97%BB.html"
    assert tag in cdn.paths
    assert pending(local) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("retitle", {POST}),
        ("move", {POST, MOVED}),
        ("unpublish", {POST}),
        ("delete", {POST}),
    ],
)
def test_every_change_of_a_live_post_invalidates_its_pages(
    local: Harness, cdn: RecordingCdn, post_text: PostFactory, change: str, expected: set[str]
) -> None:
    # Given a published post
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    cdn.requests.clear()
    # When it is corrected, moved to another category, unpublished or deleted
    if change == "retitle":
        local.upload("2026-03-20-port.md", post_text(title="更正：港口吞吐量"))
    elif change == "move":
        local.upload("2026-03-20-port.md", post_text(categories="hangyun"))
    elif change == "unpublish":
        local.upload("2026-03-20-port.md", post_text(extra="published: false"))
    else:
        local.delete("2026-03-20-port.md")
    local.drain()
    # Then every URL the post had or has is invalidated (not left stale for a day at the edge)
    assert expected <= cdn.paths
    assert pending(local) == []


def test_a_redelivered_upload_invalidates_nothing(
    local: Harness, cdn: RecordingCdn, post_text: PostFactory
) -> None:
    local.upload("2026-03-20-port.md", post_text())
    (message,) = local.take_messages()
    local.deliver(message)
    cdn.requests.clear()
    local.deliver(message)
    assert cdn.requests == []


def test_a_failing_cdn_is_retried_until_every_change_is_invalidated(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a CDN whose first two CreateInvalidation calls fail
    cdn = RecordingCdn(failures=2)
    with_cdn(local, pipeline_from_settings(local.settings, local.session), cdn)
    # When a post is published and the events drained (the failed batch is retried)
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    # Then its page and listings were invalidated in the end, and the outbox is empty
    assert {POST, "/index.html", "/category/xiamenribao.html"} <= cdn.paths
    assert pending(local) == []


def test_a_lost_answer_is_retried_as_the_same_invalidation(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a CDN that accepts the first invalidation but whose answer is lost
    cdn = RecordingCdn(failures=1, lost_answers=True)
    with_cdn(local, pipeline_from_settings(local.settings, local.session), cdn)
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    # Then the retry is the same request, with the same caller reference (CloudFront answers
    # it with the first invalidation instead of making a second)
    first, second, *_ = cdn.requests
    assert first == second
    assert pending(local) == []


def test_without_a_cdn_nothing_is_recorded(local: Harness, post_text: PostFactory) -> None:
    settings = local.settings.model_copy(update={"distribution_id": ""})
    local.pipeline = pipeline_from_settings(settings, local.session)
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    assert local.pipeline.publish.outbox is None and pending(local) == []


def test_one_more_post_costs_one_invalidation_of_ten_paths(
    local: Harness, cdn: RecordingCdn, post_text: PostFactory
) -> None:
    # Given a category and a tag with a post
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    cdn.requests.clear()
    # When one more post of the same category, tag and month is published
    local.upload("2026-03-21-metro.md", post_text(title="地铁", date="2026-03-21 08:00:00 +0800"))
    local.drain()
    # Then one CreateInvalidation names its page, the home page, the category's and tag's
    # landing and month pages, the three feeds and the month's sitemap shard (the 404 page,
    # robots.txt, the sitemap index and its pages shard did not change)
    name = "%E5%8E%A6%E9%97%A8%E6%97%A5%E6%8A%A5%E6%96%B0%E9%97%BB"
    tag = f"/tag/{name}"
    assert cdn.batches == [
        sorted(
            [
                "/xiamenribao/2026/03/21/metro.html",
                "/index.html",
                "/category/xiamenribao.html",
                "/category/xiamenribao/2026-03.html",
                f"{tag}.html",
                f"{tag}/2026-03.html",
                "/feed.xml",
                "/feed/xiamenribao.xml",
                f"/feed/by_tag/{name}.xml",
                "/sitemap-posts-2026-03.xml",
            ]
        )
    ]


def test_the_cloudfront_adapter_makes_a_retried_request_the_same_invalidation(
    local: Harness,
) -> None:
    # Given the template's distribution on the local stack (as strict as CloudFront)
    cloudfront = local.session.client("cloudfront")
    invalidator = CloudFrontInvalidator(local.stack.distribution_id(), cloudfront)
    # When one batch is sent twice with its reference (a retry after a lost answer)
    first = invalidator.invalidate(["/a.html", "/index.html"], "pressroom-test-1")
    again = invalidator.invalidate(["/a.html", "/index.html"], "pressroom-test-1")
    # Then it is one invalidation
    assert first and again == first
    listed = cloudfront.list_invalidations(DistributionId=local.stack.distribution_id())
    assert listed["InvalidationList"]["Quantity"] == 1
    # And a reference CloudFront refuses as already used counts as made, not as a failure
    assert invalidator.invalidate(["/other.html"], "pressroom-test-1") == ""


def test_the_daily_reconcile_sends_what_an_exhausted_batch_left(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a CDN that fails through every retry of the index batch (it ends on the
    # on-failure queue), so the post's paths stay in the outbox
    cdn = RecordingCdn(failures=1_000)
    with_cdn(local, pipeline_from_settings(local.settings, local.session), cdn)
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    assert pending(local) and cdn.requests == []
    # When the CDN recovers and the daily reconcile runs, with nothing else to repair
    cdn.failures = 0
    report = local.pipeline.rebuilder().reconcile()
    # Then the paths the batch left are invalidated and the outbox is empty
    assert report.republished == report.removed == []
    assert {POST, "/index.html", "/category/xiamenribao.html"} <= cdn.paths
    assert pending(local) == []
