"""S3: the source bucket (posts), the site bucket (pages) and rejection reports."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pressroom.adapters.errors import caused_by, translated
from pressroom.errors import (
    PermanentError,
    SourceMissing,
)
from pressroom.model import (
    PostProblem,
    RenderedPage,
    SourceObject,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONTENT_HASH = "content-sha256"


class S3Source:
    """The source bucket."""

    def __init__(self, bucket: str, client: S3Client) -> None:
        self.bucket = bucket
        self.client = client

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
        head = self.head(key)
        return head[0] if head is not None else None

    def head(self, key: str) -> tuple[str, datetime] | None:
        try:
            with translated("s3:HeadObject"):
                response = self.client.head_object(Bucket=self.bucket, Key=key)
        except PermanentError as error:
            if caused_by(error, "404", "NoSuchKey", "405", "MethodNotAllowed"):
                return None
            raise
        return str(response.get("VersionId") or "null"), response["LastModified"]

    def versions_since_delete(self, key: str) -> list[tuple[str, datetime]]:
        versions: list[tuple[str, datetime, bool]] = []
        newest_delete: datetime | None = None
        paginator = self.client.get_paginator("list_object_versions")
        with translated("s3:ListObjectVersions"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=key):
                versions += [
                    (str(v["VersionId"]), v["LastModified"], bool(v.get("IsLatest")))
                    for v in page.get("Versions", [])
                    if v["Key"] == key
                ]
                for marker in page.get("DeleteMarkers", []):
                    if marker["Key"] != key:
                        continue
                    if marker.get("IsLatest"):
                        return []
                    when = marker["LastModified"]
                    newest_delete = when if newest_delete is None else max(newest_delete, when)
        return [
            (version, modified)
            for version, modified, latest in versions
            if latest or newest_delete is None or modified > newest_delete
        ]

    def list_keys(self, prefix: str) -> Iterable[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        with translated("s3:ListObjectsV2"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"]


class S3Site:
    """The site bucket: one object per page, with its content type and cache policy."""

    def __init__(self, bucket: str, client: S3Client) -> None:
        self.bucket = bucket
        self.client = client

    def differs(self, key: str, page: RenderedPage | None) -> bool:
        """Compare with the object's content hash (in its metadata), so retries and rebuilds
        neither rewrite unchanged pages nor churn the CDN."""
        head = self._head(key)
        if page is None:
            return head is not None
        return head is None or head.get("Metadata", {}).get(CONTENT_HASH) != _digest(page.body)

    def put_page(self, key: str, page: RenderedPage) -> None:
        with translated("s3:PutObject"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=page.body,
                ContentType=page.content_type,
                CacheControl=page.cache_control,
                Metadata={CONTENT_HASH: _digest(page.body)},
            )

    def delete_page(self, key: str) -> None:
        with translated("s3:DeleteObject"):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            with translated("s3:HeadObject"):
                return dict(self.client.head_object(Bucket=self.bucket, Key=key))
        except PermanentError as error:
            if caused_by(error, "404", "403", "NoSuchKey"):
                return None
            raise


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


# Rejection reports live in the source bucket under this prefix, outside `posts/` (which notifies).
REPORTS_PREFIX = "reports/"


# S3's longest object key (UTF-8 bytes), and where a report goes whose key would be longer.
MAX_KEY_BYTES = 1024
LONG_REPORTS_PREFIX = f"{REPORTS_PREFIX}long-keys/"


def report_key(source_key: str) -> str:
    """The key of a source file's rejection report in the source bucket: `reports/<source
    key>.json`, or, when that would be longer than S3 allows, `reports/long-keys/<SHA-256 of
    the source key>.json` (the report itself names its source key)."""
    key = f"{REPORTS_PREFIX}{source_key}.json"
    if len(key.encode("utf-8")) <= MAX_KEY_BYTES:
        return key
    return f"{LONG_REPORTS_PREFIX}{hashlib.sha256(source_key.encode('utf-8')).hexdigest()}.json"


def report_key_problems(source_key: str) -> list[PostProblem]:
    """A source key whose report would not be at `reports/<source key>.json`, S3's key limit."""
    size = len(f"{REPORTS_PREFIX}{source_key}.json".encode())
    if size <= MAX_KEY_BYTES:
        return []
    return [
        PostProblem(
            "file",
            f"its name makes the key of its report, {REPORTS_PREFIX}…json, {size:,} bytes; "
            f"S3 allows {MAX_KEY_BYTES:,}",
            f"shorten the file name by at least {size - MAX_KEY_BYTES:,} bytes "
            "(a Chinese character is 3 bytes, a Latin letter 1)",
        )
    ]


class S3Reports:
    """Rejection reports: private JSON objects in the source bucket, under `reports/` (outside
    the `posts/` prefix that notifies the pipeline, so writing one triggers nothing)."""

    def __init__(self, bucket: str, client: S3Client) -> None:
        self.bucket = bucket
        self.client = client

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

    def location(self, source_key: str) -> str:
        return report_key(source_key)

    def problems(self, source_key: str) -> list[PostProblem]:
        return report_key_problems(source_key)
