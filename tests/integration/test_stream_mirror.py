"""The local status report's view of the posts table, kept from the table's stream."""

from __future__ import annotations

from typing import Any

from pressroom.adapters.dynamodb import StreamMirror
from support.harness import Harness
from support.posts import PostFactory

BROKEN = "---\ntitle: \n---\n<p>正文</p>\n"


def stream_records(local: Harness) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every record of the posts table's stream, shard by shard, from its start."""
    streams, (source, *_) = local.stack.streams, local.stack.stream_sources
    shards = streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"]["Shards"]
    read = []
    for shard in shards:
        iterator = streams.get_shard_iterator(
            StreamArn=source.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=100)
            records += response["Records"]
            if not response["Records"]:
                break
            iterator = response.get("NextShardIterator")
        read.append((f"{source.stream_arn}/{shard['ShardId']}", records))
    return read


def test_the_mirror_of_the_stream_equals_the_table(local: Harness, post_text: PostFactory) -> None:
    # Given published, corrected, rejected, deleted and waiting posts
    local.upload("2026-03-20-a.md", post_text(title="港口"))
    local.upload("2026-03-20-b.md", post_text(title="银行", extra="permalink: /p.html"))
    local.upload(
        "2026-03-21-c.md", post_text(date="2026-03-21 09:00:00", extra="permalink: /p.html")
    )
    local.upload("2026-03-22-d.md", BROKEN)
    local.upload("2026-03-23-e.md", post_text(title="删除"))
    local.drain()
    local.upload("2026-03-20-a.md", post_text(title="更正"))
    local.delete("2026-03-23-e.md")
    local.drain()
    # When a mirror reads the table's stream, every record twice (two readers, retries)
    mirror = StreamMirror()
    for shard, records in stream_records(local):
        mirror.apply(shard, records[: len(records) // 2])
        mirror.apply(shard, records)
        mirror.apply(shard, records[len(records) // 2 :])
    # Then it holds what a scan of the table holds: records, rejections and URL owners
    table = local.repository
    assert sorted(mirror.records(), key=lambda r: r.source_key) == sorted(
        table.records(), key=lambda r: r.source_key
    )
    assert sorted(mirror.rejections(), key=lambda r: r.source_key) == sorted(
        table.rejections(), key=lambda r: r.source_key
    )
    statuses = {record.source_key: record.status for record in mirror.records()}
    assert statuses["posts/2026-03-21-c.md"] == "waiting"
    assert statuses["posts/2026-03-23-e.md"] == "deleted"
    assert [r.source_key for r in mirror.rejections()] == ["posts/2026-03-22-d.md"]
    assert mirror.url_owner("/p.html") == table.url_owner("/p.html") == "posts/2026-03-20-b.md"
    assert mirror.url_owner("/nowhere.html") is None
    # And its counts, kept as records are applied, agree with its records
    assert mirror.live_count() == sum(1 for record in table.records() if record.live) == 2
    assert [r.source_key for r in mirror.waiting()] == ["posts/2026-03-21-c.md"]
