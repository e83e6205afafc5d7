"""Who owns a URL is a rule of the final sources, not of arrival order.

Of the published, non-future posts claiming one URL, the one dated earlier (UTC) keeps it, ties
broken by the smaller source key; the others *wait* (not rejected: no rejection, a note in
their report, the metric PostsWaiting) and are published by themselves when the owner leaves.
Renames by copy and delete (`aws s3 mv`), in either order, and swaps of two URLs end with every
post online at its URL whatever order the notifications arrive in: the messages are taken from
the queue and delivered by hand in every order, one at a time or in one batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from itertools import permutations
from typing import Any

import pytest
from aws_lambda_powertools import Metrics

from pressroom_dev.cli import Target, deployed_status, status_text
from pressroom_dev.folder import build_site
from support.harness import Harness
from support.paths import ROOT
from support.posts import PostFactory

URL = "/special/port.html"
KEY = "special/port.html"
EARLY, LATE = "2026-03-20 09:00:00 +0800", "2026-03-21 09:00:00 +0800"


def text(post_text: PostFactory, title: str, date: str = EARLY, url: str = URL) -> str:
    return post_text(title=title, date=date, extra=f"permalink: {url}")


def deliver_in_order(local: Harness, order: tuple[int, ...], batch: bool) -> None:
    """Deliver the queue's notifications in the given order: one batch, or one at a time with
    everything that follows (the stream, the re-sent claimants) drained after each."""
    messages = local.take_messages()
    assert len(messages) == len(order)
    ordered = [messages[i] for i in order]
    if batch:
        local.deliver(*ordered)
    else:
        for message in ordered:
            local.deliver(message)
    local.drain()


def orders(count: int) -> list[tuple[tuple[int, ...], bool]]:
    return [(order, batch) for order in permutations(range(count)) for batch in (False, True)]


def ids(cases: list[tuple[tuple[int, ...], bool]]) -> list[str]:
    return [f"{'batch' if batch else 'one by one'} {order}" for order, batch in cases]


def page(local: Harness, key: str) -> str:
    return local.site().get(key, b"").decode()


def statuses(local: Harness, *names: str) -> list[str]:
    found = []
    for name in names:
        record = local.state(name).record
        found.append(record.status if record is not None else "none")
    return found


def report(local: Harness, name: str) -> dict[str, Any] | None:
    bucket = local.settings.source_bucket
    key = f"reports/posts/{name}.json"
    listed = local.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    if not listed:
        return None
    body: dict[str, Any] = json.loads(local.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return body


def assert_site_is_the_full_build(local: Harness, tmp_path: Any) -> None:
    bucket = local.settings.source_bucket
    keys = [
        item["Key"]
        for item in local.s3.list_objects_v2(Bucket=bucket, Prefix="posts/").get("Contents", [])
    ]
    sources = [(k, local.s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]
    out = tmp_path / "build"
    build_site(sources, ROOT / "templates", out, jobs=1)
    expected = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
    }
    actual = local.site()
    assert sorted(expected) == sorted(actual)
    assert [k for k in expected if expected[k] != actual[k]] == []


@pytest.mark.parametrize(("order", "batch"), orders(2), ids=ids(orders(2)))
@pytest.mark.parametrize("copy_first", [True, False], ids=["copy, delete", "delete, copy"])
def test_a_rename_keeping_its_url_ends_online_in_any_order(
    local: Harness,
    post_text: PostFactory,
    tmp_path: Any,
    order: tuple[int, ...],
    batch: bool,
    copy_first: bool,
) -> None:
    """Given a live post whose permalink fixes its URL, when the file is renamed as `aws s3 mv`
    does (CopyObject then DeleteObject, or the other way round), whatever order the two
    notifications arrive in, then the renamed file is online at the same URL, the old key is
    gone, nothing is rejected or waiting, and the site is the full build of the bucket."""
    local.upload("2026-03-20-port.md", text(post_text, "改名前后同一篇"))
    local.drain()
    bucket = local.settings.source_bucket
    source = {"Bucket": bucket, "Key": "posts/2026-03-20-port.md"}
    version = local.s3.head_object(**source)["VersionId"]
    copy: Callable[[], object] = lambda: local.s3.copy_object(  # noqa: E731
        Bucket=bucket, Key="posts/2026-03-20-renamed.md", CopySource=source | {"VersionId": version}
    )
    steps = [copy, lambda: local.delete("2026-03-20-port.md")]
    for step in steps if copy_first else steps[::-1]:
        step()

    deliver_in_order(local, order, batch)

    assert "改名前后同一篇" in page(local, KEY)
    assert statuses(local, "2026-03-20-renamed.md", "2026-03-20-port.md") == [
        "published",
        "deleted",
    ]
    assert local.state("2026-03-20-renamed.md").rejection is None
    assert report(local, "2026-03-20-renamed.md") is None
    assert_site_is_the_full_build(local, tmp_path)


@pytest.mark.parametrize(("order", "batch"), orders(2), ids=ids(orders(2)))
def test_two_posts_swapping_urls_end_online_in_any_order(
    local: Harness,
    post_text: PostFactory,
    tmp_path: Any,
    order: tuple[int, ...],
    batch: bool,
) -> None:
    """Given two live posts at /special/a.html and /special/b.html, when both are re-uploaded
    with each other's permalink, whatever order the notifications arrive in, then each is
    online at its new URL, neither is rejected nor waiting, and no report is left."""
    a, b = "/special/a.html", "/special/b.html"
    local.upload("2026-03-20-alpha.md", text(post_text, "甲稿", EARLY, a))
    local.upload("2026-03-21-beta.md", text(post_text, "乙稿", LATE, b))
    local.drain()
    local.upload("2026-03-20-alpha.md", text(post_text, "甲稿", EARLY, b))
    local.upload("2026-03-21-beta.md", text(post_text, "乙稿", LATE, a))

    deliver_in_order(local, order, batch)

    assert "乙稿" in page(local, "special/a.html") and "甲稿" in page(local, "special/b.html")
    assert statuses(local, "2026-03-20-alpha.md", "2026-03-21-beta.md") == ["published"] * 2
    assert report(local, "2026-03-20-alpha.md") is None
    assert report(local, "2026-03-21-beta.md") is None
    assert_site_is_the_full_build(local, tmp_path)


@pytest.mark.parametrize(("order", "batch"), orders(2), ids=ids(orders(2)))
def test_the_earlier_post_keeps_a_contested_url_whatever_arrives_first(
    local: Harness, post_text: PostFactory, order: tuple[int, ...], batch: bool
) -> None:
    """Given two new files with one permalink, the second dated a day later, whatever order
    their notifications arrive in, then the earlier is online and the later waits: no
    rejection, and a report naming the post that keeps the URL and why."""
    local.upload("2026-03-21-late.md", text(post_text, "后到稿", LATE))
    local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY))

    deliver_in_order(local, order, batch)

    assert "先发稿" in page(local, KEY)
    assert statuses(local, "2026-03-20-early.md", "2026-03-21-late.md") == [
        "published",
        "waiting",
    ]
    assert local.state("2026-03-21-late.md").rejection is None
    note = report(local, "2026-03-21-late.md")
    assert note is not None and note["status"] == "waiting"
    assert note["owner"] == "posts/2026-03-20-early.md" and note["url"] == URL
    assert "dated 2026-03-20T01:00:00Z, before this post's 2026-03-21T01:00:00Z" in note["summary"]
    assert "后到稿" not in page(local, "index.html")  # a waiting post is in no listing


@pytest.mark.parametrize(
    "leave",
    ["delete", "unpublish", "move", "date later"],
)
def test_a_waiting_post_is_published_by_itself_when_the_owner_leaves(
    local: Harness, post_text: PostFactory, tmp_path: Any, leave: str
) -> None:
    """Given an owner and a later post waiting for its URL, when the owner is deleted,
    unpublished, moved to another URL or re-dated after the waiting one, then the waiting post
    is published without a re-upload, its note is gone, and the site is the full build."""
    local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY))
    local.upload("2026-03-21-late.md", text(post_text, "后到稿", LATE))
    local.drain()
    assert statuses(local, "2026-03-21-late.md") == ["waiting"]

    if leave == "delete":
        local.delete("2026-03-20-early.md")
    elif leave == "unpublish":
        local.upload(
            "2026-03-20-early.md",
            post_text(title="先发稿", date=EARLY, extra=f"permalink: {URL}\npublished: false"),
        )
    elif leave == "move":
        local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY, "/special/moved.html"))
    else:
        local.upload("2026-03-20-early.md", text(post_text, "先发稿", "2026-03-22 09:00:00 +0800"))
    local.drain()

    assert "后到稿" in page(local, KEY)
    assert statuses(local, "2026-03-21-late.md") == ["published"]
    assert report(local, "2026-03-21-late.md") is None
    assert_site_is_the_full_build(local, tmp_path)


def test_an_earlier_post_displaces_the_owner_which_then_waits(
    local: Harness, post_text: PostFactory, tmp_path: Any
) -> None:
    """Given a live post, when a file dated earlier claims its URL, then the earlier one takes
    the page and the listings, and the former owner waits (re-sent to RenderPost by
    BuildIndexes): the site is the full build."""
    local.upload("2026-03-21-late.md", text(post_text, "后到稿", LATE))
    local.drain()
    local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY))
    local.drain()

    assert "先发稿" in page(local, KEY)
    assert statuses(local, "2026-03-20-early.md", "2026-03-21-late.md") == [
        "published",
        "waiting",
    ]
    assert "后到稿" not in page(local, "index.html")
    assert_site_is_the_full_build(local, tmp_path)


def test_a_broken_reupload_of_the_owner_keeps_the_url(
    local: Harness, post_text: PostFactory
) -> None:
    """Given an owner and a waiting post, when the owner is re-uploaded broken, then its live
    version keeps the URL (it is its newest valid version) and the other still waits."""
    local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY))
    local.upload("2026-03-21-late.md", text(post_text, "后到稿", LATE))
    local.drain()
    local.upload("2026-03-20-early.md", '---\ntitle: "坏"稿"\n---\n')
    local.drain()

    assert "先发稿" in page(local, KEY)
    assert statuses(local, "2026-03-20-early.md", "2026-03-21-late.md") == [
        "published",
        "waiting",
    ]
    assert local.state("2026-03-20-early.md").rejection is not None


def test_the_reconcile_publishes_a_waiting_post_whose_url_is_free(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a waiting post, when the owner is deleted while BuildIndexes cannot re-send the
    claimants (as if that were lost), then the post still waits; the daily reconcile then
    publishes it."""
    local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY))
    local.upload("2026-03-21-late.md", text(post_text, "后到稿", LATE))
    local.drain()
    requeue = local.pipeline.build_indexes.requeue
    local.pipeline.build_indexes.requeue = None
    local.delete("2026-03-20-early.md")
    local.drain()
    assert statuses(local, "2026-03-21-late.md") == ["waiting"]
    local.pipeline.build_indexes.requeue = requeue

    result = local.invoke("RebuildFunction", {"mode": "reconcile"})
    local.drain()

    assert "posts/2026-03-21-late.md" in result["republished"]
    assert "后到稿" in page(local, KEY)
    assert statuses(local, "2026-03-21-late.md") == ["published"]


def test_a_waiting_post_is_logged_and_counted_apart_from_rejections(
    local: Harness,
    post_text: PostFactory,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given metrics enabled, when a post waits for a URL, then RenderPost logs "post waiting"
    at INFO naming its report, and emits PostsWaiting, never PostsRejected (the
    rejected-posts alarm stays quiet)."""
    local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY))
    local.drain()
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    Metrics().clear_metrics()
    local.upload("2026-03-21-late.md", text(post_text, "后到稿", LATE))
    capsys.readouterr()

    with caplog.at_level(logging.INFO, logger="pressroom"):
        local.drain()

    waiting = [r for r in caplog.records if r.getMessage() == "post waiting"]
    assert waiting and waiting[0].levelno == logging.INFO
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [m["PostsWaiting"] for m in printed if "PostsWaiting" in m] == [[1.0]]
    assert not [m for m in printed if "PostsRejected" in m]


def test_status_lists_a_waiting_post_apart_from_rejected_ones(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a post waiting for a URL, when `status --stack` reads the deployed stack from
    outside (its report objects), then the post is listed as waiting, naming the URL and its
    owner, and not as rejected; once the owner leaves it is listed nowhere."""
    urls = local.stack.queue_urls
    target = Target(
        local.s3,
        local.stack.sqs,
        local.settings.source_bucket,
        urls["IngestQueue"],
        urls["IngestDeadLetterQueue"],
        "https://example.cloudfront.net",
        urls["IndexesDeadLetterQueue"],
    )
    local.upload("2026-03-20-early.md", text(post_text, "先发稿", EARLY))
    local.upload("2026-03-21-late.md", text(post_text, "后到稿", LATE))
    local.drain()

    status = deployed_status(target)

    assert status["rejected"] == []
    (waiting,) = status["waiting"]
    assert waiting["source_key"] == "posts/2026-03-21-late.md"
    assert waiting["url"] == URL and waiting["owner"] == "posts/2026-03-20-early.md"
    assert waiting["report"].endswith("/reports/posts/2026-03-21-late.md.json")
    assert (
        f"waiting posts/2026-03-21-late.md: {URL} is the page of posts/2026-03-20-early.md"
        in status_text(status)
    )

    local.delete("2026-03-20-early.md")
    local.drain()

    assert deployed_status(target)["waiting"] == []
