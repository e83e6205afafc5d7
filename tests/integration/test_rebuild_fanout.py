"""A rebuild after a template change as a job of messages on the rebuild queue: every page is
rendered again by the Rebuild function's invocations, each post by one part, the CDN is sent
one wildcard once the last part is done, and a message delivered twice changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pressroom.composition import pipeline_from_settings
from pressroom.config import Settings
from pressroom.errors import TransientError
from pressroom.model import SourceChange
from pressroom.usecases import rebuild
from support.cdn import RecordingCdn
from support.events import sqs_event
from support.harness import Harness
from support.paths import EVENTS, ROOT
from support.posts import PostFactory

POSTS = 30
CATEGORIES = ("xiamenribao", "cailianshe", "hangyun")
OLD_TITLE, NEW_TITLE = "金融消息", "财经快讯"


def titled(site: dict[str, bytes]) -> dict[str, bytes]:
    """The site's pages that show its title (robots.txt and sitemaps do not)."""
    return {
        key: body
        for key, body in site.items()
        if key != "robots.txt" and not key.startswith("sitemap")
    }


def changed_templates(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    config = templates / "site.yaml"
    text = config.read_text(encoding="utf-8")
    assert f"title: {OLD_TITLE}" in text
    config.write_text(text.replace(f"title: {OLD_TITLE}", f"title: {NEW_TITLE}"), "utf-8")
    return templates


def publish_site(local: Harness, post_text: PostFactory) -> list[str]:
    keys = []
    for number in range(POSTS):
        name = f"2026-03-{number % 28 + 1:02d}-post-{number:02d}.md"
        local.upload(
            name,
            post_text(
                title=f"第{number}条",
                categories=CATEGORIES[number % 3],
                tags=f"标签{number % 4}",
            ),
        )
        keys.append(f"posts/{name}")
    local.drain()
    return sorted(keys)


class Recorder:
    """The Rebuild function's queue messages, as delivered."""

    def __init__(self, local: Harness) -> None:
        self.local = local
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function == "RebuildFunction":
            self.bodies += [json.loads(record["body"]) for record in event.get("Records", [])]
        return self.local.invoke(function, event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [body for body in self.bodies if kind in body]


def new_container(local: Harness, templates: Path, cdn: RecordingCdn) -> Any:
    """The Rebuild function after the template change: a new container with its own role."""
    environment = local.stack.function_environment("RebuildFunction")
    settings = Settings.from_environ(environment).model_copy(update={"templates_dir": templates})
    pipeline = pipeline_from_settings(settings, local.stack.session_for("RebuildFunction"))
    assert pipeline.fanout is not None
    pipeline.fanout.cdn = cdn
    local.pipeline.rebuild = pipeline  # type: ignore[attr-defined]
    return pipeline


@pytest.fixture
def small_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small pages and messages, so that 30 posts take several plan steps and parts."""
    monkeypatch.setattr(rebuild, "LIST_PAGE", 7)
    monkeypatch.setattr(rebuild, "POSTS_PER_MESSAGE", 3)
    monkeypatch.setattr(rebuild, "PLAN_MESSAGES_PER_STEP", 2)
    monkeypatch.setattr(rebuild, "TERMS_PER_MESSAGE", 2)


def test_a_fanned_out_rebuild_renders_every_page_again_once_per_post(
    local: Harness, post_text: PostFactory, tmp_path: Path, small_messages: None
) -> None:
    # Given a site of 30 posts
    keys = publish_site(local, post_text)
    before = local.site()
    assert all(OLD_TITLE in body.decode() for body in titled(before).values())
    # When the site title changes and the Rebuild function is invoked with mode rebuild
    cdn = RecordingCdn()
    pipeline = new_container(local, changed_templates(tmp_path), cdn)
    started = local.invoke("RebuildFunction", {"mode": "rebuild", "job": "j1"})
    recorder = Recorder(local)
    local.stack.drain(recorder)
    # Then the invocation only started the job, and the queue's messages did the work
    assert started["rebuild"] == "j1"
    after = local.site()
    assert after.keys() == before.keys()
    stale = [key for key, body in titled(after).items() if NEW_TITLE not in body.decode()]
    assert stale == [] and all(OLD_TITLE not in body.decode() for body in titled(after).values())
    # And each post was in exactly one part, rendered by a Rebuild invocation
    rendered = Counter(key for body in recorder.of("posts") for key in body["posts"])
    assert sorted(rendered) == keys and set(rendered.values()) == {1}
    assert len(recorder.of("plan")) > 2  # the listing continued itself
    parts = {body["part"] for body in recorder.bodies if "part" in body and "plan" not in body}
    assert parts == set(range(len(parts)))
    # And the job counted every part, and the CDN got one wildcard at the end
    progress = pipeline.fanout.jobs.progress("j1")
    assert progress == rebuild.JobProgress(len(parts), len(parts), True)
    assert cdn.requests == [(["/*"], "pressroom-rebuild-j1")]

    # When every message is delivered a second time
    writes: Counter[str] = Counter()
    pipeline.publish.site.client.meta.events.register(
        "before-call.s3.PutObject", lambda **_: writes.update(["put"])
    )
    again = [
        {"MessageId": f"again-{number}", "Body": json.dumps(body, ensure_ascii=False)}
        for number, body in enumerate(recorder.bodies)
    ]
    result = local.invoke("RebuildFunction", sqs_event(again))
    local.drain()
    # Then nothing fails, nothing is written, counted or invalidated again
    assert result["batchItemFailures"] == []
    assert local.site() == after and writes["put"] == 0
    assert pipeline.fanout.jobs.progress("j1") == progress
    assert len(cdn.requests) == 1


def test_a_part_that_fails_is_retried_and_the_job_finishes(
    local: Harness, post_text: PostFactory, tmp_path: Path, small_messages: None
) -> None:
    # Given a site and a rebuild whose first write of each of 8 pages fails
    publish_site(local, post_text)
    cdn = RecordingCdn()
    pipeline = new_container(local, changed_templates(tmp_path), cdn)
    site = pipeline.publish.site
    put = site.put_page
    tried: set[str] = set()

    def flaky(key: str, page: Any) -> None:
        if key not in tried and len(tried) < 8:  # a message is tried at most 5 times
            tried.add(key)
            raise TransientError("s3:PutObject failed: SlowDown")
        put(key, page)

    site.put_page = flaky
    local.invoke("RebuildFunction", {"mode": "rebuild", "job": "j2"})
    # When the queue is drained (failed messages come back)
    local.drain()
    # Then every page shows the new title and the job finished once
    stale = [key for key, body in titled(local.site()).items() if NEW_TITLE not in body.decode()]
    assert stale == [] and len(tried) == 8
    progress = pipeline.fanout.jobs.progress("j2")
    assert progress is not None and progress.invalidated and progress.done == progress.parts
    assert cdn.requests == [(["/*"], "pressroom-rebuild-j2")]


SCALE = int(os.environ.get("PRESSROOM_REBUILD_POSTS", "0"))


@pytest.mark.scale
def test_a_fanned_out_rebuild_of_many_posts(
    local: Harness, post_text: PostFactory, tmp_path: Path
) -> None:
    """Given PRESSROOM_REBUILD_POSTS posts (published straight through RenderPost's use case,
    the stream's backlog skipped), when the template changes and a rebuild runs through the
    rebuild queue, then every page is rendered again; prints the time and the messages."""
    source = local.settings.source_bucket
    seeding = time.perf_counter()
    for number in range(SCALE):
        key = f"posts/2025-{number % 12 + 1:02d}-{number % 28 + 1:02d}-scale-{number:05d}.md"
        text = post_text(
            title=f"第{number}条",
            date=f"2025-{number % 12 + 1:02d}-{number % 28 + 1:02d} 08:00:00 +0800",
            categories=f"cat{number % 200}",
            tags=f"标签{number % 50}",
        )
        version = local.s3.put_object(Bucket=source, Key=key, Body=text.encode())["VersionId"]
        local.pipeline.publish(SourceChange(key, False, version))
    local.take_messages()
    streams = local.stack.streams
    for stream in local.stack.stream_sources:
        description = streams.describe_stream(StreamArn=stream.stream_arn)["StreamDescription"]
        for shard in description["Shards"]:
            stream.iterators[shard["ShardId"]] = streams.get_shard_iterator(
                StreamArn=stream.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
    cdn = RecordingCdn()
    pipeline = new_container(local, changed_templates(tmp_path), cdn)
    started = time.perf_counter()
    local.invoke("RebuildFunction", {"mode": "rebuild", "job": "scale"})
    planned = time.perf_counter()
    recorder = Recorder(local)
    report = local.stack.drain(recorder)
    done = time.perf_counter()
    site = local.site()
    posts = [key for key in site if "/scale-" in key]
    assert len(posts) == SCALE
    assert all(NEW_TITLE in body.decode() for body in titled(site).values())
    progress = pipeline.fanout.jobs.progress("scale")
    assert progress is not None and progress.invalidated and progress.done == progress.parts
    print(
        f"\nseeded in {started - seeding:.0f} s; rebuild of {SCALE} posts, {len(site)} objects: "
        "reconcile and start "
        f"{planned - started:.1f} s, fan-out {done - planned:.1f} s; "
        f"{len(recorder.bodies)} messages ({len(recorder.of('plan'))} plan steps, "
        f"{len(recorder.of('posts'))} post parts, {len(recorder.of('terms'))} index parts), "
        f"invocations {report.invocations}"
    )


def test_the_sample_rebuild_queue_event_is_handled(local: Harness, post_text: PostFactory) -> None:
    """Given events/sqs-rebuild.json (a plan step, a part of posts, a part of index pages),
    when the Rebuild function handles it, then no record fails and the parts are counted."""
    local.upload("2026-03-20-nev-retail-sales.md", post_text(title="新能源车零售"))
    local.drain()
    event = json.loads((EVENTS / "sqs-rebuild.json").read_text(encoding="utf-8"))

    result = local.invoke("RebuildFunction", event)

    assert result["batchItemFailures"] == []
    job = json.loads(event["Records"][0]["body"])["rebuild"]
    pipeline = local.pipeline.rebuilder().fanout
    assert pipeline is not None
    progress = pipeline.jobs.progress(job)
    assert progress is not None and progress.done == 2
