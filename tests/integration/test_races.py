"""Concurrent builds and repeated deliveries: the newest state always ends on the site."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from pressroom.errors import TransientError
from pressroom.model import Entry, PageRef, RenderedPage, TaxonomyKind
from pressroom.usecases.indexes import IndexBuilder
from support.events import sqs_event
from support.harness import Harness
from support.posts import PostFactory

LANDING = "category/xiamenribao.html"
POST_PAGE = "xiamenribao/2026/03/20/port.html"


class PausingRepository:
    """Pauses the first listing query of a build after it has read, until released."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.read_done = threading.Event()
        self.release = threading.Event()
        self.paused = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        entries = self.inner.newest(kind, slug, limit)
        if not self.paused and kind == "category":
            self.paused = True
            self.read_done.set()
            assert self.release.wait(10)
        return entries


def test_an_older_index_render_never_stays_in_place(local: Harness, post_text: PostFactory) -> None:
    # Given a category with one post, and its landing page built
    local.upload("2026-03-20-port.md", post_text(title="第一篇"))
    local.drain()
    stack = local.pipeline.build_indexes
    slow = IndexBuilder(stack.renderer, stack.site, PausingRepository(stack.repository))
    # When a slow build reads the category, then a second post is committed and a fast build
    # writes the newer page, and only then the slow build writes what it read
    worker = threading.Thread(target=slow.build, args=([PageRef("category", "xiamenribao")],))
    worker.start()
    assert slow.repository.read_done.wait(10)
    local.upload("2026-03-21-metro.md", post_text(title="第二篇", date="2026-03-21 09:00:00 +0800"))
    local.drain()
    assert "第二篇" in local.site()[LANDING].decode()
    slow.repository.release.set()
    worker.join(10)
    # Then the landing page still lists the second post: the slow build re-checked the table
    landing = local.site()[LANDING].decode()
    assert "第二篇" in landing and "第一篇" in landing


def count_writes(local: Harness) -> Counter[str]:
    calls: Counter[str] = Counter()

    def count(event_name: str, **_: object) -> None:
        calls[event_name.rsplit(".", 1)[1]] += 1

    for client in {id(c): c for c in (local.pipeline.publish.site.client,)}.values():
        client.meta.events.register("before-call.s3.*", count)
    return calls


def test_a_redelivered_upload_rewrites_no_page(local: Harness, post_text: PostFactory) -> None:
    # Given a published post
    local.upload("2026-03-20-port.md", post_text())
    (message,) = local.take_messages()
    local.deliver(message)
    modified = {
        key: local.s3.head_object(Bucket=local.settings.site_bucket, Key=key)["ETag"]
        for key in local.site()
    }
    # When the same notification is delivered again and every index page is rebuilt
    writes = count_writes(local)
    local.deliver(message)
    pages = [PageRef("home"), PageRef("not_found"), PageRef("category", "xiamenribao")]
    assert local.pipeline.build_indexes.build(pages) == []
    # Then no object is written again (their content hash matches), so the CDN is not churned
    assert writes["PutObject"] == 0 and writes["DeleteObject"] == 0
    assert {
        key: local.s3.head_object(Bucket=local.settings.site_bucket, Key=key)["ETag"]
        for key in local.site()
    } == modified


class WriteThenTimeOut:
    """A site store whose first page write lets another change run, then succeeds but is
    reported as a timeout (the write took effect, the caller never learnt it)."""

    def __init__(self, inner: Any, meanwhile: Any) -> None:
        self.inner = inner
        self.meanwhile = meanwhile
        self.tripped = False

    def differs(self, key: str, page: RenderedPage | None) -> bool:
        return bool(self.inner.differs(key, page))

    def put_page(self, key: str, page: RenderedPage) -> None:
        if not self.tripped:
            self.tripped = True
            self.meanwhile()
            self.inner.put_page(key, page)
            raise TransientError("s3:PutObject failed: Read timeout")
        self.inner.put_page(key, page)

    def delete_page(self, key: str) -> None:
        self.inner.delete_page(key)


def test_a_page_written_by_a_failed_try_is_removed_when_it_is_retried(
    local: Harness, post_text: PostFactory
) -> None:
    # Given an upload and its delete, both still queued
    local.upload("2026-03-20-port.md", post_text())
    local.delete("2026-03-20-port.md")
    created, removed = local.take_messages()
    publish = local.pipeline.publish
    real_site = publish.site

    def delete_meanwhile() -> None:
        publish.site = real_site
        local.deliver(removed)

    # When the upload commits, the delete is processed completely, and only then the upload's
    # page write lands and is reported as failed
    publish.site = WriteThenTimeOut(real_site, delete_meanwhile)
    with pytest.raises(BatchProcessingError):  # its only message failed: the batch is retried
        local.invoke("RenderPostFunction", sqs_event([created]))
    assert POST_PAGE in local.site()
    # Then the retry of the upload, now stale, still takes the orphaned page down
    publish.site = real_site
    local.deliver(created)
    assert POST_PAGE not in local.site()
