"""One delivery engine: `drain` and the threads step the same event source mappings, and differ
only in time (windows, back-off, visibility timeout)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from pressroom_dev import delivery
from pressroom_dev.stack import EventPump
from support.harness import Harness
from support.posts import PostFactory

Invoke = Any


def wait_until(condition: Any, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def failing_indexes(local: Harness, calls: list[dict[str, Any]]) -> Invoke:
    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function == "BuildIndexesFunction":
            calls.append(event)
            raise RuntimeError("index build failed")
        return local.invoke(function, event)

    return invoke


def take_all(local: Harness, url: str) -> list[dict[str, Any]]:
    taken = []
    while messages := local.stack.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            local.stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken.append(json.loads(message["Body"]))
    return taken


def without_identity(record: dict[str, Any]) -> dict[str, Any]:
    """An on-failure record less what differs between any two sends (request id, send time)."""
    context = {k: v for k, v in record["requestContext"].items() if k != "requestId"}
    return {k: v for k, v in record.items() if k != "timestamp"} | {"requestContext": context}


def stream_record_count(local: Harness) -> int:
    (source,) = local.stack.stream_sources
    streams = local.stack.streams
    total = 0
    for shard in streams.describe_stream(StreamArn=source.stream_arn)["StreamDescription"][
        "Shards"
    ]:
        iterator = streams.get_shard_iterator(
            StreamArn=source.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        total += len(streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])
    return total


def test_an_exhausted_stream_batch_reaches_the_on_failure_queue_the_same_way_in_both_modes(
    local: Harness, post_text: PostFactory
) -> None:
    """Given BuildIndexes failing on every attempt and a post uploaded,
    when the stream is delivered by a drain, and then the same stream records again by the
    threaded engine,
    then each mode gives the records up after the mapping's retries and sends the same
    on-failure records (Lambda's shape, one per exhausted batch), covering every record."""
    (source,) = local.stack.stream_sources
    source.max_retries = 2  # the template's 10 would make the threads back off for 13 s
    local.upload("2026-03-20-port.md", post_text())
    drained_calls: list[dict[str, Any]] = []
    local.stack.drain(failing_indexes(local, drained_calls))
    drained = take_all(local, source.failure_queue_url)

    source.iterators.clear()  # read the stream again from its start
    threaded_calls: list[dict[str, Any]] = []
    pump = EventPump(local.stack, failing_indexes(local, threaded_calls), poll_seconds=0.02)
    pump.windows = dict.fromkeys(pump.windows, 0.0)
    pump.start()
    try:
        assert wait_until(
            lambda: (
                pump.status()["idle"]
                and pump.status()["queue"]["failed_index_batches"] >= len(drained)
            )
        )
    finally:
        pump.stop()
    threaded = take_all(local, source.failure_queue_url)

    assert drained and [without_identity(r) for r in threaded] == [
        without_identity(r) for r in drained
    ]
    assert len(threaded_calls) == len(drained_calls)
    for record in drained:
        assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == source.max_retries + 1
        assert record["responseContext"]["functionError"] == "Unhandled"
        assert set(record["DDBStreamBatchInfo"]) == {
            "shardId",
            "startSequenceNumber",
            "endSequenceNumber",
            "approximateArrivalOfFirstRecord",
            "approximateArrivalOfLastRecord",
            "batchSize",
            "streamArn",
        }
        assert record["DDBStreamBatchInfo"]["streamArn"] == source.stream_arn
    assert sum(r["DDBStreamBatchInfo"]["batchSize"] for r in drained) == stream_record_count(local)


def test_a_message_that_always_fails_ends_in_the_dead_letter_queue_after_max_receive_count(
    local: Harness, post_text: PostFactory
) -> None:
    """Given RenderPost reporting its message failed on every receive,
    when the pipeline is drained,
    then the message was received maxReceiveCount times, then SQS moved it to the DLQ, and
    nothing is left on the ingest queue."""
    receives: list[str] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function == "RenderPostFunction":
            receives.extend(record["messageId"] for record in event["Records"])
            return {
                "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]
            }
        return local.invoke(function, event)

    local.upload("2026-03-20-port.md", post_text())
    report = local.stack.drain(invoke)

    (queue,) = [q for q in local.stack.queue_sources if q.function == "RenderPostFunction"]
    (dlq,) = local.stack.dead_letter_queues(queue.queue_url)
    policy = json.loads(
        local.stack.sqs.get_queue_attributes(
            QueueUrl=queue.queue_url, AttributeNames=["RedrivePolicy"]
        )["Attributes"]["RedrivePolicy"]
    )
    assert len(receives) == policy["maxReceiveCount"] == 5 and len(set(receives)) == 1
    assert report.invocations["RenderPostFunction"] == 5 and report.failures == 5
    dead = local.stack.sqs.receive_message(QueueUrl=local.stack.queue_urls[dlq])["Messages"]
    assert len(dead) == 1 and dead[0]["MessageId"] == receives[0]
    assert local.stack.sqs.receive_message(QueueUrl=queue.queue_url).get("Messages", []) == []


def test_only_the_failed_message_of_a_partial_batch_failure_is_retried(
    local: Harness, post_text: PostFactory
) -> None:
    """Given two uploads delivered in one batch, and RenderPost failing one of them once,
    when the pipeline is drained,
    then the retry carries only the failed message, and both posts are published."""
    batches: list[list[str]] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function != "RenderPostFunction":
            return local.invoke(function, event)
        batches.append([record["messageId"] for record in event["Records"]])
        if len(batches) > 1:
            return local.invoke(function, event)
        failed = next(r for r in event["Records"] if "bank" in r["body"])
        rest = [r for r in event["Records"] if r is not failed]
        result = local.invoke(function, {"Records": rest})
        return {
            "batchItemFailures": [
                *result["batchItemFailures"],
                {"itemIdentifier": failed["messageId"]},
            ]
        }

    local.upload("2026-03-20-port.md", post_text())
    local.upload("2026-03-21-bank.md", post_text(title="银行", date="2026-03-21 09:00:00 +0800"))
    local.stack.drain(invoke)

    assert len(batches) == 2 and len(batches[0]) == 2
    assert len(batches[1]) == 1 and batches[1][0] in batches[0]
    site = local.site()
    assert "xiamenribao/2026/03/20/port.html" in site
    assert "xiamenribao/2026/03/21/bank.html" in site


def test_a_stream_partial_batch_failure_is_retried_from_the_failed_record(
    local: Harness, post_text: PostFactory
) -> None:
    """Given BuildIndexes reporting the second record of its first batch failed,
    when the pipeline is drained,
    then the retry starts at that record (Lambda's checkpoint), and the index pages are built."""
    batches: list[list[str]] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function != "BuildIndexesFunction":
            return local.invoke(function, event)
        numbers = [record["dynamodb"]["SequenceNumber"] for record in event["Records"]]
        batches.append(numbers)
        result = local.invoke(function, event)
        if len(batches) == 1 and len(numbers) > 1:
            return {"batchItemFailures": [{"itemIdentifier": numbers[1]}]}
        return result

    local.upload("2026-03-20-port.md", post_text())
    local.stack.drain(invoke)

    assert len(batches[0]) > 1 and batches[1] == batches[0][1:]
    assert "index.html" in local.site()


def test_a_drain_that_never_settles_says_so_rather_than_returning_as_if_it_had(
    local: Harness, post_text: PostFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given BuildIndexes writing a table item on every invocation (a feedback loop: each write
    is a stream record that invokes it again),
    when the pipeline is drained,
    then the drain stops with an error that names the loop; and a drain told how many rounds
    to take reports that it did not settle."""
    monkeypatch.setattr(delivery, "UNSETTLED_ROUNDS", 200)
    table = local.stack.settings().posts_table
    writes = iter(range(1_000_000))

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function == "BuildIndexesFunction":
            item = {"PK": {"S": "LOOP"}, "SK": {"S": str(next(writes))}}
            local.stack.dynamodb.put_item(TableName=table, Item=item)
            return {"batchItemFailures": []}
        return local.invoke(function, event)

    local.upload("2026-03-20-port.md", post_text())
    with pytest.raises(delivery.Unsettled, match="keeps writing what invokes it"):
        local.stack.drain(invoke)
    assert not local.stack.drain(invoke, max_rounds=5).settled
    assert local.stack.drain(local.invoke, max_rounds=50).settled


def test_a_drain_delivers_a_batching_window_batch_at_once(
    local: Harness, post_text: PostFactory
) -> None:
    """Given batching windows of five minutes on both event sources,
    when an upload is drained,
    then the drain does not wait for the windows: the post and its index pages are live in
    moments, while the threaded engine holds the same batch for its window."""
    for source in [*local.stack.queue_sources, *local.stack.stream_sources]:
        source.window = 300.0
    local.upload("2026-03-20-port.md", post_text())
    started = time.monotonic()
    local.drain()
    assert time.monotonic() - started < 60
    site = local.site()
    assert "xiamenribao/2026/03/20/port.html" in site and "index.html" in site

    pump = EventPump(local.stack, local.invoke, poll_seconds=0.02)
    pump.windows["RenderPostFunction"] = 0.0
    pump.start()
    try:
        local.upload("2026-03-21-bank.md", post_text(title="银行", categories="cailianshe"))
        assert wait_until(lambda: "cailianshe/2026/03/20/bank.html" in local.site())
        time.sleep(0.5)
        assert pump.stream_lag() > 0 and "category/cailianshe.html" not in local.site()
    finally:
        pump.stop()


def test_the_status_counts_read_from_moto_equal_what_the_api_answers(
    local: Harness, post_text: PostFactory
) -> None:
    """Given messages waiting and in flight, unread stream records and a pending schedule,
    when the status report counts them from moto's state in this process,
    then each count is what SQS, DynamoDB Streams and EventBridge Scheduler answer."""
    pump = EventPump(local.stack, local.invoke)
    local.upload("2026-03-20-port.md", post_text())
    local.upload("2026-03-21-bank.md", post_text(title="银行"))
    local.upload("2026-12-31-later.md", post_text(title="以后", date="2099-01-01 09:00:00"))
    (ingest, *_) = local.stack.queue_sources
    local.stack.sqs.receive_message(QueueUrl=ingest.queue_url, MaxNumberOfMessages=1)
    assert pump.moto.queue(ingest.queue_url) == pump_api_queue(pump, ingest.queue_url) == (2, 1)
    local.drain()
    (stream,) = local.stack.stream_sources
    (shard,) = local.stack.streams.describe_stream(StreamArn=stream.stream_arn)[
        "StreamDescription"
    ]["Shards"]
    iterator = local.stack.streams.get_shard_iterator(
        StreamArn=stream.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    unread = len(local.stack.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"])
    assert unread > 0 and pump.moto.unread(iterator) == unread
    assert pump.moto.schedules(local.stack.schedule_groups()) == len(local.stack.schedules()) == 1
    assert pump.moto.queue("https://sqs.us-east-1.amazonaws.com/123456789012/none") is None
    assert pump.moto.unread("no-such-iterator") is None


def pump_api_queue(pump: EventPump, url: str) -> tuple[int, int]:
    attributes = pump.stack.sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )
