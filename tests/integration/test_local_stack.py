"""The local stack's event pump behaves like Lambda's event source mappings."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest

from pressroom.errors import StaleState
from pressroom.model import Commit
from pressroom_dev.stack import EventPump
from support.harness import Harness
from support.posts import PostFactory


def wait_until(condition: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_pump_publishes_in_real_time_and_then_reports_idle(
    local: Harness, post_text: PostFactory
) -> None:
    for source in local.stack.stream_sources:
        source.batch_size = 1000
    pump = EventPump(local.stack, local.invoke)
    pump.windows = dict.fromkeys(pump.windows, 0.2)
    pump.start()
    try:
        # Given an upload, the pump is busy until both functions have run
        local.upload("2026-03-20-port.md", post_text())
        assert not pump.status()["idle"]
        assert wait_until(lambda: pump.status()["idle"])
        # Then the post and its index pages are live, and both functions ran
        site = local.site()
        assert "xiamenribao/2026/03/20/port.html" in site and "index.html" in site
        assert set(pump.status()["invocations"]) == {"RenderPostFunction", "BuildIndexesFunction"}
    finally:
        pump.stop()


def test_a_stream_batch_that_keeps_failing_goes_to_the_on_failure_destination(
    local: Harness, post_text: PostFactory
) -> None:
    # Given BuildIndexes failing on every attempt
    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        if function == "BuildIndexesFunction":
            raise RuntimeError("index build failed")
        return local.invoke(function, event)

    for source in local.stack.stream_sources:
        source.max_retries = 1
    pump = EventPump(local.stack, invoke)
    pump.windows = dict.fromkeys(pump.windows, 0.0)
    pump.start()
    try:
        local.upload("2026-03-20-port.md", post_text())
        # Then the batch is given up after its retries and reported, not silently dropped
        assert wait_until(lambda: pump.status()["queue"]["failed_index_batches"] >= 1)
        assert pump.status()["failed_invocations"]["BuildIndexesFunction"] >= 2
    finally:
        pump.stop()
    (source,) = local.stack.stream_sources
    message = local.stack.sqs.receive_message(QueueUrl=source.failure_queue_url)["Messages"][0]
    info = json.loads(message["Body"])
    assert info["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert info["DDBStreamBatchInfo"]["streamArn"] == source.stream_arn


def test_index_pages_keep_following_the_table_after_a_cancelled_transaction(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a post, and a commit of it that is cancelled (conditioned on an item since moved on)
    local.upload("2026-03-20-port.md", post_text())
    local.drain()
    record = local.state("2026-03-20-port.md").record
    assert record is not None
    stale = replace(record, revision="an item since replaced")
    with pytest.raises(StaleState):
        local.repository.commit(Commit(replace(record, status="unpublished"), stale, False))
    # When another post is published afterwards
    local.upload("2026-03-22-bank.md", post_text(title="银行", categories="cailianshe"))
    local.drain()
    # Then the stream still reaches BuildIndexes: the new category page exists
    assert "category/cailianshe.html" in local.site()
