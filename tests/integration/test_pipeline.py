"""The publishing pipeline end to end on moto: uploads, moves, deletes, and S3's real delivery."""

from __future__ import annotations

import json

from pressroom.errors import TransientError
from pressroom.model import SourceObject
from support.events import load_event, sqs_event
from support.harness import Harness
from support.posts import PostFactory

POST_KEY = "xiamenribao/2026/03/20/port.html"


def test_upload_appears_on_post_category_tag_and_home_pages(
    local: Harness, post_text: PostFactory
) -> None:
    # Given an empty site
    # When an editor uploads a post and the pipeline drains
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    # Then the post has its page, and its category, tag, archive and home pages list it
    site = local.site()
    post = site[POST_KEY].decode()
    assert "厦门港集装箱吞吐量创新高" in post and "2026-03-20 16:12:47 +0800" in post
    assert 'href="/category/xiamenribao.html"' in post and 'href="/tag/厦门日报新闻.html"' in post
    for key in (
        "category/xiamenribao.html",
        "category/xiamenribao/2026-03.html",
        "tag/厦门日报新闻.html",
        "index.html",
    ):
        assert f'href="/{POST_KEY}"' in site[key].decode(), key
    assert "404.html" in site


def test_reupload_with_another_category_moves_the_post(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a published post in one category, next to another post that stays there
    local.upload("2026-03-20-port.md", post_text())
    local.upload(
        "2026-03-21-metro.md", post_text(title="地铁6号线开通", date="2026-03-21 09:00:00 +0800")
    )
    local.drain()
    # When it is uploaded again with another category
    local.upload("2026-03-20-port.md", post_text(categories="cailianshe"))
    local.drain()
    # Then it lives at its new URL, the old page is gone, and the listings follow
    site = local.site()
    assert POST_KEY not in site
    assert "cailianshe/2026/03/20/port.html" in site
    assert "/cailianshe/2026/03/20/port.html" in site["category/cailianshe.html"].decode()
    old_category = site["category/xiamenribao.html"].decode()
    assert "port.html" not in old_category and "地铁6号线开通" in old_category
    assert "共 1 篇" in old_category
    home = site["index.html"].decode()
    assert "/cailianshe/2026/03/20/port.html" in home and POST_KEY not in home


def test_delete_removes_the_post_everywhere(local: Harness, post_text: PostFactory) -> None:
    # Given a published post alone in its category and tag, and another post elsewhere
    local.upload("2026-03-20-port.md", post_text())
    local.upload("2026-03-21-bank.md", post_text(title="银行", categories="", tags=""))
    local.drain()
    # When the source file is deleted
    local.delete("2026-03-20-port.md")
    local.drain()
    # Then its page, its category and tag pages are gone and the home page no longer lists it
    site = local.site()
    assert POST_KEY not in site
    assert not [key for key in site if key.startswith(("category/", "tag/"))]
    assert "port.html" not in site["index.html"].decode()
    assert "银行" in site["index.html"].decode()
    assert local.state("2026-03-20-port.md").record.status == "deleted"


def test_an_older_event_delivered_after_a_newer_one_changes_nothing(
    local: Harness, post_text: PostFactory
) -> None:
    # Given two uploads of the same file whose notifications are still queued
    local.upload("2026-03-20-port.md", post_text(title="第一版标题"))
    local.upload("2026-03-20-port.md", post_text(title="第二版标题"))
    first, second = local.take_messages()
    # When the newer notification arrives first and the older one late
    local.deliver(second)
    before = local.site()
    local.deliver(first)
    # Then the late event changes nothing: the site shows the second version
    assert local.site() == before
    assert "第二版标题" in before[POST_KEY].decode()


def test_a_delete_older_than_the_current_version_does_nothing(
    local: Harness, post_text: PostFactory
) -> None:
    # Given upload, delete, upload again, with all three notifications queued
    local.upload("2026-03-20-port.md", post_text(title="第一版标题"))
    local.delete("2026-03-20-port.md")
    local.upload("2026-03-20-port.md", post_text(title="重新发布"))
    created, removed, recreated = local.take_messages()
    assert "ObjectRemoved" in removed["Body"]
    # When they arrive newest first
    local.deliver(recreated)
    local.deliver(removed)
    local.deliver(created)
    # Then the post is live with the last upload
    assert "重新发布" in local.site()[POST_KEY].decode()


def test_a_duplicate_delivery_changes_nothing(local: Harness, post_text: PostFactory) -> None:
    # Given a post published from its notification
    local.upload("2026-03-20-port.md", post_text())
    (message,) = local.take_messages()
    local.deliver(message)
    before = local.site()
    # When S3 delivers the same notification twice more, once in the same batch
    local.deliver(message)
    local.deliver(message, message)
    # Then the site is byte for byte the same
    assert local.site() == before


def test_a_rejected_post_touches_nothing_else(local: Harness, post_text: PostFactory) -> None:
    # Given a published site
    local.upload("2026-03-20-port.md", post_text())
    local.upload(
        "2026-03-21-metro.md", post_text(title="地铁6号线开通", date="2026-03-21 09:00:00 +0800")
    )
    local.drain()
    before = local.site()
    # When a new broken post and a broken re-upload of a live post arrive
    local.upload("2026-03-22-broken.md", post_text(title='他说"好"了'))
    local.upload("2026-03-21-metro.md", "---\ntitle: \n---\n<p>正文</p>\n")
    local.drain()
    # Then every page is unchanged and both rejections say why
    assert local.site() == before
    broken = local.state("2026-03-22-broken.md")
    assert broken.record is None and broken.rejection is not None
    assert "front matter" in broken.rejection.message and "line" in broken.rejection.message
    metro = local.state("2026-03-21-metro.md")
    assert metro.record is not None and metro.record.live
    assert metro.rejection is not None and "title" in metro.rejection.message
    # And a corrected re-upload clears the rejection
    local.upload(
        "2026-03-21-metro.md",
        post_text(title="地铁6号线今日开通", date="2026-03-21 09:00:00 +0800"),
    )
    local.drain()
    assert local.state("2026-03-21-metro.md").rejection is None
    assert "地铁6号线今日开通" in local.site()["xiamenribao/2026/03/21/metro.html"].decode()


def test_published_false_takes_a_live_post_down(local: Harness, post_text: PostFactory) -> None:
    # Given a live post
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    # When it is re-uploaded with published: false
    local.upload("2026-03-20-port.md", post_text(extra="published: false"))
    local.drain()
    # Then it is nowhere on the site; with no published post left, not even a home page
    site = local.site()
    assert POST_KEY not in site and "category/xiamenribao.html" not in site
    assert "index.html" not in site and "404.html" not in site
    assert local.state("2026-03-20-port.md").record.status == "unpublished"


def test_two_files_claiming_one_url_the_earlier_keeps_it_and_the_other_waits(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a published post
    local.upload("2026-03-20-port.md", post_text(title="原稿"))
    local.drain()
    # When a later-dated file takes the same URL through its permalink
    local.upload(
        "2026-03-22-copy.md",
        post_text(title="抄稿", date="2026-03-22 09:00:00 +0800", extra=f"permalink: /{POST_KEY}"),
    )
    local.drain()
    # Then the earlier keeps the page, and the later waits: not rejected, nowhere on the site
    assert "原稿" in local.site()[POST_KEY].decode()
    state = local.state("2026-03-22-copy.md")
    assert state.rejection is None
    assert state.record is not None and state.record.status == "waiting"
    assert "抄稿" not in local.site()["index.html"].decode()


def test_pages_carry_content_type_and_cache_control(local: Harness, post_text: PostFactory) -> None:
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    for key in (POST_KEY, "index.html", "category/xiamenribao.html", "404.html"):
        head = local.s3.head_object(Bucket=local.settings.site_bucket, Key=key)
        assert head["ContentType"] == "text/html; charset=utf-8"
        assert "max-age=" in head["CacheControl"]


def test_a_link_into_the_site_that_resolves_nowhere_is_a_warning(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a category page that exists
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    # When a post links to it, to the home page, and to a page that does not exist
    body = (
        "<p>正文</p>\n\n[返回](/category/xiamenribao.html)｜"
        "[首页](//finews.withounder.com/)｜[旧链接](../emnews/)\n"
    )
    local.upload(
        "2026-03-21-metro.md", post_text(title="地铁", date="2026-03-21 09:00:00 +0800", body=body)
    )
    local.drain()
    # Then the post is published with exactly one warning, for the broken link
    record = local.state("2026-03-21-metro.md").record
    assert record is not None and record.live
    assert len(record.warnings) == 1 and "/xiamenribao/2026/03/emnews/" in record.warnings[0]


def test_render_post_accepts_a_bare_s3_notification(local: Harness, post_text: PostFactory) -> None:
    # Given the sample event of events/s3-put.json, naming a version that was uploaded
    event = load_event("s3-put.json")
    key = event["Records"][0]["s3"]["object"]["key"]
    version = local.upload(key.removeprefix("posts/"), post_text(categories="cailianshe"))
    local.take_messages()
    event["Records"][0]["s3"]["object"]["versionId"] = version
    # When RenderPost is invoked with it directly (as `sam local invoke -e` does)
    result = local.invoke("RenderPostFunction", event)
    local.drain()
    # Then the post is published
    assert result == {"batchItemFailures": []}
    assert "cailianshe/2026/03/20/nev-retail-sales.html" in local.site()


def test_the_sample_sqs_event_publishes_and_ignores_the_test_event(
    local: Harness, post_text: PostFactory
) -> None:
    event = load_event("sqs-s3-put.json")
    body = json.loads(event["Records"][0]["body"])
    key = body["Records"][0]["s3"]["object"]["key"]
    version = local.upload(key.removeprefix("posts/"), post_text(categories="cailianshe"))
    local.take_messages()
    body["Records"][0]["s3"]["object"]["versionId"] = version
    event["Records"][0]["body"] = json.dumps(body)
    result = local.invoke("RenderPostFunction", event)
    assert result == {"batchItemFailures": []}
    assert local.state(key.removeprefix("posts/")).record.live


class FlakySource:
    """A source store that fails transiently for one key."""

    def __init__(self, inner: object, failing_key: str) -> None:
        self.inner = inner
        self.failing_key = failing_key

    def read(self, key: str, version_id: str | None, max_bytes: int) -> SourceObject:
        if key == self.failing_key:
            raise TransientError("s3:GetObject failed: SlowDown")
        return self.inner.read(key, version_id, max_bytes)  # type: ignore[attr-defined]

    def current_version(self, key: str) -> str | None:
        return self.inner.current_version(key)  # type: ignore[attr-defined]


def test_a_transient_failure_fails_only_its_message_and_is_retried(
    local: Harness, post_text: PostFactory
) -> None:
    # Given two uploads, and S3 failing transiently for one of them
    local.upload("2026-03-20-port.md", post_text())
    local.upload("2026-03-21-metro.md", post_text(title="地铁", date="2026-03-21 09:00:00 +0800"))
    messages = local.take_messages()
    healthy = local.pipeline.publish.source
    local.pipeline.publish.source = FlakySource(healthy, "posts/2026-03-21-metro.md")
    # When both arrive in one batch
    result = local.invoke("RenderPostFunction", sqs_event(messages))
    # Then only the failing message is reported, the other post is committed
    assert result == {"batchItemFailures": [{"itemIdentifier": messages[1]["MessageId"]}]}
    assert local.state("2026-03-20-port.md").record.live
    assert local.state("2026-03-21-metro.md").record is None
    # And a redelivery after recovery publishes it
    local.pipeline.publish.source = healthy
    local.deliver(messages[1])
    assert local.state("2026-03-21-metro.md").record.live


def test_build_indexes_reports_the_batch_for_retry_when_writing_fails(local: Harness) -> None:
    class BrokenSite:
        def differs(self, key: str, page: object) -> bool:
            return True

        def put_page(self, key: str, page: object) -> None:
            raise TransientError("s3:PutObject failed: 503")

        def delete_page(self, key: str) -> None:
            raise TransientError("s3:DeleteObject failed: 503")

    event = load_event("dynamodb-stream.json")
    local.pipeline.build_indexes.site = BrokenSite()
    result = local.invoke("BuildIndexesFunction", event)
    first = event["Records"][0]["dynamodb"]["SequenceNumber"]
    assert result == {"batchItemFailures": [{"itemIdentifier": first}]}


def test_transient_failures_end_in_the_dead_letter_queue(
    local: Harness, post_text: PostFactory
) -> None:
    # Given S3 failing for one post on every attempt
    local.upload("2026-03-20-port.md", post_text())
    local.pipeline.publish.source = FlakySource(
        local.pipeline.publish.source, "posts/2026-03-20-port.md"
    )
    # When the queue is drained (each failure retried at once)
    local.drain()
    # Then the message ends in the DLQ after the template's maxReceiveCount, not silently dropped
    dlq_url = local.stack.queue_urls["IngestDeadLetterQueue"]
    messages = local.stack.sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1 and "2026-03-20-port.md" in messages[0]["Body"]
