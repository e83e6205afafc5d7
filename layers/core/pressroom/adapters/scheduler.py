"""EventBridge Scheduler: one-time schedules that publish future-dated posts."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from pressroom.adapters.errors import caused_by, translated
from pressroom.errors import (
    PermanentError,
)
from pressroom.model import (
    SourceChange,
)

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient


def s3_notification(change: SourceChange) -> dict[str, Any]:
    """An S3 notification for a change, as a scheduled publication re-delivers it to the
    ingest queue (so RenderPost handles it like any upload)."""
    obj: dict[str, Any] = {"key": quote_plus(change.key, safe="/"), "sequencer": change.sequencer}
    if change.version_id:
        obj["versionId"] = change.version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectRemoved:Delete" if change.removed else "ObjectCreated:Put",
                "s3": {"s3SchemaVersion": "1.0", "object": obj},
            }
        ]
    }


class EventBridgeScheduler:
    """EventBridge Scheduler one-time schedules that send a post's notification to the queue."""

    def __init__(
        self, group: str, target_arn: str, role_arn: str, client: EventBridgeSchedulerClient
    ) -> None:
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.client = client

    @staticmethod
    def name(source_key: str) -> str:
        return "post-" + hashlib.sha256(source_key.encode()).hexdigest()[:40]

    def schedule(self, source_key: str, at: datetime, change: SourceChange) -> None:
        notification = s3_notification(change)
        request: dict[str, Any] = {
            "Name": self.name(source_key),
            "GroupName": self.group,
            "ScheduleExpression": f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {
                "Arn": self.target_arn,
                "RoleArn": self.role_arn,
                "Input": json.dumps(notification, ensure_ascii=False),
            },
            "ActionAfterCompletion": "DELETE",
            "Description": f"publish {source_key}"[:512],
        }
        try:
            with translated("scheduler:CreateSchedule"):
                self.client.create_schedule(**request)
        except PermanentError as error:
            if not caused_by(error, "ConflictException"):
                raise
            with translated("scheduler:UpdateSchedule"):
                self.client.update_schedule(**request)

    def cancel(self, source_key: str) -> None:
        try:
            with translated("scheduler:DeleteSchedule"):
                self.client.delete_schedule(Name=self.name(source_key), GroupName=self.group)
        except PermanentError as error:
            if not caused_by(error, "ResourceNotFoundException"):
                raise
