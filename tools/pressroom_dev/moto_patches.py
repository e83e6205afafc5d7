"""moto brought in line with AWS where pressroom depends on it: every patch of moto lives here.

moto's S3 notifications lack `versionId` and `sequencer`, and send nothing when a versioned
bucket gets a delete marker; moto's DynamoDB applies a transaction's items one by one, backs up
whole tables per transaction, and sorts the whole table for every query. `install_moto_fidelity`
adds the S3 fields and events, makes each DynamoDB write (a transaction as a whole) atomic, and
makes a base-table query read only its partition, as DynamoDB does.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

# -- S3 event fidelity ------------------------------------------------------------------------
_sequencer_lock = threading.Lock()
_last_sequencer = 0
_installed = False


def next_sequencer() -> str:
    """Monotonic, hex, like S3's per-key event sequencer."""
    global _last_sequencer
    with _sequencer_lock:
        _last_sequencer = max(_last_sequencer + 1, time.time_ns())
        return f"{_last_sequencer:018X}"


def install_moto_fidelity() -> None:
    """Make moto's S3 notifications carry versionId and sequencer, and announce delete markers."""
    global _installed
    if _installed:
        return
    from moto.s3 import models, notifications

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        obj: dict[str, Any] = {
            "key": quote_plus(key.name, safe="/"),
            "sequencer": next_sequencer(),
        }
        if not event_name.startswith("s3:ObjectRemoved"):
            obj |= {
                "size": getattr(key, "size", 0),
                "eTag": str(getattr(key, "etag", "")).strip('"'),
            }
        if bucket.is_versioned:
            obj["versionId"] = str(key.version_id)
        return {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": bucket.region_name,
                    "eventTime": datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    "eventName": event_name[3:],
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": notification_id,
                        "bucket": {"name": bucket.name, "arn": bucket.arn},
                        "object": obj,
                    },
                }
            ]
        }

    original_delete = models.S3Backend.delete_object

    def delete_object(
        self: Any,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
    ) -> tuple[bool, dict[str, Any]]:
        result = original_delete(self, bucket_name, key_name, version_id, bypass)
        meta = result[1] if isinstance(result, tuple) else {}
        if version_id is None and meta.get("delete-marker") == "true":
            bucket = self.get_bucket(bucket_name)
            marker = bucket.keys.getlist(key_name)[-1]
            notifications.send_event(
                self.account_id,
                notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
                bucket,
                marker,
            )
        return result

    notifications._get_s3_event = s3_event
    models.S3Backend.delete_object = delete_object  # type: ignore[method-assign]
    _make_dynamodb_writes_atomic()
    _installed = True


class _TablesByReference:
    """`copy` for moto's DynamoDB module: tables are not deep-copied (see _ItemsBackup)."""

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


class _ItemsBackup:
    """The items a transaction names, and each stream's length, as they were before it."""

    def __init__(self, tables: dict[str, Any], transact_items: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        self.items: list[tuple[Any, Any, Any, Any]] = []
        self.streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = tables.get(operation.get("TableName", ""))
            attributes = operation.get("Key") or operation.get("Item") or {}
            if table is None or table.hash_key_attr not in attributes:
                continue
            hash_key = DynamoType(attributes[table.hash_key_attr])
            range_key = (
                DynamoType(attributes[table.range_key_attr]) if table.range_key_attr else None
            )
            current = table.items.get(hash_key, {})
            current = current.get(range_key) if range_key is not None else current or None
            self.items.append((table, hash_key, range_key, copy.deepcopy(current)))
            if table.stream_shard is not None:
                self.streams.setdefault(id(table), (table, len(table.stream_shard.items)))

    def restore(self) -> None:
        for table, hash_key, range_key, item in reversed(self.items):
            if range_key is None:
                if item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            elif item is None:
                table.items.get(hash_key, {}).pop(range_key, None)
                if hash_key in table.items and not table.items[hash_key]:
                    del table.items[hash_key]
            else:
                table.items[hash_key][range_key] = item
        for table, length in self.streams.values():
            del table.stream_shard.items[length:]


def _query_one_partition() -> None:
    """moto answers every query by sorting the whole table; DynamoDB reads one partition.
    Restricting a base-table query to its partition keeps the local stack's cost per upload
    independent of the site's size, as it is on AWS."""
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") or (args[6] if len(args) > 6 else None)
        if hash_key is None or index_name or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        self._pressroom_partition = hash_key
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            del self._pressroom_partition

    def all_items(self: Any) -> Any:
        partition = getattr(self, "_pressroom_partition", None)
        if partition is None:
            return original_all_items(self)
        return sorted(self.items.get(partition, {}).values(), key=lambda item: item.range_key)

    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def _make_dynamodb_writes_atomic() -> None:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard

    lock = threading.RLock()

    def atomic(method: Callable[..., Any]) -> Callable[..., Any]:
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return locked

    for name in (
        "put_item",
        "update_item",
        "delete_item",
        "batch_write_item",
        "get_item",
        "query",
        "scan",
    ):
        if hasattr(DynamoDBBackend, name):
            setattr(DynamoDBBackend, name, atomic(getattr(DynamoDBBackend, name)))
    original_transaction = DynamoDBBackend.transact_write_items
    # moto backs up every table a transaction touches, whole and with its stream history, once
    # per item of the transaction, and on failure swaps the copies in (leaving stream readers on
    # a shard that no longer grows). Instead: back up only the items the transaction names, roll
    # them and the stream back on failure, and keep the table objects.
    models.copy = _TablesByReference()  # type: ignore[assignment,attr-defined]

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with lock:
            backup = _ItemsBackup(self.tables, transact_items)
            try:
                original_transaction(self, transact_items)
            except Exception:
                backup.restore()
                raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _query_one_partition()
    StreamShard.add = atomic(StreamShard.add)  # type: ignore[method-assign]
    StreamShard.get = atomic(StreamShard.get)  # type: ignore[method-assign]
