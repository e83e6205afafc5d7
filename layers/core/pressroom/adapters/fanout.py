"""A fanned-out rebuild's adapters: its SQS queue, the source bucket's listing by pages, and
the job's counts in the posts table (`REBUILD#<job>`: a `JOB` item, and one marker item per
part and per plan step, so that a message delivered twice is counted once)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pressroom.adapters.errors import error_code, translated
from pressroom.adapters.sqs import send_batches
from pressroom.usecases.rebuild import JobProgress

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

JOB_SK = "JOB"


class SqsWorkQueue:
    """The rebuild queue, written with SendMessageBatch; entries SQS reports failed are a
    TransientError, so the message being handled is retried (and sends them again)."""

    def __init__(self, queue_url: str, client: SQSClient) -> None:
        self.queue_url = queue_url
        self.client = client

    def send(self, messages: list[dict[str, Any]]) -> None:
        send_batches(self.client, self.queue_url, messages)


class S3SourceListing:
    """The source bucket's current keys, a ListObjectsV2 page at a time."""

    def __init__(self, bucket: str, client: S3Client) -> None:
        self.bucket = bucket
        self.client = client

    def page(self, prefix: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": limit}
        if cursor:
            request["ContinuationToken"] = cursor
        with translated("s3:ListObjectsV2"):
            response = self.client.list_objects_v2(**request)
        keys = [item["Key"] for item in response.get("Contents", [])]
        following = response.get("NextContinuationToken") if response.get("IsTruncated") else None
        return keys, following


class DynamoRebuildJobs:
    """A rebuild job's counts in the posts table."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    @staticmethod
    def _key(job: str, sk: str) -> dict[str, Any]:
        return {"PK": {"S": f"REBUILD#{job}"}, "SK": {"S": sk}}

    def start(self, job: str) -> None:
        item = self._key(job, JOB_SK) | {"done": {"N": "0"}}
        with translated("dynamodb:PutItem"):
            self.client.put_item(
                TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(PK)"
            )

    def step_done(self, job: str, step: str) -> bool:
        return self._mark(job, f"STEP#{step}")

    def step_seen(self, job: str, step: str) -> bool:
        with translated("dynamodb:GetItem"):
            response = self.client.get_item(
                TableName=self.table, Key=self._key(job, f"STEP#{step}"), ConsistentRead=True
            )
        return "Item" in response

    def part_done(self, job: str, part: int) -> None:
        """The part's marker and the job's count in one transaction: a part counted already
        fails the marker's condition, and nothing is counted."""
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": self._key(job, f"PART#{part:09d}"),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": self._key(job, JOB_SK),
                            "UpdateExpression": "ADD done :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if error_code(error) == "TransactionCanceledException" and any(
                reason.get("Code") == "ConditionalCheckFailed" for reason in reasons
            ):
                return  # counted by an earlier delivery
            with translated("dynamodb:TransactWriteItems"):
                raise

    def planned(self, job: str, parts: int) -> None:
        with translated("dynamodb:UpdateItem"):
            self.client.update_item(
                TableName=self.table,
                Key=self._key(job, JOB_SK),
                UpdateExpression="SET parts = :parts",
                ExpressionAttributeValues={":parts": {"N": str(parts)}},
            )

    def progress(self, job: str) -> JobProgress | None:
        with translated("dynamodb:GetItem"):
            response = self.client.get_item(
                TableName=self.table, Key=self._key(job, JOB_SK), ConsistentRead=True
            )
        item = response.get("Item")
        if item is None:
            return None
        parts = item.get("parts", {}).get("N")
        return JobProgress(
            int(parts) if parts is not None else None,
            int(item.get("done", {}).get("N", "0")),
            bool(item.get("invalidated", {}).get("BOOL", False)),
        )

    def invalidated(self, job: str) -> None:
        with translated("dynamodb:UpdateItem"):
            self.client.update_item(
                TableName=self.table,
                Key=self._key(job, JOB_SK),
                UpdateExpression="SET invalidated = :yes",
                ExpressionAttributeValues={":yes": {"BOOL": True}},
            )

    def _mark(self, job: str, sk: str) -> bool:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self._key(job, sk),
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            with translated("dynamodb:PutItem"):
                raise
        return True
