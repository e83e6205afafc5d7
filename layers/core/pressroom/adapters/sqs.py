"""SQS: source changes sent back to the ingest queue, as the S3 notifications RenderPost reads,
and the CDN's delayed flush."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pressroom.adapters.errors import error_code, translated
from pressroom.adapters.scheduler import s3_notification
from pressroom.errors import TransientError
from pressroom.model import SourceChange

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
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


WILDCARD_KEY = {"PK": {"S": "CDN"}, "SK": {"S": "WILDCARD"}}
# A timer whose message never came (lost, or its flush failed for good) is taken over this
# long after it was due.
WILDCARD_GRACE_SECONDS = 60


class SqsWildcardTimer:
    """The CDN's delayed flush: item `CDN` / `WILDCARD` says one is asked for, and until when;
    the ask is a message `{"flush": "cdn"}` on the rebuild queue, delivered after the delay to
    the Rebuild function. Writing the item is a stream record like the outbox's; the stream
    decoding reads no index change from it."""

    def __init__(self, table: str, client: DynamoDBClient, queue_url: str, sqs: SQSClient) -> None:
        self.table = table
        self.client = client
        self.queue_url = queue_url
        self.sqs = sqs

    def start(self, seconds: int) -> bool:
        now = int(time.time())
        try:
            self.client.put_item(
                TableName=self.table,
                Item=WILDCARD_KEY | {"until": {"N": str(now + seconds + WILDCARD_GRACE_SECONDS)}},
                ConditionExpression="attribute_not_exists(PK) OR #until < :now",
                ExpressionAttributeNames={"#until": "until"},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            with translated("dynamodb:PutItem"):
                raise
        try:
            with translated("sqs:SendMessage"):
                self.sqs.send_message(
                    QueueUrl=self.queue_url,
                    MessageBody=json.dumps({"flush": "cdn"}),
                    DelaySeconds=seconds,
                )
        except Exception:
            self.stop()  # so the retry of the caller asks again
            raise
        return True

    def stop(self) -> None:
        with translated("dynamodb:DeleteItem"):
            self.client.delete_item(TableName=self.table, Key=WILDCARD_KEY)
