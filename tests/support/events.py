"""Lambda events: the samples in events/ and SQS batches built from received messages."""

from __future__ import annotations

import json
from typing import Any

from support.aws import ACCOUNT_ID, REGION
from support.paths import EVENTS


def sqs_event(messages: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message.get("ReceiptHandle", "handle"),
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:ingest",
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))
