"""One upload into a category-month of a few posts and into a big one, on the local stack
(moto): the AWS requests the functions make, the DynamoDB bytes they read, the S3 objects and
bytes they write, and BuildIndexes' time. tests/integration/test_cost_per_upload.py asserts the
same figures with the same seeding and counting.

Seeded posts go straight into the table as the pipeline records them (membership items and
counters), with no stream record, so only the measured upload's events are delivered."""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from pressroom.adapters.dynamodb import DynamoPostRepository, counter_updates, membership_items
from pressroom.model import Listed, Term
from pressroom.urls import slugify
from pressroom_dev.bench.process import profile_text
from pressroom_dev.cli import LOCAL_ENVIRONMENT as CLI_ENVIRONMENT

CATEGORY = "xiamenribao"
TAG = "厦门日报新闻"
RENDER = "RenderPostFunction"
BUILD_INDEXES = "BuildIndexesFunction"
# The days seeded posts use: never the 15th, the measured uploads' day.
SEED_DAYS = [day for day in range(1, 29) if day != 15]
UPLOAD_DAY = "2026-01-15"
LOCAL_ENVIRONMENT = CLI_ENVIRONMENT | {"POWERTOOLS_LOG_LEVEL": "ERROR"}


def post_text(title: str, date: str) -> str:
    """A short post of the seeded category and tag."""
    return "\n".join(
        [
            "---",
            "layout: post",
            f'title: "{title}"',
            f"date: {date}",
            f"categories: {CATEGORY}",
            f"tags: {TAG}",
            "---",
            "<p>记者从港口管理部门获悉，吞吐量同比增长。</p>",
            "",
        ]
    )


def seeded_post(number: int) -> Listed:
    """Seeded post `number` of January 2026, in the category and the tag: days 1 to 28 except
    the 15th in turn, at 08:00."""
    day = SEED_DAYS[number % len(SEED_DAYS)]
    ymd = f"2026-01-{day:02d}"
    return Listed(
        source_key=f"posts/{ymd}-seed-{number}.md",
        title=f"旧闻{number}",
        url=f"/{CATEGORY}/2026/01/{day:02d}/seed-{number}.html",
        display_date=f"{ymd} 08:00:00 +0800",
        date_utc=f"{ymd}T00:00:{number % 60:02d}Z",
        excerpt="记者从港口管理部门获悉，吞吐量同比增长。",
        month="2026-01",
        categories=(Term(CATEGORY, CATEGORY),),
        tags=(Term(slugify(TAG), TAG),),
        hour=f"{ymd}T08",
    )


@contextlib.contextmanager
def no_stream(table_name: str, account: str, region: str) -> Iterator[None]:
    """Writes that leave no stream record (the seeded posts are not a change to deliver)."""
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[account][region].get_table(table_name)
    shard, table.stream_shard = table.stream_shard, None
    try:
        yield
    finally:
        table.stream_shard = shard


def seed_month(client: Any, table: str, first: int, last: int, account: str, region: str) -> None:
    """Seeded posts `first`..`last - 1` in the table, as the pipeline records them."""
    items: dict[tuple[str, str], dict[str, Any]] = {}
    counters: dict[tuple[str, str, str], dict[str, int]] = {}
    for number in range(first, last):
        listed = seeded_post(number)
        items |= membership_items(listed)
        for key, (attributes, _) in counter_updates(None, listed).items():
            row = counters.setdefault(key, {})
            for attribute, delta in attributes.items():
                row[attribute] = row.get(attribute, 0) + delta
    repository = DynamoPostRepository(table, client)
    with no_stream(table, account, region):
        requests = [{"PutRequest": {"Item": repository._item(item)}} for item in items.values()]
        for start in range(0, len(requests), 25):
            pending: dict[str, Any] = {table: requests[start : start + 25]}
            while pending:
                pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems", {})
        for (pk, sk, name), attributes in counters.items():
            names = {f"#a{i}": attribute for i, attribute in enumerate(attributes)}
            operands = {f":d{i}": {"N": str(delta)} for i, delta in enumerate(attributes.values())}
            adds = ", ".join(f"#a{i} :d{i}" for i in range(len(attributes)))
            client.update_item(
                TableName=table,
                Key={"PK": {"S": pk}, "SK": {"S": sk}},
                UpdateExpression=f"ADD {adds} SET #name = if_not_exists(#name, :name)",
                ExpressionAttributeNames=names | {"#name": "name"},
                ExpressionAttributeValues=operands | {":name": {"S": name}},
            )


def function_clients(publish: Any, build_indexes: Any) -> list[Any]:
    """The boto3 clients of RenderPost's publish and BuildIndexes' build, each once."""
    clients = [
        publish.source.client,
        publish.site.client,
        publish.repository.client,
        build_indexes.site.client,
        build_indexes.repository.client,
    ]
    return list({id(client): client for client in clients}.values())


@contextlib.contextmanager
def counted(clients: Iterable[Any]) -> Iterator[Counter[str]]:
    """Requests by operation ("requests" in all, `<op>#STALE` for the stale-page record),
    DynamoDB response bytes and S3 bytes written by these clients inside the block."""
    cost: Counter[str] = Counter()

    def count(event_name: str, **_: object) -> None:
        cost[event_name.split(".", 1)[1]] += 1
        cost["requests"] += 1

    def count_stale(event_name: str, params: dict[str, Any], **_: object) -> None:
        item = params.get("Key") or params.get("Item")
        if isinstance(item, dict) and item.get("PK") == {"S": "STALE"}:
            cost[event_name.split(".", 1)[1] + "#STALE"] += 1

    def read(http_response: Any = None, **_: object) -> None:
        if http_response is not None:
            cost["dynamodb bytes read"] += len(http_response.content or b"")

    def written(params: dict[str, Any], **_: object) -> None:
        cost["s3 bytes written"] += len(params.get("Body") or b"")

    handlers: list[tuple[str, Callable[..., None]]] = [
        ("before-call.*.*", count),
        ("before-parameter-build.dynamodb.*", count_stale),
        ("after-call.dynamodb.*", read),
        ("before-parameter-build.s3.PutObject", written),
    ]
    clients = list(clients)
    for client in clients:
        for event, handler in handlers:
            client.meta.events.register(event, handler)
    try:
        yield cost
    finally:
        for client in clients:
            for event, handler in handlers:
                client.meta.events.unregister(event, handler)


def cost_of_one_upload(
    stack: Any, name: str, profile: cProfile.Profile | None = None
) -> Counter[str]:
    """What one post joining the category and the tag on the 15th costs while its events are
    delivered (see `counted`), with BuildIndexes' microseconds."""
    seconds = 0.0

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        nonlocal seconds
        if function != BUILD_INDEXES:
            return stack.invoke(function, event)  # type: ignore[no-any-return]
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        try:
            return stack.invoke(function, event)  # type: ignore[no-any-return]
        finally:
            if profile is not None:
                profile.disable()
            seconds += time.perf_counter() - started

    publish = stack.pipeline_for(RENDER).publish
    build_indexes = stack.pipeline_for(BUILD_INDEXES).build_indexes
    body = post_text(name, f"{UPLOAD_DAY} 09:00:00 +0800").encode()
    with counted(function_clients(publish, build_indexes)) as cost:
        bucket = stack.settings().source_bucket
        stack.s3.put_object(Bucket=bucket, Key=f"posts/{UPLOAD_DAY}-{name}.md", Body=body)
        stack.drain(invoke)
    cost["build indexes microseconds"] = round(seconds * 1e6)
    return cost


@contextlib.contextmanager
def local_environment() -> Iterator[None]:
    """The environment of handlers on moto, for the duration of the measure."""
    saved = {name: os.environ.get(name) for name in LOCAL_ENVIRONMENT}
    os.environ.update(LOCAL_ENVIRONMENT)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def measure_upload(project: Path, small: int, large: int, top: int = 12) -> dict[str, Any]:
    """The cost of one upload into the category-month holding `small` posts, then `large`
    posts (after warm-up uploads, as tests/integration/test_cost_per_upload.py makes); and a
    cProfile of
    BuildIndexes for one more upload at `large`."""
    import boto3
    from moto import mock_aws

    from pressroom_dev.stack import LocalStack

    region = LOCAL_ENVIRONMENT["AWS_DEFAULT_REGION"]
    output = io.StringIO()
    with local_environment(), mock_aws(), contextlib.redirect_stdout(output):
        session = boto3.session.Session(region_name=region)
        account = session.client("sts").get_caller_identity()["Account"]
        stack = LocalStack(project, session).create()
        table = stack.settings().posts_table
        seed_month(stack.dynamodb, table, 0, small, account, region)
        # Two uploads first: the site's constant pages, and the day's second post (the
        # sitemap index is read again while a period has one post).
        cost_of_one_upload(stack, "warm-up")
        cost_of_one_upload(stack, "warm-up-2")
        measured_small = cost_of_one_upload(stack, "first")
        seed_month(stack.dynamodb, table, small, large, account, region)
        # Seeded posts have no stream records: one upload brings the feeds up to date.
        cost_of_one_upload(stack, "warm-up-again")
        measured_large = cost_of_one_upload(stack, "second")
        profile = cProfile.Profile()
        cost_of_one_upload(stack, "profiled", profile)
    return {
        "small_posts": small,
        "large_posts": large,
        "small": measured_small,
        "large": measured_large,
        "profile": profile_text(profile, top),
    }
