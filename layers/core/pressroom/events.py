"""Lambda events to keys: S3 notifications (bare or in SQS messages) and table stream batches."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pressroom.model import SourceChange

POSTS_PREFIX = "posts/"


def is_s3_notification(event: dict[str, Any]) -> bool:
    records = event.get("Records") or []
    return bool(records) and all(record.get("eventSource") == "aws:s3" for record in records)


def source_changes(s3_event: dict[str, Any]) -> list[SourceChange]:
    """Changes under posts/ named by an S3 notification (test events name none)."""
    changes: list[SourceChange] = []
    if not s3_event.get("Records"):
        return changes
    for record in S3Event(s3_event).records:
        name = record.event_name
        if not name.startswith(("ObjectCreated:", "ObjectRemoved:")):
            continue
        obj = record.s3.get_object
        key = unquote_plus(obj.key)
        if not key.startswith(POSTS_PREFIX) or key.endswith("/"):
            continue
        changes.append(
            SourceChange(
                key=key,
                removed=name.startswith("ObjectRemoved:"),
                version_id=obj.version_id,
                sequencer=obj.get("sequencer") or "",
            )
        )
    return changes


def source_changes_from_sqs(record: SQSRecord) -> list[SourceChange]:
    body = json.loads(record.body)
    return source_changes(body) if isinstance(body, dict) and "Records" in body else []


def changed_items(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Old and new images (or at least the keys) of every item a stream batch changed."""
    for record in DynamoDBStreamEvent(event).records:
        stream = record.dynamodb
        if stream is None:
            continue
        images = [image for image in (stream.old_image, stream.new_image) if image]
        yield from images or [stream.keys]


def first_sequence_number(event: dict[str, Any]) -> str:
    for record in DynamoDBStreamEvent(event).records:
        if record.dynamodb is not None and record.dynamodb.sequence_number:
            return record.dynamodb.sequence_number
    return ""
