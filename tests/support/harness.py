"""The integration tier's local stack: template.yaml's resources on in-process moto, driven
through the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pressroom.adapters.dynamodb import DynamoPostRepository
from pressroom.composition import Pipeline
from pressroom.model import PostState
from pressroom.usecases.rebuild import Progress, Rebuilder
from pressroom_dev.stack import LocalStack
from support.clock import S3Clock
from support.events import sqs_event
from support.paths import ROOT


@dataclass
class FunctionPipelines(Pipeline):
    """What the handlers use, each part from its own function's container, so that every call
    is held to that function's policy: `publish` is RenderPost's, `build_indexes` and
    `table_changes` BuildIndexes', and `rebuilder()` Rebuild's. Tests inject fakes here
    (`local.pipeline.publish.source = ...`) and the invoked function sees them."""

    rebuild: Pipeline | None = None

    @classmethod
    def of(cls, stack: LocalStack) -> FunctionPipelines:
        indexes = stack.pipeline_for("BuildIndexesFunction")
        return cls(
            stack.pipeline_for("RenderPostFunction").publish,
            indexes.build_indexes,
            indexes.table_changes,
            stack.pipeline_for("RebuildFunction"),
        )

    def rebuilder(self, progress: Progress | None = None) -> Rebuilder:
        if self.rebuild is None:
            return super().rebuilder(progress)
        return self.rebuild.rebuilder(progress)


@dataclass
class Harness:
    """One local stack: upload and delete posts, deliver events, read the site bucket.

    The functions' clients are held to their roles' policies (pressroom_dev.iam). A pipeline
    a test builds from `session` instead is held to the policy of the function being invoked
    (on the invoking thread), and is not checked when the test calls it directly."""

    stack: LocalStack
    pipeline: Pipeline
    session: Any
    # moto's S3 clock, when the fixture installed one (the `local` fixture does).
    s3_clock: S3Clock | None = None

    @classmethod
    def create(cls, session: Any, s3_clock: S3Clock | None = None) -> Harness:
        """A new stack in `session` (inside mock_aws) with the pipelines its handlers use."""
        stack = LocalStack(ROOT, session).create()
        return cls(stack, FunctionPipelines.of(stack), session, s3_clock)

    def upload_a_second_later(self, name: str, text: str | bytes) -> str:
        """Upload with S3's LastModified a second after every earlier upload's (LastModified
        has whole seconds): moto's S3 clock moves on one second, nothing sleeps."""
        assert self.s3_clock is not None, "this harness has no S3 clock: use the `local` fixture"
        self.s3_clock.advance(1)
        return self.upload(name, text)

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
