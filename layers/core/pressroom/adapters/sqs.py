"""SQS: source changes sent back to the ingest queue, as the S3 notifications RenderPost reads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pressroom.adapters.errors import translated
from pressroom.adapters.scheduler import s3_notification
from pressroom.errors import TransientError
from pressroom.model import SourceChange

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SendMessageBatch takes at most 10 entries (Amazon SQS quotas).
BATCH_ENTRIES = 10


class SqsChangeQueue:
    """The ingest queue, written with SendMessageBatch (10 messages a request); entries SQS
    reports failed are a TransientError, so the caller's retry sends them again."""

    def __init__(self, queue_url: str, client: SQSClient) -> None:
        self.queue_url = queue_url
        self.client = client

    def send(self, changes: list[SourceChange]) -> None:
        send_batches(self.client, self.queue_url, [s3_notification(c) for c in changes])


def send_batches(client: SQSClient, queue_url: str, messages: list[dict[str, Any]]) -> None:
    """Send these JSON messages, ten a SendMessageBatch; entries SQS reports failed are a
    TransientError."""
    for start in range(0, len(messages), BATCH_ENTRIES):
        entries: list[Any] = [
            {"Id": str(number), "MessageBody": json.dumps(message, ensure_ascii=False)}
            for number, message in enumerate(messages[start : start + BATCH_ENTRIES])
        ]
        with translated("sqs:SendMessageBatch"):
            response = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        failed = response.get("Failed", [])
        if failed:
            codes = sorted({str(item.get("Code", "")) for item in failed})
            raise TransientError(f"sqs:SendMessageBatch failed {len(failed)} entries: {codes}")
