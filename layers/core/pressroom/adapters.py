"""AWS adapters for the ports: S3 (source and site), DynamoDB (posts table), CloudFront.

The only module that imports boto3. Each adapter takes a client (or builds one) and turns
botocore errors into PermanentError / TransientError.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, cast

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from pressroom.config import Settings, report_key
from pressroom.errors import (
    PermanentError,
    PostProblem,
    SourceMissing,
    StaleState,
    TransientError,
    UrlConflict,
)
from pressroom.pipeline import Pipeline
from pressroom.ports import (
    Commit,
    Listed,
    PageClass,
    PostRecord,
    PostState,
    Rejection,
    SourceObject,
    counter_changes,
    listed_values,
    listing_pk,
    membership_items,
    months_pk,
    taxonomy_pk,
    term_counts,
)
from pressroom.posts import Term
from pressroom.render import Entry, SiteRenderer, TermCount
from pressroom.site import TaxonomyKind

_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "503",
        "500",
    }
)
_TRANSIENT_REASONS = frozenset(
    {
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    }
)
CONTENT_HASH = "content-sha256"
CACHE_CONTROL: dict[PageClass, str] = {
    "post": "public, max-age=300, s-maxage=86400",
    "index": "public, max-age=60, s-maxage=300",
    "not_found": "public, max-age=60",
}
_SERIALIZE = TypeSerializer().serialize
_DESERIALIZE = TypeDeserializer().deserialize


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def caused_by(error: Exception, *codes: str) -> bool:
    """Whether a translated error came from a ClientError with one of these codes."""
    cause = error.__cause__
    return isinstance(cause, ClientError) and error_code(cause) in codes


@contextmanager
def translated(operation: str) -> Iterator[None]:
    """Map botocore failures to TransientError (retry may help) or PermanentError."""
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        kind = TransientError if code in _TRANSIENT_CODES or status >= 500 else PermanentError
        raise kind(f"{operation} failed: {code or status}: {error}") from error
    except (
        EndpointConnectionError,
        ConnectTimeoutError,
        ReadTimeoutError,
        ConnectionClosedError,
    ) as error:
        raise TransientError(f"{operation} failed: {error}") from error


class S3Source:
    """The source bucket."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self.client: Any = client or boto3.client("s3")

    def read(self, key: str, version_id: str | None, max_bytes: int) -> SourceObject:
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if version_id:
            request["VersionId"] = version_id
        try:
            with translated("s3:GetObject"):
                response = self.client.get_object(**request)
                with response["Body"] as body:
                    data = body.read(max_bytes + 1)
        except PermanentError as error:
            if caused_by(error, "NoSuchKey", "NoSuchVersion", "404", "MethodNotAllowed"):
                raise SourceMissing(f"{key} ({version_id or 'current'}) is gone") from error
            raise
        return SourceObject(key, response.get("VersionId") or version_id, data)

    def current_version(self, key: str) -> str | None:
        try:
            with translated("s3:HeadObject"):
                response = self.client.head_object(Bucket=self.bucket, Key=key)
        except PermanentError as error:
            if caused_by(error, "404", "NoSuchKey", "405", "MethodNotAllowed"):
                return None
            raise
        return str(response.get("VersionId") or "null")

    def list_keys(self, prefix: str) -> Iterable[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        with translated("s3:ListObjectsV2"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"]


class S3Site:
    """The site bucket: one object per page, with its content type and cache policy."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self.client: Any = client or boto3.client("s3")

    def put_page(self, key: str, html: str, page_class: PageClass) -> bool:
        """Write the page unless the object already holds these bytes (its content hash is in
        its metadata), so retries and rebuilds do not churn the CDN. True when written."""
        body = html.encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()
        if self._digest(key) == digest:
            return False
        with translated("s3:PutObject"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="text/html; charset=utf-8",
                CacheControl=CACHE_CONTROL[page_class],
                Metadata={CONTENT_HASH: digest},
            )
        return True

    def _digest(self, key: str) -> str | None:
        try:
            with translated("s3:HeadObject"):
                head = self.client.head_object(Bucket=self.bucket, Key=key)
        except PermanentError as error:
            if caused_by(error, "404", "403", "NoSuchKey"):
                return None
            raise
        return str(head.get("Metadata", {}).get(CONTENT_HASH, "")) or None

    def delete_page(self, key: str) -> bool:
        if self._digest(key) is None:
            return False
        with translated("s3:DeleteObject"):
            self.client.delete_object(Bucket=self.bucket, Key=key)
        return True


class S3Reports:
    """Rejection reports: private JSON objects in the source bucket, under `reports/` (outside
    the `posts/` prefix that notifies the pipeline, so writing one triggers nothing)."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self.client: Any = client or boto3.client("s3")

    def put_report(self, source_key: str, report: dict[str, Any]) -> None:
        body = json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")
        with translated("s3:PutObject"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=report_key(source_key),
                Body=body,
                ContentType="application/json; charset=utf-8",
            )

    def delete_report(self, source_key: str) -> None:
        """Delete the report if there is one (a delete of nothing would still leave a delete
        marker in the versioned bucket)."""
        key = report_key(source_key)
        try:
            with translated("s3:HeadObject"):
                self.client.head_object(Bucket=self.bucket, Key=key)
        except PermanentError as error:
            if caused_by(error, "404", "NoSuchKey"):
                return
            raise
        with translated("s3:DeleteObject"):
            self.client.delete_object(Bucket=self.bucket, Key=key)


class CloudFrontInvalidator:
    """One invalidation per batch of changed index pages."""

    def __init__(self, distribution_id: str, client: Any = None) -> None:
        self.distribution_id = distribution_id
        self.client: Any = client or boto3.client("cloudfront")

    def invalidate(self, paths: list[str]) -> None:
        if not paths:
            return
        with translated("cloudfront:CreateInvalidation"):
            self.client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": f"pressroom-{time.time_ns()}",
                },
            )


class DynamoPostRepository:
    """The posts table (one table, items described in README, "Data model")."""

    def __init__(self, table: str, client: Any = None) -> None:
        self.table = table
        self.client: Any = client or boto3.client("dynamodb")

    # -- items <-> records ------------------------------------------------------------------
    def _item(self, values: dict[str, Any]) -> dict[str, Any]:
        return {
            key: _SERIALIZE(value) for key, value in values.items() if value not in (None, "", [])
        }

    @staticmethod
    def _plain(item: dict[str, Any]) -> dict[str, Any]:
        return {key: _DESERIALIZE(value) for key, value in item.items()}

    def _record_item(self, record: PostRecord) -> dict[str, Any]:
        values: dict[str, Any] = {
            "PK": f"POST#{record.source_key}",
            "SK": "META",
            "source_key": record.source_key,
            "sequencer": record.sequencer,
            "source_version": record.source_version,
            "status": record.status,
            "url": record.url,
            "warnings": list(record.warnings),
            "retired_urls": list(record.retired_urls),
        }
        if record.listed is not None:
            values |= listed_values(record.listed)
            values["categories"] = [
                {"slug": t.slug, "name": t.name} for t in record.listed.categories
            ]
            values["tags"] = [{"slug": t.slug, "name": t.name} for t in record.listed.tags]
        return self._item(values)

    @staticmethod
    def _record(values: dict[str, Any]) -> PostRecord:
        listed = None
        if "title" in values:
            listed = Listed(
                source_key=values["source_key"],
                title=values["title"],
                url=values["url"],
                display_date=values["display_date"],
                date_utc=values["date_utc"],
                excerpt=values.get("excerpt", ""),
                month=values["month"],
                categories=tuple(Term(t["slug"], t["name"]) for t in values.get("categories", [])),
                tags=tuple(Term(t["slug"], t["name"]) for t in values.get("tags", [])),
            )
        return PostRecord(
            source_key=values["source_key"],
            sequencer=values.get("sequencer", ""),
            source_version=values.get("source_version"),
            status=values["status"],
            url=values.get("url", ""),
            listed=listed,
            warnings=tuple(values.get("warnings", [])),
            retired_urls=tuple(values.get("retired_urls", [])),
        )

    @staticmethod
    def _rejection(values: dict[str, Any]) -> Rejection:
        return Rejection(
            source_key=values["source_key"],
            sequencer=values.get("sequencer", ""),
            source_version=values.get("source_version"),
            message=values["message"],
            problems=tuple(
                PostProblem.from_dict(p) if isinstance(p, dict) else PostProblem("post", str(p))
                for p in values.get("problems", [])
            ),
            rejected_at=values.get("rejected_at", ""),
        )

    # -- reads ------------------------------------------------------------------------------
    def _query(self, **request: Any) -> Iterator[dict[str, Any]]:
        request = {"TableName": self.table, "ConsistentRead": True} | request
        limit = cast(int | None, request.get("Limit"))
        seen = 0
        while True:
            with translated("dynamodb:Query"):
                response = self.client.query(**request)
            for item in response.get("Items", []):
                yield self._plain(item)
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _scan(self, sk: str) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "ConsistentRead": True,
            "FilterExpression": "SK = :sk",
            "ExpressionAttributeValues": {":sk": {"S": sk}},
        }
        while True:
            with translated("dynamodb:Scan"):
                response = self.client.scan(**request)
            for item in response.get("Items", []):
                yield self._plain(item)
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def load(self, source_key: str) -> PostState:
        record = rejection = None
        for values in self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"POST#{source_key}"}},
        ):
            if values["SK"] == "META":
                record = self._record(values)
            elif values["SK"] == "ERROR":
                rejection = self._rejection(values)
        return PostState(record, rejection)

    def url_owner(self, url: str) -> str | None:
        with translated("dynamodb:GetItem"):
            response = self.client.get_item(
                TableName=self.table,
                Key={"PK": {"S": f"URL#{url}"}, "SK": {"S": "OWNER"}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return str(self._plain(item)["source_key"]) if item else None

    def term(self, kind: TaxonomyKind, slug: str) -> TermCount | None:
        counts = term_counts(
            (values["SK"], int(values.get("count", 0)))
            for values in self._query(
                KeyConditionExpression="PK = :pk AND begins_with(SK, :slug)",
                ExpressionAttributeValues={
                    ":pk": {"S": taxonomy_pk(kind)},
                    ":slug": {"S": f"{slug}#"},
                },
            )
        )
        return counts[0] if counts else None

    def terms(self, kind: TaxonomyKind) -> list[TermCount]:
        return term_counts(
            (values["SK"], int(values.get("count", 0)))
            for values in self._query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": taxonomy_pk(kind)}},
            )
        )

    def _entries(self, items: Iterable[dict[str, Any]]) -> list[Entry]:
        return [
            Entry(
                values["title"],
                values["url"],
                values["display_date"],
                values.get("excerpt", ""),
                values.get("name", ""),
            )
            for values in items
        ]

    def newest(self, kind: TaxonomyKind | None, slug: str, limit: int) -> list[Entry]:
        return self._entries(
            self._query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": listing_pk(kind, slug)}},
                ScanIndexForward=False,
                Limit=limit,
            )
        )

    def between(self, kind: TaxonomyKind, slug: str, start_utc: str, end_utc: str) -> list[Entry]:
        return self._entries(
            self._query(
                KeyConditionExpression="PK = :pk AND SK BETWEEN :start AND :end",
                ExpressionAttributeValues={
                    ":pk": {"S": listing_pk(kind, slug)},
                    ":start": {"S": start_utc},
                    ":end": {"S": end_utc},
                },
                ScanIndexForward=False,
            )
        )

    def months(self, kind: TaxonomyKind, slug: str) -> list[tuple[str, int]]:
        return [
            (values["SK"], int(values.get("count", 0)))
            for values in self._query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": months_pk(kind, slug)}},
                ScanIndexForward=False,
            )
        ]

    def rejections(self) -> list[Rejection]:
        return [self._rejection(values) for values in self._scan("ERROR")]

    def records(self) -> list[PostRecord]:
        return [self._record(values) for values in self._scan("META")]

    # -- writes -----------------------------------------------------------------------------
    def reject(self, rejection: Rejection) -> None:
        key = {"PK": {"S": f"POST#{rejection.source_key}"}}
        item = self._item(
            {
                "PK": f"POST#{rejection.source_key}",
                "SK": "ERROR",
                "source_key": rejection.source_key,
                "sequencer": rejection.sequencer,
                "source_version": rejection.source_version,
                "message": rejection.message,
                "problems": [problem.as_dict() for problem in rejection.problems],
                "rejected_at": rejection.rejected_at,
            }
        )
        not_newer = "attribute_not_exists(PK) OR sequencer <= :seq"
        try:
            with translated("dynamodb:TransactWriteItems"):
                self.client.transact_write_items(
                    TransactItems=[
                        {
                            "ConditionCheck": {
                                "TableName": self.table,
                                "Key": key | {"SK": {"S": "META"}},
                                "ConditionExpression": not_newer,
                                "ExpressionAttributeValues": {":seq": {"S": rejection.sequencer}},
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.table,
                                "Item": item,
                                "ConditionExpression": not_newer,
                                "ExpressionAttributeValues": {":seq": {"S": rejection.sequencer}},
                            }
                        },
                    ]
                )
        except PermanentError as error:
            if not _cancelled(error):
                raise

    def commit(self, commit: Commit) -> None:
        operations, labels = self._operations(commit)
        try:
            with translated("dynamodb:TransactWriteItems"):
                self.client.transact_write_items(TransactItems=operations)
        except (PermanentError, TransientError) as error:
            reasons = _cancellation_codes(error)
            failed = [
                labels[i] for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"
            ]
            if "META" in failed or "ERROR" in failed:
                raise StaleState(
                    f"{commit.record.source_key} changed while it was processed"
                ) from error
            if "URL" in failed:
                owner = self.url_owner(commit.record.url) or "another post"
                raise UrlConflict(commit.record.source_key, commit.record.url, owner) from error
            if any(code in _TRANSIENT_REASONS for code in reasons):
                raise TransientError(f"transaction cancelled: {reasons}") from error
            raise

    def _operations(self, commit: Commit) -> tuple[list[dict[str, Any]], list[str]]:
        table = self.table
        record, previous = commit.record, commit.previous
        operations: list[dict[str, Any]] = []
        labels: list[str] = []

        def add(label: str, operation: dict[str, Any]) -> None:
            operations.append(operation)
            labels.append(label)

        meta: dict[str, Any] = {"TableName": table, "Item": self._record_item(record)}
        if previous is None:
            meta["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            meta["ConditionExpression"] = "sequencer = :previous"
            meta["ExpressionAttributeValues"] = {":previous": {"S": previous.sequencer}}
        add("META", {"Put": meta})
        # The rejection item: cleared when this commit is newer; otherwise the commit checks
        # that no rejection it should clear appeared since the read (a newer one stays).
        error_key = {"PK": {"S": f"POST#{record.source_key}"}, "SK": {"S": "ERROR"}}
        error_item: dict[str, Any] = {"TableName": table, "Key": error_key}
        if commit.clear_rejection:
            error_item["ConditionExpression"] = "attribute_not_exists(PK) OR sequencer <= :seq"
        else:
            error_item["ConditionExpression"] = "attribute_not_exists(PK) OR sequencer > :seq"
        error_item["ExpressionAttributeValues"] = {":seq": {"S": record.sequencer}}
        add("ERROR", {"Delete" if commit.clear_rejection else "ConditionCheck": error_item})

        new = record.listed if record.live else None
        old = previous.listed if previous is not None and previous.live else None
        new_url = new.url if new else None
        old_url = old.url if old else None
        owner = {":key": {"S": record.source_key}}
        if new_url and new_url != old_url:
            add(
                "URL",
                {
                    "Put": {
                        "TableName": table,
                        "Item": self._item(
                            {"PK": f"URL#{new_url}", "SK": "OWNER", "source_key": record.source_key}
                        ),
                        "ConditionExpression": "attribute_not_exists(PK) OR source_key = :key",
                        "ExpressionAttributeValues": owner,
                    }
                },
            )
        if old_url and old_url != new_url:
            add(
                "OLD_URL",
                {
                    "Delete": {
                        "TableName": table,
                        "Key": {"PK": {"S": f"URL#{old_url}"}, "SK": {"S": "OWNER"}},
                        "ConditionExpression": "attribute_not_exists(PK) OR source_key = :key",
                        "ExpressionAttributeValues": owner,
                    }
                },
            )

        new_members = membership_items(new)
        old_members = membership_items(old)
        for (pk, sk), values in new_members.items():
            if old_members.get((pk, sk)) != values:
                add("MEMBER", {"Put": {"TableName": table, "Item": self._item(values)}})
        for pk, sk in old_members.keys() - new_members.keys():
            add(
                "MEMBER",
                {"Delete": {"TableName": table, "Key": {"PK": {"S": pk}, "SK": {"S": sk}}}},
            )

        for (pk, sk, name), delta in counter_changes(old, new).items():
            add(
                "COUNT",
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
                        "UpdateExpression": (
                            "ADD #count :delta SET #name = if_not_exists(#name, :name)"
                        ),
                        "ExpressionAttributeNames": {"#count": "count", "#name": "name"},
                        "ExpressionAttributeValues": {
                            ":delta": {"N": str(delta)},
                            ":name": {"S": name},
                        },
                    }
                },
            )
        return operations, labels


class EventBridgeScheduler:
    """EventBridge Scheduler one-time schedules that send a post's notification to the queue."""

    def __init__(self, group: str, target_arn: str, role_arn: str, client: Any = None) -> None:
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn
        self.client: Any = client or boto3.client("scheduler")

    @staticmethod
    def name(source_key: str) -> str:
        return "post-" + hashlib.sha256(source_key.encode()).hexdigest()[:40]

    def schedule(self, source_key: str, at: datetime, notification: dict[str, Any]) -> None:
        request = {
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


def _cancellation_codes(error: Exception) -> list[str]:
    cause = error.__cause__
    if not isinstance(cause, ClientError):
        return []
    reasons = cause.response.get("CancellationReasons", [])
    return [str(reason.get("Code", "")) for reason in reasons]


def _cancelled(error: Exception) -> bool:
    return "ConditionalCheckFailed" in _cancellation_codes(error)


def pipeline_from_settings(settings: Settings, session: Any = None) -> Pipeline:
    """Adapters for the deployed (or local) resources named in the settings."""
    session = session or boto3.session.Session()

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=settings.endpoint_url)

    s3 = client("s3")
    invalidator = (
        CloudFrontInvalidator(settings.distribution_id, client("cloudfront"))
        if settings.distribution_id
        else None
    )
    scheduler = (
        EventBridgeScheduler(
            settings.schedule_group,
            settings.schedule_target_arn,
            settings.scheduler_role_arn,
            client("scheduler"),
        )
        if settings.schedule_target_arn
        else None
    )
    return Pipeline.wire(
        SiteRenderer.from_directory(settings.templates_dir),
        S3Source(settings.source_bucket, s3),
        S3Site(settings.site_bucket, s3),
        DynamoPostRepository(settings.posts_table, client("dynamodb")),
        invalidator,
        scheduler,
        S3Reports(settings.source_bucket, s3),
    )
