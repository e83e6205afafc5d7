"""Lambda's event source mappings as template.yaml configures them: one engine, two faces.

`EventSourceMappings` holds, per source, the one step Lambda's poller takes:

* SQS: receive up to BatchSize (holding them for MaximumBatchingWindowInSeconds while the batch
  is not full), invoke with Lambda's SQS event, delete what succeeded; what failed (the partial
  batch response's `batchItemFailures` when ReportBatchItemFailures is on, everything on an
  error) is left to come back — after the queue's visibility timeout, or after `retry_delay` —
  and SQS's redrive policy moves it to the dead-letter queue after maxReceiveCount receives.
* DynamoDB stream: per shard, read records into a batch of up to BatchSize, waiting for
  MaximumBatchingWindowInSeconds; invoke; on a partial batch response retry from the lowest
  failed sequence number, on an error split the batch in two (BisectBatchOnFunctionError);
  after MaximumRetryAttempts retries send Lambda's on-failure record to
  DestinationConfig.OnFailure and move on. A shard waits while its batch is being retried.
* EventBridge Scheduler: due one-time schedules put their input on their target queue.

`drain` runs those steps synchronously until nothing is left (`pressroom demo`, the tests);
`start`/`stop` run the same steps on threads in real time (`pressroom serve`). The two differ
only in time: a drain delivers a batch without waiting for its window and retries without
back-off (SQS failures come back after `retry_delay`, 0 by default), the threads wait for
windows, back off between stream retries and leave failed messages to the visibility timeout.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pressroom_dev.stack import LocalStack

Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]


# -- mappings ---------------------------------------------------------------------------------
@dataclass
class QueueSource:
    """An SQS → function event source mapping."""

    function: str
    queue_url: str
    queue_arn: str
    batch_size: int
    window: float = 0.0
    report_item_failures: bool = False
    function_arn: str = ""


@dataclass
class StreamSource:
    """A DynamoDB stream → function event source mapping."""

    function: str
    stream_arn: str
    batch_size: int
    max_retries: int
    failure_queue_url: str = ""
    iterators: dict[str, str] = field(default_factory=dict)
    window: float = 0.0
    report_item_failures: bool = False
    bisect: bool = False
    function_arn: str = ""


# A drain that has not settled after this many rounds is a feedback loop, not a backlog.
UNSETTLED_ROUNDS = 10_000


class Unsettled(RuntimeError):
    """The event sources never came to rest."""


@dataclass
class DrainReport:
    """What one drain of the event sources did."""

    invocations: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    settled: bool = True


def sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """A received SQS message as Lambda's SQS event carries it."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": _region(queue_arn),
    }


def lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams record as Lambda's DynamoDB event carries it."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", _region(stream_arn)),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def _region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else "us-east-1"


def _arrival(record: dict[str, Any]) -> str:
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, int | float):
        created = datetime.fromtimestamp(created, UTC)
    if not isinstance(created, datetime):
        return ""
    return created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sequence(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


# -- state ------------------------------------------------------------------------------------
@dataclass
class _Batch:
    """Stream records handed to the function together, and how often they have been tried."""

    records: list[dict[str, Any]]
    attempts: int = 0
    retry_at: float = 0.0
    function_error: bool = False


@dataclass
class _Shard:
    """One shard's poller: records read and waiting for the window, batches being retried."""

    buffer: list[dict[str, Any]] = field(default_factory=list)
    first_seen: float = 0.0
    batches: deque[_Batch] = field(default_factory=deque)


@dataclass
class _Held:
    """SQS messages received (in flight) and held for the batching window."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    first_seen: float = 0.0


def backoff(attempts: int) -> float:
    """Seconds before a stream batch's next try in real time (Lambda backs off exponentially)."""
    return float(min(0.1 * 2 ** max(attempts - 1, 0), 2.0))


# -- moto's state, read in this process -------------------------------------------------------
class MotoCounts:
    """The counts a status report needs, read from moto's backends in this process: no request,
    so they cost the same at any size and take nothing from the mappings. Each answers None
    when moto does not hold the resource here (then the API is asked)."""

    @staticmethod
    def _backend(module: str, name: str) -> Any:
        from pressroom_dev.stack import ACCOUNT, REGION

        backends = getattr(importlib.import_module(module), name)
        return backends[ACCOUNT][REGION]

    def _queue(self, url: str) -> Any:
        return self._backend("moto.sqs.models", "sqs_backends").queues[url.rsplit("/", 1)[-1]]

    def queue(self, url: str) -> tuple[int, int] | None:
        """Waiting (visible or delayed) and in-flight messages of the queue at `url`."""
        try:
            queue = self._queue(url)
            return (
                int(queue.approximate_number_of_messages)
                + int(queue.approximate_number_of_messages_delayed),
                int(queue.approximate_number_of_messages_not_visible),
            )
        except (ImportError, KeyError, AttributeError):
            return None

    def delayed(self, url: str) -> int:
        """Delayed messages of the queue at `url`."""
        try:
            return int(self._queue(url).approximate_number_of_messages_delayed)
        except (ImportError, KeyError, AttributeError):
            return 0

    def release_delayed(self, url: str) -> int:
        """Make the delayed messages of the queue at `url` visible now; how many there were."""
        try:
            messages = [m for m in self._queue(url)._messages if m.delayed]
        except (ImportError, KeyError, AttributeError):
            return 0
        for message in messages:
            message.delayed_until = 0
        return len(messages)

    def unread(self, iterator: str) -> int | None:
        """Records of the shard after the position of the stream iterator `iterator`."""
        try:
            backend = self._backend("moto.dynamodbstreams.models", "dynamodbstreams_backends")
            position = backend.shard_iterators[iterator]
            shard = position.stream_shard
            end = int(shard.starting_sequence_number) + len(shard.items)
            return max(end - int(position.sequence_number), 0)
        except (ImportError, KeyError, AttributeError, TypeError):
            return None

    def schedules(self, groups: list[str]) -> int | None:
        """One-time schedules pending in the schedule groups `groups`."""
        try:
            backend = self._backend("moto.scheduler.models", "scheduler_backends")
            return sum(len(backend.schedule_groups[group].schedules) for group in groups)
        except (ImportError, KeyError, AttributeError):
            return None


# -- the engine -------------------------------------------------------------------------------
class EventSourceMappings:
    """The template's event source mappings over a local stack, stepped by `drain` or by
    threads (`start`/`stop`); `status` and `stream_lag` describe what is pending."""

    def __init__(
        self,
        stack: LocalStack,
        invoke: Invoke | None = None,
        poll_seconds: float = 0.1,
        on_stream_records: Callable[[str, list[dict[str, Any]]], None] | None = None,
    ) -> None:
        self.stack = stack
        # Told (stream ARN/shard, records) of every stream record read, before it is handled.
        self.on_stream_records = on_stream_records
        self.invoke: Invoke = invoke or stack.invoke
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.busy = 0
        self.invocations: dict[str, int] = {}
        self.failures: dict[str, int] = {}
        self.threads: list[threading.Thread] = []
        sources: list[QueueSource | StreamSource] = [*stack.queue_sources, *stack.stream_sources]
        self.windows: dict[str, float] = {source.function: source.window for source in sources}
        self._held: dict[str, _Held] = {}
        self._shards: dict[tuple[str, str], _Shard] = {}
        self.moto = MotoCounts()

    # invocation -------------------------------------------------------------------------------
    def _call(self, invoke: Invoke, function: str, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.busy += 1
            self.invocations[function] = self.invocations.get(function, 0) + 1
        try:
            result = invoke(function, event)
        except Exception:
            with self.lock:
                self.failures[function] = self.failures.get(function, 0) + 1
            raise
        finally:
            with self.lock:
                self.busy -= 1
        if not isinstance(result, dict):
            result = {}
        if result.get("batchItemFailures"):
            with self.lock:
                self.failures[function] = self.failures.get(function, 0) + 1
        return result

    # SQS ----------------------------------------------------------------------------------------
    def step_queue(
        self,
        source: QueueSource,
        invoke: Invoke | None = None,
        now: float | None = None,
        waits: bool = False,
        retry_delay: int | None = 0,
    ) -> int:
        """One poll of an SQS mapping: receive, and deliver the batch once it is full or its
        window has passed (at once unless `waits`). Failed messages come back after
        `retry_delay` seconds, or after the visibility timeout when None. Returns the number of
        messages received or delivered."""
        invoke = invoke or self.invoke
        now = time.monotonic() if now is None else now
        with self.lock:
            held = self._held.setdefault(source.queue_url, _Held())
        received = 0
        while len(held.messages) < source.batch_size:
            messages = self.stack.sqs.receive_message(
                QueueUrl=source.queue_url,
                MaxNumberOfMessages=min(source.batch_size - len(held.messages), 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                break
            with self.lock:
                if not held.messages:
                    held.first_seen = now
                held.messages.extend(messages)
            received += len(messages)
        if not held.messages:
            return 0
        window = self.windows.get(source.function, 0.0)
        full = len(held.messages) >= source.batch_size
        if waits and not full and now - held.first_seen < window:
            return received
        with self.lock:
            batch, held.messages = held.messages, []
        event = {"Records": [sqs_record(message, source.queue_arn) for message in batch]}
        try:
            failed = self._failed_messages(source, self._call(invoke, source.function, event))
        except Exception:
            failed = {message["MessageId"] for message in batch}
        if failed - {message["MessageId"] for message in batch}:
            failed = {message["MessageId"] for message in batch}  # an unknown id: all failed
        for message in batch:
            if message["MessageId"] not in failed:
                self.stack.sqs.delete_message(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
            elif retry_delay is not None:
                self.stack.sqs.change_message_visibility(
                    QueueUrl=source.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=retry_delay,
                )
        return received + len(batch)

    @staticmethod
    def _failed_messages(source: QueueSource, result: dict[str, Any]) -> set[str]:
        """The message ids a partial batch response names (ignored unless the mapping has
        ReportBatchItemFailures, as Lambda ignores it)."""
        if not source.report_item_failures:
            return set()
        items = result.get("batchItemFailures") or []
        return {str(item.get("itemIdentifier") or "") for item in items}

    # DynamoDB stream ----------------------------------------------------------------------------
    def step_stream(
        self,
        source: StreamSource,
        invoke: Invoke | None = None,
        now: float | None = None,
        waits: bool = False,
    ) -> int:
        """One poll of each shard of a stream mapping: read records, form a batch when it is
        full or its window has passed (at once unless `waits`), and try the shard's oldest
        batch if it is due. Returns the number of records read or handed to the function."""
        invoke = invoke or self.invoke
        now = time.monotonic() if now is None else now
        work = 0
        for shard_id, iterator in self._iterators(source).items():
            with self.lock:
                shard = self._shards.setdefault((source.function, shard_id), _Shard())
            if not shard.batches:  # records of a shard are delivered in order
                work += self._read(source, shard_id, iterator, shard, now)
                window = self.windows.get(source.function, 0.0)
                full = len(shard.buffer) >= source.batch_size
                if shard.buffer and (full or not waits or now - shard.first_seen >= window):
                    with self.lock:
                        records = shard.buffer[: source.batch_size]
                        del shard.buffer[: source.batch_size]
                        shard.first_seen = now
                        shard.batches.append(_Batch(records))
            if shard.batches and (not waits or shard.batches[0].retry_at <= now):
                work += self._attempt(source, shard_id, shard, invoke, now, waits)
        return work

    def _read(
        self, source: StreamSource, shard_id: str, iterator: str, shard: _Shard, now: float
    ) -> int:
        """Read up to a batch into the buffer; the iterator moves under the same lock, so a
        record is always either unread or buffered (never invisible to `stream_lag`)."""
        limit = source.batch_size - len(shard.buffer)
        if limit <= 0:
            return 0
        response = self.stack.streams.get_records(ShardIterator=iterator, Limit=limit)
        records = response.get("Records", [])
        with self.lock:
            if records and not shard.buffer:
                shard.first_seen = now
            shard.buffer.extend(records)
            source.iterators[shard_id] = response.get("NextShardIterator") or iterator
        if records and self.on_stream_records is not None:
            self.on_stream_records(f"{source.stream_arn}/{shard_id}", records)
        return len(records)

    def _attempt(
        self,
        source: StreamSource,
        shard_id: str,
        shard: _Shard,
        invoke: Invoke,
        now: float,
        waits: bool,
    ) -> int:
        batch = shard.batches[0]
        event = {"Records": [lambda_stream_record(r, source.stream_arn) for r in batch.records]}
        batch.attempts += 1
        error = False
        try:
            remaining = self._unprocessed(source, self._call(invoke, source.function, event), batch)
        except Exception:
            remaining, error = batch.records, True
        tried = len(batch.records)
        after = time.monotonic() + backoff(batch.attempts) if waits else now
        exhausted = bool(remaining) and batch.attempts > source.max_retries
        with self.lock:
            if not remaining or exhausted:
                shard.batches.popleft()
                batch.records, batch.function_error = remaining, error
            elif error and source.bisect and len(remaining) > 1:
                half = len(remaining) // 2
                shard.batches.popleft()
                shard.batches.extendleft(
                    [
                        _Batch(remaining[half:], batch.attempts, after),
                        _Batch(remaining[:half], batch.attempts, after),
                    ]
                )
            else:
                batch.records, batch.retry_at = remaining, after
        if exhausted:
            self._send_to_failure_destination(source, shard_id, batch)
        return tried

    @staticmethod
    def _unprocessed(
        source: StreamSource, result: dict[str, Any], batch: _Batch
    ) -> list[dict[str, Any]]:
        """The records to try again: from the lowest sequence number a partial batch response
        names (Lambda's checkpoint); all of them if it names one not in the batch."""
        if not source.report_item_failures:
            return []
        items = result.get("batchItemFailures") or []
        if not items:
            return []
        numbers = [_sequence(record) for record in batch.records]
        failed = [str(item.get("itemIdentifier") or "") for item in items]
        if any(number not in numbers for number in failed):
            return batch.records
        lowest = min(failed, key=int)
        return batch.records[numbers.index(lowest) :]

    def _send_to_failure_destination(
        self, source: StreamSource, shard_id: str, batch: _Batch
    ) -> None:
        """What Lambda sends to an on-failure destination: where the dropped batch was."""
        if not source.failure_queue_url:
            return
        records = batch.records
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if batch.function_error:
            response_context["functionError"] = "Unhandled"
        record = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": source.function_arn,
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": batch.attempts,
            },
            "responseContext": response_context,
            "version": "1.0",
            "timestamp": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": _sequence(records[0]),
                "endSequenceNumber": _sequence(records[-1]),
                "approximateArrivalOfFirstRecord": _arrival(records[0]),
                "approximateArrivalOfLastRecord": _arrival(records[-1]),
                "batchSize": len(records),
                "streamArn": source.stream_arn,
            },
        }
        self.stack.sqs.send_message(
            QueueUrl=source.failure_queue_url, MessageBody=json.dumps(record)
        )

    def _iterators(self, source: StreamSource) -> dict[str, str]:
        description = self.stack.streams.describe_stream(StreamArn=source.stream_arn)
        for shard in description["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in source.iterators:
                iterator = self.stack.streams.get_shard_iterator(
                    StreamArn=source.stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON",
                )["ShardIterator"]
                with self.lock:
                    source.iterators.setdefault(shard["ShardId"], iterator)
        with self.lock:
            return dict(source.iterators)

    def _pending_records(self, source: StreamSource) -> int:
        """Records read from the stream and not yet handled (buffered or in a batch)."""
        return sum(
            len(shard.buffer) + sum(len(batch.records) for batch in shard.batches)
            for (function, _), shard in self._shards.items()
            if function == source.function
        )

    # drain: the steps, synchronously ------------------------------------------------------------
    def drain(
        self,
        invoke: Invoke | None = None,
        now: datetime | None = None,
        max_rounds: int | None = None,
        retry_delay: int = 0,
        delays: bool = False,
    ) -> DrainReport:
        """Step every source, without waiting for batching windows, back-off or message delays
        (unless `delays`: then delayed messages wait and end the drain), until no queue has a
        visible or in-flight message and no stream has an unread or unhandled record; with
        `now`, schedules due by then fire at the start of each round. After `max_rounds` the
        report says whether it settled; without it, a drain still moving after
        `UNSETTLED_ROUNDS` raises `Unsettled`."""
        invoke = invoke or self.invoke
        with self.lock:
            before, failed_before = dict(self.invocations), sum(self.failures.values())
        settled = False
        for _ in range(max_rounds or UNSETTLED_ROUNDS):
            moved = self.stack.fire_due_schedules(now) if now is not None else 0
            for queue in self.stack.queue_sources:
                moved += self.step_queue(queue, invoke, retry_delay=retry_delay)
            for stream in self.stack.stream_sources:
                moved += self.step_stream(stream, invoke)
            if not moved and not delays:
                queues = self.stack.queue_sources
                moved = sum(self.moto.release_delayed(queue.queue_url) for queue in queues)
            if not moved:
                if self._settled(delays):
                    settled = True
                    break
                time.sleep(0.01)  # failed messages wait out `retry_delay`
        if not settled and max_rounds is None:
            raise Unsettled(
                f"the event sources still moved after {UNSETTLED_ROUNDS:,} rounds: "
                "a function keeps writing what invokes it again"
            )
        with self.lock:
            return DrainReport(
                {
                    function: count - before.get(function, 0)
                    for function, count in self.invocations.items()
                    if count - before.get(function, 0)
                },
                sum(self.failures.values()) - failed_before,
                settled,
            )

    def _settled(self, delays: bool = False) -> bool:
        for queue in self.stack.queue_sources:
            waiting, in_flight = self._queue_attributes(queue.queue_url)
            if delays:
                waiting -= self.moto.delayed(queue.queue_url)
            if waiting or in_flight:
                return False
        with self.lock:
            held = any(held.messages for held in self._held.values())
            return not held and not any(
                self._pending_records(stream) for stream in self.stack.stream_sources
            )

    # threads: the steps, in real time -----------------------------------------------------------
    def start(self) -> EventSourceMappings:
        for queue in self.stack.queue_sources:
            self.threads.append(
                threading.Thread(target=self._queue_loop, args=(queue,), daemon=True)
            )
        for stream in self.stack.stream_sources:
            self.threads.append(
                threading.Thread(target=self._stream_loop, args=(stream,), daemon=True)
            )
        self.threads.append(threading.Thread(target=self._schedule_loop, daemon=True))
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)

    def _schedule_loop(self) -> None:
        """EventBridge Scheduler: due one-time schedules put their input on the queue."""
        while not self.stopping.is_set():
            with contextlib.suppress(Exception):  # a moto hiccup: try again next second
                self.stack.fire_due_schedules(datetime.now(UTC))
            self.stopping.wait(1.0)

    def _queue_loop(self, source: QueueSource) -> None:
        while not self.stopping.is_set():
            try:
                moved = self.step_queue(source, waits=True, retry_delay=None)
            except Exception:
                moved = 0
            if not moved:
                self.stopping.wait(self.poll_seconds)

    def _stream_loop(self, source: StreamSource) -> None:
        while not self.stopping.is_set():
            try:
                moved = self.step_stream(source, waits=True)
            except Exception:
                moved = 0
            if not moved:
                self.stopping.wait(self.poll_seconds)

    # status -------------------------------------------------------------------------------------
    def stream_lag(self) -> int:
        """Records written to the streams and not yet handled (buffered, being tried, or not yet
        read: those are counted up to 100, enough to tell busy from idle without reading the
        backlog)."""
        lag = 0
        for source in self.stack.stream_sources:
            with self.lock:
                lag += self._pending_records(source)
                iterators = list(source.iterators.values())
            for iterator in iterators:
                unread = self.moto.unread(iterator)
                if unread is None:
                    response = self.stack.streams.get_records(ShardIterator=iterator, Limit=100)
                    unread = len(response.get("Records", []))
                lag += unread
        return lag

    def status(self) -> dict[str, Any]:
        queues = {"waiting": 0, "in_flight": 0, "dead_letters": 0, "failed_index_batches": 0}
        for queue in self.stack.queue_sources:
            attributes = self._queue_attributes(queue.queue_url)
            queues["waiting"] += attributes[0]
            queues["in_flight"] += attributes[1]
            for lid in self.stack.dead_letter_queues(queue.queue_url):
                queues["dead_letters"] += sum(self._queue_attributes(self.stack.queue_urls[lid]))
        for stream in self.stack.stream_sources:
            if stream.failure_queue_url:
                queues["failed_index_batches"] += sum(
                    self._queue_attributes(stream.failure_queue_url)
                )
        lag = self.stream_lag()
        with self.lock:
            busy = self.busy
            invocations = dict(self.invocations)
            failures = dict(self.failures)
        return {
            "idle": not (queues["waiting"] or queues["in_flight"] or lag or busy),
            "scheduled": self._scheduled(),
            "queue": queues,
            "stream": {"lag": lag},
            "running": busy,
            "invocations": invocations,
            "failed_invocations": failures,
        }

    def _scheduled(self) -> int:
        counted = self.moto.schedules(self.stack.schedule_groups())
        return len(self.stack.schedules()) if counted is None else counted

    def _queue_attributes(self, url: str) -> tuple[int, int]:
        counted = self.moto.queue(url)
        if counted is not None:
            return counted
        attributes = self.stack.sqs.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesDelayed",
                "ApproximateNumberOfMessagesNotVisible",
            ],
        )["Attributes"]
        return (
            int(attributes.get("ApproximateNumberOfMessages", 0))
            + int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
            int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        )
