"""Index batches that exhausted their retries are repaired, however late: BuildIndexes records
the pages a batch makes stale in the table before rendering them and clears them once they are
written, so the daily reconcile and `pressroom redrive` can rebuild what a failed batch left
(its on-failure message holds only stream positions, and stream records live 24 hours)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from pressroom.adapters.dynamodb import STALE_ITEM_BYTES, DynamoStalePages, DynamoTableChanges
from pressroom.errors import TransientError
from pressroom.model import PageRef, RenderedPage
from pressroom_dev import cli
from pressroom_dev.stack import LocalStack
from support.aws import LOCAL_ENVIRONMENT, REGION
from support.harness import FunctionPipelines, Harness
from support.paths import ROOT
from support.posts import PostFactory
from support.servers import moto_server

NEW_POST = "xiamenribao/2026/03/21/metro.html"
# The pages one post in the existing category and tag makes stale.
LISTINGS = (
    "index.html",
    "category/xiamenribao.html",
    "category/xiamenribao/2026-03.html",
    "tag/厦门日报新闻.html",
    "tag/厦门日报新闻/2026-03.html",
)


class FailingSite:
    """BuildIndexes' site bucket refusing every write (after `healthy_after` refusals, none)."""

    def __init__(self, inner: Any, healthy_after: int | None = None) -> None:
        self.inner = inner
        self.refusals = 0
        self.healthy_after = healthy_after

    def _refuse(self) -> None:
        if self.healthy_after is None or self.refusals < self.healthy_after:
            self.refusals += 1
            raise TransientError("s3:PutObject failed: 503 Service Unavailable")

    def differs(self, key: str, page: RenderedPage | None) -> bool:
        return bool(self.inner.differs(key, page))

    def put_page(self, key: str, page: RenderedPage) -> None:
        self._refuse()
        self.inner.put_page(key, page)

    def delete_page(self, key: str) -> None:
        self._refuse()
        self.inner.delete_page(key)


def stale_items(local: Harness) -> list[dict[str, Any]]:
    response = local.stack.dynamodb.query(
        TableName=local.settings.posts_table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "STALE"}},
        ConsistentRead=True,
    )
    return list(response["Items"])


def failed_batches(local: Harness) -> int:
    url = local.stack.queue_urls["IndexesDeadLetterQueue"]
    attributes = local.stack.sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def publish_during_an_outage(local: Harness, post_text: PostFactory) -> None:
    """A published post, then a second one whose index batch fails every try and goes to the
    on-failure queue; the site bucket is healthy again afterwards."""
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    healthy = local.pipeline.build_indexes.site
    local.pipeline.build_indexes.site = FailingSite(healthy)
    local.upload(
        "2026-03-21-metro.md", post_text(title="地铁6号线开通", date="2026-03-21 09:00:00 +0800")
    )
    local.drain()
    local.pipeline.build_indexes.site = healthy


def assert_outage_left_the_listings_stale(local: Harness) -> None:
    site = local.site()
    assert NEW_POST in site  # RenderPost wrote the post page
    for key in LISTINGS:
        assert NEW_POST not in site[key].decode(), key
    assert failed_batches(local) == 1
    (item,) = stale_items(local)
    kinds = {ref["M"]["kind"]["S"] for ref in item["pages"]["L"]}
    # home, 404, robots.txt, the category's and tag's landing and month pages, three feeds,
    # and the sitemap index (the month had one post: a shard may have appeared), its pages
    # shard and the month's shard
    assert {"home", "not_found", "feed", "sitemap_index"} <= kinds
    assert len(item["pages"]["L"]) == 13


def assert_repaired(local: Harness) -> None:
    """Every listing names the new post, nothing is marked stale, and a full rebuild changes
    nothing (the repair made exactly the site the table implies)."""
    site = local.site()
    for key in LISTINGS:
        assert f'href="/{NEW_POST}"' in site[key].decode(), key
    assert stale_items(local) == []
    local.invoke("RebuildFunction", {"mode": "rebuild", "workers": 2})
    assert local.site() == site


def test_the_daily_reconcile_rebuilds_the_pages_of_an_exhausted_batch(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a post whose index batch failed every try (its listings stale, the batch in the
    on-failure queue), when the site bucket is healthy again and the daily reconcile runs,
    then home and every listing name the post and no page is left marked stale."""
    publish_during_an_outage(local, post_text)
    assert_outage_left_the_listings_stale(local)

    report = local.invoke("RebuildFunction", {"mode": "reconcile", "workers": 2})

    assert report["stale_pages"] == 13 and report["republished"] == []
    assert_repaired(local)


def test_redrive_rebuilds_the_pages_of_an_exhausted_batch_and_deletes_its_message(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a post whose index batch failed every try, when the redrive takes the indexes'
    on-failure queue and has the Rebuild function repair the stale pages (as `pressroom
    redrive --stack` does), then the listings are right, no page is marked stale and the
    queue is empty."""
    publish_during_an_outage(local, post_text)
    assert_outage_left_the_listings_stale(local)

    batches, pages = cli.repair_failed_index_batches(
        local.stack.sqs,
        local.stack.queue_urls["IndexesDeadLetterQueue"],
        lambda: int(local.invoke("RebuildFunction", {"mode": "stale"})["stale_pages"]),
    )

    assert (batches, pages) == (1, 13)
    assert failed_batches(local) == 0
    assert_repaired(local)


def test_a_batch_that_succeeds_on_a_retry_leaves_no_stale_record(
    local: Harness, post_text: PostFactory
) -> None:
    """Given the site bucket refusing BuildIndexes' first two writes, when a post is published,
    then the retried batch writes every listing and its retries left no stale record behind
    (each retry records its pages under the same batch)."""
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    site = FailingSite(local.pipeline.build_indexes.site, healthy_after=2)
    local.pipeline.build_indexes.site = site
    local.upload(
        "2026-03-21-metro.md", post_text(title="地铁6号线开通", date="2026-03-21 09:00:00 +0800")
    )
    local.drain()
    assert site.refusals == 2
    assert failed_batches(local) == 0
    assert stale_items(local) == []
    for key in LISTINGS:
        assert f'href="/{NEW_POST}"' in local.site()[key].decode(), key


def test_stale_records_of_two_batches_are_cleared_apart(local: Harness) -> None:
    """Given two batches that marked the same page, when one clears its record, then the
    other's stays: a batch that finished never forgets the pages of one that did not."""
    stale = DynamoStalePages(local.settings.posts_table, local.stack.dynamodb)
    first = stale.mark("batch-a", [PageRef("home"), PageRef("landing_category", "port")])
    stale.mark("batch-b", [PageRef("home")])
    stale.clear(first)
    (left,) = stale.pending()
    assert left.id == "batch-b#0" and left.pages == (PageRef("home"),)


def test_a_batch_of_many_pages_is_recorded_in_several_items(local: Harness) -> None:
    """Given a batch whose page references outgrow one item, then they are recorded in several
    items under 400 KB each, and read back whole."""
    stale = DynamoStalePages(local.settings.posts_table, local.stack.dynamodb)
    refs = [PageRef("archive_tag", f"{'标签' * 150}{n}", "2026-03") for n in range(500)]
    ids = stale.mark("big", refs)
    assert len(ids) > 1
    assert sorted(ref for mark in stale.pending() for ref in mark.pages) == sorted(refs)
    for item in stale_items(local):
        size = len(repr(item).encode())  # an overestimate of DynamoDB's size
        assert STALE_ITEM_BYTES // 2 < size < 400 * 1024 or item is stale_items(local)[-1]
    stale.clear(ids)
    assert stale.pending() == []


def test_stale_records_are_no_index_change() -> None:
    """Given the stream images of a STALE item, then BuildIndexes reads no index change from
    them (so recording and clearing stale pages never triggers another build)."""
    image = {"PK": "STALE", "SK": "abc#0", "pages": [{"kind": "home", "term": "", "month": ""}]}
    assert DynamoTableChanges().index_changes([image]) == []


# -- `pressroom redrive` against a running local stack -------------------------------------------
@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Harness]]:
    """The stack on moto's server on a free loopback port, with handlers driven in-process."""
    for name, value in LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with moto_server() as endpoint:
        session = boto3.session.Session(region_name=REGION)
        stack = LocalStack(ROOT, session, endpoint_url=endpoint).create()
        yield endpoint, Harness(stack, FunctionPipelines.of(stack), session)


def test_pressroom_redrive_repairs_the_local_stack(
    served: tuple[str, Harness],
    post_text: PostFactory,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given a post whose index batch failed every try on the running local stack, when
    `pressroom redrive` runs, then it says what it rebuilt and the listings are right."""
    endpoint, local = served
    publish_during_an_outage(local, post_text)
    assert_outage_left_the_listings_stale(local)
    monkeypatch.chdir(tmp_path)

    code = cli.main(["redrive", "--endpoint-url", endpoint, "--project", str(ROOT)])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "moved 0 messages from the dead-letter queue" in out
    assert "rebuilt 13 pages that 1 failed index batches left stale" in out
    assert failed_batches(local) == 0
    assert_repaired(local)
    # And a second redrive finds nothing to do
    assert cli.main(["redrive", "--endpoint-url", endpoint]) == 0
    assert "no failed index batch" in capsys.readouterr().out
