"""Integration tier: template.yaml's resources on in-process moto, driven through the handlers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pressroom.adapters.dynamodb import DynamoPostRepository
from pressroom.composition import Pipeline, pipeline_from_settings
from pressroom.model import PostState
from pressroom_dev.cli import LOCAL_ENVIRONMENT
from pressroom_dev.stack import REGION, LocalStack

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Harness:
    """One local stack: upload and delete posts, deliver events, read the site bucket."""

    stack: LocalStack
    pipeline: Pipeline
    session: Any

    @property
    def settings(self) -> Any:
        return self.stack.settings()

    @property
    def s3(self) -> Any:
        return self.stack.s3

    @property
    def repository(self) -> DynamoPostRepository:
        return DynamoPostRepository(self.settings.posts_table, self.stack.dynamodb)

    def upload(self, name: str, text: str | bytes) -> str:
        body = text.encode() if isinstance(text, str) else text
        response = self.s3.put_object(
            Bucket=self.settings.source_bucket, Key=f"posts/{name}", Body=body
        )
        return str(response["VersionId"])

    def delete(self, name: str) -> None:
        self.s3.delete_object(Bucket=self.settings.source_bucket, Key=f"posts/{name}")

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        return self.stack.invoke(function, event, pipeline=self.pipeline)

    def drain(self) -> None:
        self.stack.drain(self.invoke)

    def take_messages(self) -> list[dict[str, Any]]:
        """Remove every waiting notification from the ingest queue (to deliver them by hand)."""
        source = self.stack.queue_sources[0]
        taken = []
        while True:
            messages = self.stack.sqs.receive_message(
                QueueUrl=source.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return taken
            for message in messages:
                self.stack.sqs.delete_message(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
                taken.append(message)

    def deliver(self, *messages: dict[str, Any]) -> dict[str, Any]:
        """Invoke RenderPost with these messages as one SQS batch, then build the indexes."""
        result = self.invoke("RenderPostFunction", sqs_event(messages))
        self.drain()
        return result

    def site(self) -> dict[str, bytes]:
        objects = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.settings.site_bucket
        ):
            for item in page.get("Contents", []):
                body = self.s3.get_object(Bucket=self.settings.site_bucket, Key=item["Key"])["Body"]
                objects[item["Key"]] = body.read()
        return objects

    def page(self, key: str) -> str | None:
        return self.site().get(key, b"").decode() or None

    def state(self, name: str) -> PostState:
        return self.repository.load(f"posts/{name}")


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
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:ingest",
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


def load_event(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "events" / name).read_text(encoding="utf-8"))


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def local(aws_environment: None) -> Iterator[Harness]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        stack = LocalStack(ROOT, session).create()
        yield Harness(stack, pipeline_from_settings(stack.settings(), session), session)


PostFactory = Callable[..., str]


@pytest.fixture
def post_text() -> PostFactory:
    def make(
        title: str = "厦门港集装箱吞吐量创新高",
        date: str = "2026-03-20 16:12:47 +0800",
        categories: str = "xiamenribao",
        tags: str = "厦门日报新闻",
        body: str = "<p>记者从港口管理部门获悉，吞吐量同比增长。</p>",
        extra: str = "",
    ) -> str:
        lines = ["---", "layout: post", f'title: "{title}"', f"date: {date}"]
        if categories:
            lines.append(f"categories: {categories}")
        if tags:
            lines.append(f"tags: {tags}")
        if extra:
            lines.append(extra)
        return "\n".join([*lines, "---", body, ""])

    return make
