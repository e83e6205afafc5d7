"""DESIGN invariant 1: whatever S3 and Lambda do, the site converges to a full build.

Hypothesis generates sequences of uploads, re-uploads (title, date, categories, tags,
permalink, slug, published), invalid re-uploads, deletes, renames by copy and delete (`aws s3
mv`, in either order), swaps of two files' contents, and the lifecycle rule expiring old
versions, on six files, two of them one name in its NFC and NFD spellings; categories include
look-alikes (`C++`, `C#`, `C`); permalinks and slugs are drawn from a small shared pool, so
files claim one URL, take each other's and swap them. Their notifications are
delivered duplicated, reordered and in batches, while a fraction of S3, DynamoDB and SQS calls
fail (throttling, 5xx, or a timeout after the call went through). Failed messages are retried
as SQS would, exhausted ones go to the DLQ and are redriven, failed stream batches are
retried, and the claimants BuildIndexes sends back to the queue are delivered the same way.
Then the site bucket must equal `pressroom build` of the final source bucket, byte for byte:
of the posts claiming one URL the one dated earlier keeps it (ties: the smaller key), in both.
The final bucket is each key's newest valid version since its last delete marker, read from
S3's versions, so a broken re-upload leaves the version before it live until that expires.
"""

from __future__ import annotations

import os
import random
import threading
import unicodedata
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from pressroom.composition import pipeline_from_settings
from pressroom.config import Settings
from pressroom.content import parse_post
from pressroom.errors import InvalidPost
from pressroom.render import SiteRenderer
from pressroom_dev.folder import build_site
from pressroom_dev.stack import LambdaContext, LocalStack
from support.aws import REGION
from support.clock import S3Clock
from support.events import sqs_event
from support.harness import Harness
from support.paths import ROOT

CAFE = "2026-03-01-café.md"
# The last two are one file name in two Unicode spellings (NFC, then NFD): one post.
NAMES = [
    "2026-01-05-alpha.md",
    "2026-02-10-beta.md",
    "2026-02-11-gamma.md",
    "2026-03-01-delta.md",
    unicodedata.normalize("NFC", CAFE),
    unicodedata.normalize("NFD", CAFE),
]
TITLES = ["港口吞吐量创新高", "地铁6号线开通", "银行年报发布", "汇率中间价上调"]
DATES = ["2026-01-31 23:30:00 +0800", "2026-02-01 00:30:00 +0800", "2026-02-15 10:00:00", None]
# Look-alike names among them: `C++`, `C#` and `C`, `R&D` and `R-D` are five categories.
CATEGORIES = [
    "xiamenribao",
    "cailianshe",
    "CaiLianShe kuaixun",
    "[zhengquanshibao, shichang]",
    "",
    '"C++"',
    '"C#"',
    "C",
    '"R&D"',
    "R-D",
]
# Uploads an editor gets an error for: the file's newest valid version stays live.
BROKEN = [
    '---\ntitle: "港口"创新"高"\ndate: 2026-01-31 23:30:00 +0800\n---\n<p>正文</p>\n',
    "---\ndate: 2026-02-15 10:00:00\ncategories: xiamenribao\n---\n<p>没有标题</p>\n",
    '---\ntitle: "日期错误"\ndate: 2026-02-30 10:00:00\n---\n<p>正文</p>\n',
]
TAGS = ["厦门日报新闻", "", "财联社新闻"]

# A permalink: False (the site's pattern), True (one of the file's own), or one of a pool
# that several files share (so they conflict, take each other's URL and swap them).
SHARED_PERMALINKS = ["/special/p.html", "/special/q.html"]
variants = st.fixed_dictionaries(
    {
        "title": st.sampled_from(TITLES),
        "date": st.sampled_from(DATES),
        "categories": st.sampled_from(CATEGORIES),
        "tags": st.sampled_from(TAGS),
        "permalink": st.sampled_from([False, True, *SHARED_PERMALINKS, *SHARED_PERMALINKS]),
        "published": st.sampled_from([True, True, True, False]),
    },
    optional={"slug": st.just("shared")},  # the same :title, so one URL for one date and category
)
name_index = st.integers(0, len(NAMES) - 1)
puts = st.tuples(st.just("put"), name_index, variants)
# A few uploads first, so that renames and swaps find files to move and URLs are contested.
operations = st.tuples(
    st.lists(puts, min_size=2, max_size=4),
    st.lists(
        st.one_of(
            puts,
            st.tuples(st.just("delete"), name_index, st.none()),
            st.tuples(
                st.just("rename"),
                name_index,
                st.fixed_dictionaries({"to": name_index, "copy_first": st.booleans()}),
            ),
            st.tuples(st.just("swap"), name_index, st.fixed_dictionaries({"with": name_index})),
            st.tuples(
                st.just("break"),
                name_index,
                st.fixed_dictionaries({"text": st.sampled_from(BROKEN)}),
            ),
            st.tuples(
                st.just("expire"), name_index, st.fixed_dictionaries({"count": st.integers(1, 3)})
            ),
            st.tuples(st.just("later"), name_index, st.none()),
        ),
        max_size=6,
    ),
).map(lambda parts: parts[0] + parts[1])


RENDERER = SiteRenderer.from_directory(ROOT / "templates")

JAN, FEB = "2026-01-31 23:30:00 +0800", "2026-02-15 10:00:00"


def variant(
    title: int, date: int, categories: int, tags: int, permalink: bool, published: bool = True
) -> dict[str, Any]:
    return {
        "title": TITLES[title],
        "date": DATES[date],
        "categories": CATEGORIES[categories],
        "tags": TAGS[tags],
        "permalink": permalink,
        "published": published,
    }


def post_variant(
    title: str, date: str, categories: str, tags: str = "", permalink: bool = False
) -> dict[str, Any]:
    return {
        "title": title,
        "date": date,
        "categories": categories,
        "tags": tags,
        "permalink": permalink,
        "published": True,
    }


def post_text(name: str, variant: dict[str, Any]) -> str:
    lines = ["---", "layout: post", f'title: "{variant["title"]}"']
    if variant["date"]:
        lines.append(f"date: {variant['date']}")
    if variant["categories"]:
        lines.append(f"categories: {variant['categories']}")
    if variant["tags"]:
        lines.append(f"tags: {variant['tags']}")
    if variant["permalink"] is True:
        lines.append(f"permalink: /special/{name.removesuffix('.md')}.html")
    elif variant["permalink"]:
        lines.append(f"permalink: {variant['permalink']}")
    if variant.get("slug"):
        lines.append(f"slug: {variant['slug']}")
    if not variant["published"]:
        lines.append("published: false")
    return "\n".join([*lines, "---", f"<p>{variant['title']}。</p>", ""])


class Faults:
    """Makes a fraction of the functions' AWS calls fail, before or after they take effect,
    until `budget` faults have been injected (every outage ends)."""

    def __init__(self, rng: random.Random, rate: float, budget: int = 25) -> None:
        self.rng = rng
        self.rate = rate
        self.budget = budget
        self.injected = 0
        self.lock = threading.Lock()

    def attach(self, clients: list[Any]) -> None:
        for client in {id(c): c for c in clients}.values():
            client.meta.events.register("before-call.*.*", self.before)
            client.meta.events.register("after-call.*.*", self.after)

    def _roll(self) -> bool:
        with self.lock:
            hit = self.injected < self.budget and self.rng.random() < self.rate
            self.injected += hit
            return hit

    def before(self, model: Any, **_: Any) -> None:
        if self._roll():
            code = self.rng.choice(["ThrottlingException", "InternalServerError", "SlowDown"])
            status = 400 if code == "ThrottlingException" else 500
            error = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
            raise ClientError(error, model.name)  # type: ignore[arg-type]

    def after(self, **_: Any) -> None:
        if self._roll():
            raise ReadTimeoutError(endpoint_url="http://aws.invalid")


@dataclass
class Delivery:
    """SQS and Lambda, by hand: duplicated, reordered batches; retries; DLQ and redrive."""

    harness: Harness
    rng: random.Random
    max_receives: int = 3

    def run(self, messages: list[dict[str, Any]]) -> None:
        """Deliver these messages, and every message sent to the queue meanwhile (the
        claimants BuildIndexes sends back), until the queue and the stream are quiet."""
        while messages:
            self._run(messages)
            messages = self.harness.take_messages()

    def _run(self, messages: list[dict[str, Any]]) -> None:
        plan = messages + [m for m in messages if self.rng.random() < 0.3]
        self.rng.shuffle(plan)
        queue = deque((message, 0) for message in plan)
        dead: list[dict[str, Any]] = []
        redrives = 0
        while queue or dead:
            if not queue:  # redrive the dead-letter queue
                redrives += 1
                assert redrives <= 20, f"{len(dead)} messages fail on every redrive"
                queue.extend((message, 0) for message in dead)
                dead.clear()
            batch = [queue.popleft() for _ in range(min(len(queue), self.rng.randint(1, 4)))]
            event = sqs_event([message for message, _ in batch])
            try:
                result = self.harness.invoke("RenderPostFunction", event)
                failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
            except Exception:  # the whole batch failed: Lambda retries all of it
                failed = {message["MessageId"] for message, _ in batch}
            for message, receives in batch:
                if message["MessageId"] in failed:
                    if receives + 1 >= self.max_receives:
                        dead.append(message)
                    else:
                        queue.append((message, receives + 1))
            if self.rng.random() < 0.5:
                self.drain_stream()
                queue.extend((message, 0) for message in self.harness.take_messages())
        self.drain_stream()

    def drain_stream(self) -> None:
        stack = self.harness.stack
        for source in stack.stream_sources:
            for _ in range(10_000):
                before = dict(source.iterators)
                if not stack.pump_stream(source, self._stream_invoke):
                    break
                if self.failed_stream:
                    source.iterators = before  # retry the same batch, as Lambda does
                    self.failed_stream = False

    failed_stream: bool = False

    def _stream_invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        result = self.harness.invoke(function, event)
        if result.get("batchItemFailures"):
            self.failed_stream = True
            return {"batchItemFailures": []}  # stop pump_stream's own retries; we rewind
        return result


def deliver_concurrently(
    harness: Harness,
    faults: Faults,
    rng: random.Random,
    messages: list[dict[str, Any]],
    threads: int,
) -> None:
    """Several RenderPost containers at once, each with its own batches, retries and clients,
    while BuildIndexes consumes the stream alongside them."""
    plan = messages + [m for m in messages if rng.random() < 0.3]
    rng.shuffle(plan)
    shares = [plan[i::threads] for i in range(threads)]
    seeds = [rng.randrange(2**32) for _ in range(threads)]
    delivery = Delivery(harness, rng)
    writers_done = threading.Event()
    errors: list[BaseException] = []

    def container(index: int) -> None:
        try:
            local_rng = random.Random(seeds[index])
            handler = harness.stack.new_container("RenderPostFunction", f"_{index}")
            pipeline = pipeline_from_settings(harness.settings, harness.session)
            publish = pipeline.publish
            faults.attach([publish.source.client, publish.site.client, publish.repository.client])
            queue = deque((message, 0) for message in shares[index])
            while queue:
                batch = [queue.popleft() for _ in range(min(len(queue), local_rng.randint(1, 3)))]
                try:
                    result = handler(
                        sqs_event([m for m, _ in batch]),
                        LambdaContext("RenderPostFunction"),
                        pipeline=pipeline,
                    )
                    failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
                except Exception:
                    failed = {m["MessageId"] for m, _ in batch}
                queue.extend((m, n + 1) for m, n in batch if m["MessageId"] in failed)
        except BaseException as error:  # surfaced by the main thread
            errors.append(error)

    def indexer() -> None:
        while not writers_done.is_set():
            delivery.drain_stream()
            writers_done.wait(0.01)

    workers = [threading.Thread(target=container, args=(i,)) for i in range(threads)]
    stream = threading.Thread(target=indexer)
    stream.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    writers_done.set()
    stream.join(120)
    assert not errors, errors
    delivery.drain_stream()
    delivery.run(harness.take_messages())  # what BuildIndexes sent back meanwhile


def site_files(harness: Harness) -> dict[str, bytes]:
    return harness.site()


# Each key's versions and delete markers in the order they were made (S3's listing gives the
# two kinds apart, LastModified has whole seconds): the test records what it does.
History = dict[str, list[str]]


def object_versions(harness: Harness, key: str, history: History) -> list[dict[str, Any]]:
    """The versions of one key that still exist, newest first; a delete marker has Body None."""
    s3, bucket = harness.s3, harness.settings.source_bucket
    listed: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        for entry in page.get("Versions", []):
            if entry["Key"] == key:
                got = s3.get_object(Bucket=bucket, Key=key, VersionId=entry["VersionId"])
                listed[entry["VersionId"]] = {**entry, "Body": got["Body"].read()}
        for entry in page.get("DeleteMarkers", []):
            if entry["Key"] == key:
                listed[entry["VersionId"]] = {**entry, "Body": None}
    assert set(listed) <= set(history.get(key, [])), f"{key}: versions the test did not make"
    return [listed[v] for v in reversed(history.get(key, [])) if v in listed]


def _valid(key: str, body: bytes) -> bool:
    try:
        parse_post(key, body, RENDERER.config, RENDERER.post_layouts)
    except InvalidPost:
        return False
    return True


def newest_valid(
    harness: Harness, key: str, history: History
) -> tuple[str, bytes, datetime] | None:
    """The newest valid version of a key uploaded since its last delete: what the pipeline
    shows of it (its version id, bytes and LastModified)."""
    for version in object_versions(harness, key, history):
        if version["Body"] is None:
            return None
        if _valid(key, version["Body"]):
            return str(version["VersionId"]), version["Body"], version["LastModified"]
    return None


def source_objects(
    harness: Harness, history: History
) -> tuple[list[tuple[str, bytes]], dict[str, datetime]]:
    """The final bucket as a full build takes it: each file's newest valid version (a broken
    re-upload leaves the one before it live), and, of a file name in several Unicode spellings,
    the spelling whose valid version was uploaded last (within one second, NFC)."""
    s3, bucket = harness.s3, harness.settings.source_bucket
    keys = {
        item["Key"]
        for page in s3.get_paginator("list_object_versions").paginate(
            Bucket=bucket, Prefix="posts/"
        )
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
    }
    chosen: dict[str, tuple[str, bytes, datetime]] = {}
    for key in sorted(keys):
        found = newest_valid(harness, key, history)
        if found is None:
            continue
        identity = unicodedata.normalize("NFC", key)
        rank = (found[2], key == identity)
        held = chosen.get(identity)
        if held is None or rank > (held[2], held[0] == identity):
            chosen[identity] = (key, found[1], found[2])
    sources = [(key, body) for key, body, _ in chosen.values()]
    return sources, {key: modified for key, _, modified in chosen.values()}


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    return [
        f"{key}: "
        + ("missing from the site" if key not in actual else "")
        + ("not in the full build" if key not in expected else "")
        + ("differs" if key in actual and key in expected else "")
        for key in sorted(expected.keys() | actual.keys())
        if expected.get(key) != actual.get(key)
    ]


def apply(
    harness: Harness,
    ops: list[tuple[str, int, dict[str, Any] | None]],
    clock: S3Clock,
    history: History,
) -> bool:
    """Do the operations on the source bucket, as editors, `aws s3` and the bucket's lifecycle
    rule would, recording each key's versions in `history`; whether the version a post showed
    (its newest valid one) expired."""
    s3, bucket = harness.s3, harness.settings.source_bucket
    expired_live = False

    def made(index: int, response: dict[str, Any]) -> None:
        if "VersionId" in response:  # moto makes no delete marker for a key it does not hold
            history.setdefault(f"posts/{NAMES[index]}", []).append(str(response["VersionId"]))

    def upload(index: int, body: str | bytes) -> None:
        data = body.encode() if isinstance(body, str) else body
        made(index, s3.put_object(Bucket=bucket, Key=f"posts/{NAMES[index]}", Body=data))

    def delete(index: int) -> None:
        made(index, s3.delete_object(Bucket=bucket, Key=f"posts/{NAMES[index]}"))

    def current(index: int) -> tuple[str, bytes] | None:
        key = f"posts/{NAMES[index]}"
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError:
            return None
        return str(head["VersionId"]), s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    for action, index, argument in ops:
        key = f"posts/{NAMES[index]}"
        if action == "put":
            assert argument is not None
            upload(index, post_text(NAMES[index], argument))
        elif action == "break":  # an upload the pipeline rejects
            assert argument is not None
            event("an invalid upload")
            upload(index, argument["text"])
        elif action == "later":  # the next uploads have a later LastModified (whole seconds)
            clock.advance(1)
        elif action == "expire":  # NoncurrentVersionExpiration: the oldest noncurrent go first
            assert argument is not None
            before = newest_valid(harness, key, history)
            versions = object_versions(harness, key, history)
            noncurrent = [v for v in versions if not v["IsLatest"] and v["Body"] is not None]
            for version in noncurrent[::-1][: argument["count"]]:
                s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
            if before is not None and newest_valid(harness, key, history) != before:
                event("the live version of a post expired")
                expired_live = True
        elif action == "delete":
            delete(index)
        elif action == "rename":  # `aws s3 mv`: CopyObject and DeleteObject
            assert argument is not None
            found, target = current(index), argument["to"]
            if found is None or target == index:
                continue
            source = {"Bucket": bucket, "Key": key, "VersionId": found[0]}
            copy = {"Bucket": bucket, "Key": f"posts/{NAMES[target]}", "CopySource": source}
            event("a rename by copy and delete")
            if argument["copy_first"]:
                made(target, s3.copy_object(**copy))
                delete(index)
            else:
                delete(index)
                made(target, s3.copy_object(**copy))
        else:  # swap two files' contents (each takes the other's URL, date and text)
            assert argument is not None
            other = argument["with"]
            mine, theirs = current(index), current(other)
            if mine is None or theirs is None or other == index:
                continue
            event("a swap of two files")
            upload(index, theirs[1])
            upload(other, mine[1])
    return expired_live


def run_scenario(
    ops: list[tuple[str, int, dict[str, Any] | None]],
    seed: int,
    fault_rate: float,
    out: Path,
    threads: int = 0,
) -> None:
    rng = random.Random(seed)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "CRITICAL"  # injected faults log every failed try
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        stack = LocalStack(ROOT, session).create()
        pipeline = pipeline_from_settings(stack.settings(), session)
        # BuildIndexes' own environment: it sends the claimants of contested URLs back
        indexes = Settings.from_environ(stack.function_environment("BuildIndexesFunction"))
        pipeline.build_indexes = pipeline_from_settings(indexes, session).build_indexes
        harness = Harness(stack, pipeline, session)
        faults = Faults(rng, fault_rate)
        publish, build = harness.pipeline.publish, harness.pipeline.build_indexes
        assert build.requeue is not None
        faults.attach(
            [
                publish.source.client,
                publish.site.client,
                publish.repository.client,
                build.site.client,
                build.repository.client,
                build.requeue.client,  # type: ignore[attr-defined]
            ]
        )
        resent: list[int] = []
        send = build.requeue.send

        def counted(changes: list[Any]) -> None:
            resent.append(len(changes))
            send(changes)

        build.requeue.send = counted  # type: ignore[method-assign]
        history: History = {}
        with pytest.MonkeyPatch.context() as patch:
            expired_live = apply(harness, ops, S3Clock().install(patch), history)
        if threads:
            deliver_concurrently(harness, faults, rng, harness.take_messages(), threads)
        else:
            Delivery(harness, rng).run(harness.take_messages())
        if expired_live:  # nothing tells the pipeline: the daily reconcile finds it
            harness.invoke("RebuildFunction", {"mode": "reconcile"})
            Delivery(harness, rng).run(harness.take_messages())
        actual = site_files(harness)
        sources, modified = source_objects(harness, history)
        report = build_site(sources, ROOT / "templates", out, jobs=1, modified=modified)
        assert not report.rejected
        if report.waiting:
            event("a post waits for a URL at the end")
        if resent:
            event("claimants were sent back to RenderPost")
        expected = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()
        }
        problems = differences(expected, actual)
        assert not problems, "site differs from the full build:\n" + "\n".join(problems)


@settings(
    max_examples=int(os.environ.get("PRESSROOM_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations, seed=st.integers(0, 2**16), fault_rate=st.sampled_from([0.0, 0.03, 0.1]))
@example(  # a re-upload moving a post to a new month and category, then its delete arriving first
    ops=[
        ("put", 0, variant(0, 0, 0, 0, permalink=False)),
        ("put", 0, variant(1, 1, 2, 2, permalink=True)),
        ("delete", 0, None),
    ],
    seed=7,
    fault_rate=0.1,
)
@example(  # found by Hypothesis: a retried move had forgotten the URL the post left
    ops=[
        ("put", 0, variant(0, 0, 0, 0, permalink=False)),
        ("put", 3, variant(0, 0, 0, 0, permalink=True)),
        ("put", 3, variant(0, 0, 0, 0, permalink=False)),
        ("delete", 1, None),
        ("delete", 0, None),
        ("delete", 0, None),
        ("delete", 3, None),
        ("delete", 2, None),
    ],
    seed=17929,
    fault_rate=0.03,
)
@example(  # found by Hypothesis: a month page kept a category's old display name
    ops=[
        ("put", 0, post_variant("港口吞吐量创新高", JAN, "xiamenribao", "厦门日报新闻", True)),
        ("delete", 2, None),
        ("delete", 2, None),
        ("put", 0, post_variant("港口吞吐量创新高", JAN, "xiamenribao", "厦门日报新闻")),
        ("delete", 1, None),
        ("delete", 1, None),
        ("put", 1, post_variant("汇率中间价上调", JAN, "cailianshe")),
        ("put", 2, post_variant("地铁6号线开通", FEB, "CaiLianShe kuaixun")),
    ],
    seed=1927,
    fault_rate=0.03,
)
@example(  # a rename by copy then delete of a contested URL's owner, with a post waiting for it
    ops=[
        (
            "put",
            0,
            post_variant("港口吞吐量创新高", JAN, "xiamenribao") | {"permalink": "/special/p.html"},
        ),
        (
            "put",
            1,
            post_variant("地铁6号线开通", FEB, "cailianshe") | {"permalink": "/special/p.html"},
        ),
        ("rename", 0, {"to": 2, "copy_first": True}),
    ],
    seed=3,
    fault_rate=0.1,
)
@example(  # a rename by delete then copy (the URL is free for a moment)
    ops=[
        (
            "put",
            0,
            post_variant("港口吞吐量创新高", JAN, "xiamenribao") | {"permalink": "/special/p.html"},
        ),
        ("rename", 0, {"to": 3, "copy_first": False}),
    ],
    seed=11,
    fault_rate=0.03,
)
@example(  # two posts swapping their URLs
    ops=[
        (
            "put",
            0,
            post_variant("港口吞吐量创新高", JAN, "xiamenribao") | {"permalink": "/special/p.html"},
        ),
        (
            "put",
            1,
            post_variant("地铁6号线开通", FEB, "cailianshe") | {"permalink": "/special/q.html"},
        ),
        ("swap", 0, {"with": 1}),
    ],
    seed=5,
    fault_rate=0.1,
)
@example(  # a spelling's valid post, the other spelling's broken upload, then the first deleted
    ops=[
        ("put", 4, post_variant("港口吞吐量创新高", JAN, "xiamenribao")),
        ("later", 0, None),
        ("break", 5, {"text": BROKEN[0]}),
        ("later", 0, None),
        ("delete", 4, None),
    ],
    seed=2,
    fault_rate=0.0,
)
@example(  # the newest valid version is in the spelling uploaded first
    ops=[
        ("put", 5, post_variant("地铁6号线开通", FEB, '"C++"')),
        ("later", 0, None),
        ("put", 4, post_variant("港口吞吐量创新高", JAN, '"C#"')),
        ("later", 0, None),
        ("break", 5, {"text": BROKEN[1]}),
        ("delete", 4, None),
    ],
    seed=4,
    fault_rate=0.03,
)
@example(  # a broken re-upload of a live post, then its live version expires
    ops=[
        ("put", 0, post_variant("港口吞吐量创新高", JAN, '"R&D"')),
        ("put", 1, post_variant("地铁6号线开通", FEB, "R-D")),
        ("break", 0, {"text": BROKEN[2]}),
        ("expire", 0, {"count": 1}),
    ],
    seed=6,
    fault_rate=0.1,
)
@example(  # a broken re-upload, then a rename of the broken file onto another
    ops=[
        ("put", 0, post_variant("港口吞吐量创新高", JAN, "C")),
        ("put", 1, post_variant("地铁6号线开通", FEB, '"C++"')),
        ("break", 0, {"text": BROKEN[0]}),
        ("rename", 0, {"to": 1, "copy_first": True}),
    ],
    seed=8,
    fault_rate=0.03,
)
@example(  # found by Hypothesis: a spelling's valid post, then the other spelling broken twice
    ops=[
        ("put", 5, post_variant("港口吞吐量创新高", JAN, "xiamenribao", "厦门日报新闻")),
        ("put", 2, post_variant("汇率中间价上调", "", "cailianshe") | {"date": None}),
        (
            "put",
            3,
            post_variant("地铁6号线开通", JAN, "[zhengquanshibao, shichang]", "财联社新闻")
            | {"permalink": "/special/q.html"},
        ),
        ("break", 4, {"text": BROKEN[1]}),
        ("rename", 1, {"copy_first": True, "to": 2}),
        ("put", 0, post_variant("地铁6号线开通", JAN, "xiamenribao", "财联社新闻")),
        ("break", 4, {"text": BROKEN[1]}),
    ],
    seed=0,
    fault_rate=0.1,
)
@example(  # found by Hypothesis: a delete, then a broken upload, their events in any order
    ops=[
        ("put", 2, post_variant("港口吞吐量创新高", JAN, "xiamenribao", "厦门日报新闻")),
        ("delete", 2, None),
        ("break", 2, {"text": BROKEN[0]}),
    ],
    seed=79,
    fault_rate=0.0,
)
def test_the_site_converges_to_a_full_build(
    aws_environment: None,
    tmp_path_factory: pytest.TempPathFactory,
    ops: list[tuple[str, int, dict[str, Any] | None]],
    seed: int,
    fault_rate: float,
) -> None:
    run_scenario(ops, seed, fault_rate, tmp_path_factory.mktemp("build"))


@pytest.mark.parametrize("seed", range(6))
def test_concurrent_containers_converge_to_a_full_build(
    aws_environment: None, tmp_path: Path, seed: int
) -> None:
    # Given a random sequence of operations on a few files (seeded, so a failure reproduces)
    rng = random.Random(seed)
    ops: list[tuple[str, int, dict[str, Any] | None]] = []
    for _ in range(rng.randint(4, 10)):
        index = rng.randrange(len(NAMES))
        if rng.random() < 0.25:
            ops.append(("delete", index, None))
        else:
            ops.append(
                (
                    "put",
                    index,
                    variant(
                        rng.randrange(len(TITLES)),
                        rng.randrange(len(DATES)),
                        rng.randrange(len(CATEGORIES)),
                        rng.randrange(len(TAGS)),
                        rng.random() < 0.3,
                        rng.random() < 0.8,
                    ),
                )
            )
    # When four RenderPost containers deliver the notifications at once, with faults injected
    # Then the site equals the full build of the final source bucket
    run_scenario(ops, seed, 0.05, tmp_path, threads=4)
