"""The local CDN: template.yaml's distribution exists in moto, and the local site server caches
as it does (the viewer-request rule, the cache policy's TTLs, error caching, invalidations)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from pressroom.composition import pipeline_from_settings
from pressroom_dev.serve import SiteServer, site_cache
from support.harness import Harness
from support.posts import PostFactory

POST = "/xiamenribao/2026/03/20/port.html"
TITLE, NEW_TITLE = "厦门港集装箱吞吐量创新高", "厦门港集装箱吞吐量再创新高"
SITE_TTL = 86_400  # the post pages' s-maxage
ERROR_TTL = 60  # the template's ErrorCachingMinTTL


class Clock:
    """Wall-clock time for the edge cache that a test moves forward."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Edge:
    """An in-process local site server in front of a local stack's site bucket."""

    server: SiteServer
    clock: Clock
    local: Harness

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def put(self, key: str, body: str, cache_control: str = "max-age=60, s-maxage=300") -> None:
        self.local.s3.put_object(
            Bucket=self.local.settings.site_bucket,
            Key=key,
            Body=body.encode(),
            ContentType="text/html; charset=utf-8",
            CacheControl=cache_control,
        )

    def invalidate(self, *paths: str, reference: str = "") -> str:
        cloudfront = self.local.stack.cloudfront
        created = cloudfront.create_invalidation(
            DistributionId=self.local.stack.distribution_id(),
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": list(paths)},
                "CallerReference": reference or "-".join(paths),
            },
        )
        return str(created["Invalidation"]["Id"])


@pytest.fixture
def edge(local: Harness) -> Iterator[Edge]:
    clock = Clock()
    cache = site_cache(local.stack)
    cache.clock, cache.poll_interval = clock, 0.0  # read the invalidations at every request
    server = SiteServer(
        ("127.0.0.1", 0), local.s3, local.settings.site_bucket, lambda: {}, cache=cache
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Edge(server, clock, local)
    finally:
        server.shutdown()
        server.server_close()


def test_the_template_distribution_and_its_function_exist_in_moto(local: Harness) -> None:
    """Given the local stack, then moto holds the template's distribution (its S3 origin, the
    managed cache policy, the error responses, the default root object) and its viewer-request
    function with the template's code, and the functions' DISTRIBUTION_ID names it."""
    stack = local.stack
    distribution_id = stack.distribution_id()
    assert distribution_id
    config = stack.cloudfront.get_distribution(Id=distribution_id)["Distribution"][
        "DistributionConfig"
    ]
    (origin,) = config["Origins"]["Items"]
    assert origin["DomainName"] == f"{local.settings.site_bucket}.s3.us-east-1.amazonaws.com"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]["Items"]}
    assert {code: e["ResponsePagePath"] for code, e in errors.items()} == {
        403: "/404.html",
        404: "/404.html",
    }
    (function,) = stack.cloudfront.list_functions()["FunctionList"]["Items"]
    code = stack.cloudfront.get_function(Name=function["Name"])["FunctionCode"].read()
    template_code = stack.resources["SiteFolderIndexFunction"]["Properties"]["FunctionCode"]
    assert code.decode() == template_code
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert stack.function_environment("BuildIndexesFunction")["DISTRIBUTION_ID"] == (
        distribution_id
    )


def test_the_pipelines_invalidations_are_listed_on_the_distribution(
    local: Harness, post_text: PostFactory
) -> None:
    """Given the local stack, when a post is published, then ListInvalidations of the
    template's distribution shows the invalidations the pipeline made, with its page's path
    among their paths."""
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    cloudfront, distribution_id = local.stack.cloudfront, local.stack.distribution_id()
    listed = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    assert listed["Quantity"] >= 1
    paths = {
        path
        for summary in listed["Items"]
        for path in cloudfront.get_invalidation(DistributionId=distribution_id, Id=summary["Id"])[
            "Invalidation"
        ]["InvalidationBatch"]["Paths"]["Items"]
    }
    assert "/index.html" in paths or "/*" in paths


def test_a_page_is_cached_for_its_s_maxage_with_age_and_x_cache(edge: Edge) -> None:
    """Given a page whose Cache-Control is a post page's, when it is read twice, then the
    first is a miss from the bucket and the second a hit with its Age; the copy is kept for
    its s-maxage (86,400 s) and fetched again after that."""
    edge.put("a.html", "one", "max-age=300, s-maxage=86400")
    status, headers, body = edge.get("/a.html")
    assert (status, headers["X-Cache"], body) == (200, "Miss from cloudfront", "one")
    assert "Age" not in headers
    assert edge.server.cache.ttl_of("/a.html") == SITE_TTL
    edge.put("a.html", "two", "max-age=300, s-maxage=86400")
    edge.clock.now += 120
    status, headers, body = edge.get("/a.html")
    assert (status, headers["X-Cache"], headers["Age"], body) == (
        200,
        "Hit from cloudfront",
        "120",
        "one",
    )
    edge.clock.now += SITE_TTL - 120 - 1
    assert edge.get("/a.html")[2] == "one"
    edge.clock.now += 1
    status, headers, body = edge.get("/a.html")
    assert (headers["X-Cache"], body) == ("Miss from cloudfront", "two")


@pytest.mark.parametrize(
    ("cache_control", "ttl"),
    [
        ("max-age=60, s-maxage=300", 300),
        ("max-age=60", 60),
        (None, 86_400),
        ("max-age=0", 1),
        ("no-cache", 1),
        ("max-age=99999999999", 31_536_000),
    ],
)
def test_the_ttl_follows_the_cache_policy_and_cache_control(
    edge: Edge, cache_control: str | None, ttl: int
) -> None:
    """Given Managed-CachingOptimized (MinTTL 1 s, DefaultTTL 1 day, MaxTTL 1 year), then an
    object is kept for its s-maxage, else its max-age, within [MinTTL, MaxTTL]; DefaultTTL
    without either; MinTTL for no-cache."""
    extra = {"CacheControl": cache_control} if cache_control else {}
    edge.local.s3.put_object(
        Bucket=edge.local.settings.site_bucket, Key="t.html", Body=b"t", **extra
    )
    edge.get("/t.html")
    assert edge.server.cache.ttl_of("/t.html") == ttl


def test_a_folder_url_is_served_from_its_index_html_under_one_cache_key(edge: Edge) -> None:
    """Given x/index.html in the bucket, then /x/ serves it, /x/index.html is the same cached
    copy (one cache key), the query string is no part of the key, and /x (no slash) is the
    site's 404 page."""
    edge.put("x/index.html", "folder")
    edge.put("404.html", "not here")
    assert edge.get("/x/")[::2] == (200, "folder")
    status, headers, body = edge.get("/x/index.html?utm=1")
    assert (status, headers["X-Cache"], body) == (200, "Hit from cloudfront", "folder")
    assert edge.get("/x")[::2] == (404, "not here")


def test_an_invalidation_evicts_the_copies_it_names(edge: Edge) -> None:
    """Given cached copies of a page, a folder's index and a Chinese path, when their
    objects change, then the stale copies are served until an invalidation names them (by
    path, by wildcard, percent-encoded), and only those are fetched again."""
    for key in ("a.html", "b.html", "x/index.html", "中/index.html"):
        edge.put(key, f"old {key}")
        edge.get("/" + key.replace("中", "%E4%B8%AD").removesuffix("index.html"))
    for key in ("a.html", "b.html", "x/index.html", "中/index.html"):
        edge.put(key, f"new {key}")
    assert edge.get("/a.html")[2] == "old a.html"
    edge.invalidate("/a.html")
    assert edge.get("/a.html")[2] == "new a.html"
    assert edge.get("/b.html")[2] == "old b.html"
    edge.invalidate("/x/*")
    assert edge.get("/x/")[2] == "new x/index.html"
    edge.invalidate("/%E4%B8%AD/index.html")
    assert edge.get("/%E4%B8%AD/")[2] == "new 中/index.html"
    assert edge.get("/b.html")[2] == "old b.html"
    edge.invalidate("/*")
    assert edge.get("/b.html")[2] == "new b.html"


def test_an_invalidation_older_than_the_copy_leaves_it(edge: Edge) -> None:
    """Given an invalidation of a path, when the path is read after it, then that fresh copy
    stays cached: only invalidations created after a copy was fetched evict it."""
    edge.put("a.html", "one")
    edge.invalidate("/a.html")
    edge.get("/a.html")
    edge.put("a.html", "two")
    _, headers, body = edge.get("/a.html")
    assert (headers["X-Cache"], body) == ("Hit from cloudfront", "one")


def test_a_not_found_is_cached_for_the_error_caching_min_ttl(edge: Edge) -> None:
    """Given a path with no object, then its 404 (the site's 404.html) is cached for the
    template's ErrorCachingMinTTL (60 s): the object appearing meanwhile is not seen until
    then, or until the path is invalidated."""
    edge.put("404.html", "not here")
    status, headers, body = edge.get("/new.html")
    assert (status, headers["X-Cache"], body) == (404, "Error from cloudfront", "not here")
    edge.put("new.html", "here")
    edge.clock.now += ERROR_TTL - 1
    assert edge.get("/new.html")[::2] == (404, "not here")
    edge.clock.now += 1
    assert edge.get("/new.html")[::2] == (200, "here")
    edge.get("/other.html")
    edge.put("other.html", "other")
    edge.invalidate("/other.html")
    assert edge.get("/other.html")[::2] == (200, "other")


def test_an_edited_live_post_is_read_new_once_the_pipeline_drained(
    edge: Edge, post_text: PostFactory
) -> None:
    """Given a live post read through the CDN (so cached for a day), when it is edited and the
    pipeline has drained, then readers get the new version: the pipeline's invalidation
    evicted the cached page."""
    local = edge.local
    local.upload("2026-03-20-port.md", post_text(title=TITLE))
    local.drain()
    assert TITLE in edge.get(POST)[2]
    assert edge.get(POST)[1]["X-Cache"] == "Hit from cloudfront"
    local.upload("2026-03-20-port.md", post_text(title=NEW_TITLE))
    local.drain()
    status, headers, body = edge.get(POST)
    assert (status, headers["X-Cache"]) == (200, "Miss from cloudfront")
    assert NEW_TITLE in body


def test_without_invalidations_readers_keep_the_stale_page(
    edge: Edge, post_text: PostFactory
) -> None:
    """Given a pipeline with no CDN configured (DISTRIBUTION_ID empty), when a live post read
    through the CDN is edited, then the bucket holds the new page but readers keep getting the
    cached old one: only an invalidation (or the day's TTL) ends it."""
    local = edge.local
    settings = local.settings.model_copy(update={"distribution_id": ""})
    no_cdn = Harness(local.stack, pipeline_from_settings(settings, local.session), local.session)
    no_cdn.upload("2026-03-20-port.md", post_text(title=TITLE))
    no_cdn.drain()
    assert TITLE in edge.get(POST)[2]
    no_cdn.upload("2026-03-20-port.md", post_text(title=NEW_TITLE))
    no_cdn.drain()
    assert NEW_TITLE in (no_cdn.page(POST.lstrip("/")) or "")
    status, headers, body = edge.get(POST)
    assert (status, headers["X-Cache"]) == (200, "Hit from cloudfront")
    assert TITLE in body and NEW_TITLE not in body
    edge.clock.now += SITE_TTL
    assert NEW_TITLE in edge.get(POST)[2]


def invalidation_batches(local: Harness) -> list[list[str]]:
    cloudfront, distribution_id = local.stack.cloudfront, local.stack.distribution_id()
    listed = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    return [
        cloudfront.get_invalidation(DistributionId=distribution_id, Id=summary["Id"])[
            "Invalidation"
        ]["InvalidationBatch"]["Paths"]["Items"]
        for summary in listed.get("Items", [])
    ]


def delayed_messages(local: Harness, queue: str) -> int:
    attributes = local.stack.sqs.get_queue_attributes(
        QueueUrl=local.stack.queue_urls[queue],
        AttributeNames=["ApproximateNumberOfMessagesDelayed"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesDelayed"])


def test_a_bulk_import_clears_the_cdn_with_one_wildcard_once_its_batches_stop(
    edge: Edge, post_text: PostFactory
) -> None:
    """Given the functions' invalidations turning into a wildcard past 5 paths (100 in the
    template's site), when posts arrive in two index batches and delayed messages are left
    waiting, then no invalidation is sent and one delayed flush waits on the rebuild queue;
    when it is delivered, one wildcard clears both batches and readers get the new pages."""
    local = edge.local
    local.upload("2026-03-20-port.md", post_text(title=TITLE))
    local.drain()
    assert TITLE in edge.get(POST)[2]
    sent_before = len(invalidation_batches(local))
    for function in (local.pipeline.build_indexes, local.pipeline.rebuilder().build_indexes):
        assert function.invalidations is not None
        function.invalidations.wildcard_after = 5
    for batch in range(2):
        local.upload("2026-03-20-port.md", post_text(title=f"{NEW_TITLE}{batch}"))
        for number in range(3):
            text = post_text(title=f"批量{batch}-{number}", categories=f"bulk{batch}{number}")
            local.upload(f"2026-03-2{number}-bulk-{batch}.md", text)
        local.stack.drain(local.invoke, delays=True)
    assert len(invalidation_batches(local)) == sent_before
    assert delayed_messages(local, "RebuildQueue") == 1
    assert edge.get(POST)[1]["X-Cache"] == "Hit from cloudfront"  # still the cached page
    # When the delayed flush is delivered
    local.drain()
    # Then one wildcard went, the outbox is empty and readers get the new page
    assert invalidation_batches(local)[sent_before:] == [["/*"]]
    assert local.pipeline.build_indexes.invalidations.outbox.pending(10) == []
    status, headers, body = edge.get(POST)
    assert (status, headers["X-Cache"]) == (200, "Miss from cloudfront")
    assert f"{NEW_TITLE}1" in body
