"""moto brought in line with AWS where pressroom depends on it: every patch of moto lives here.

moto's S3 notifications lack `versionId` and `sequencer`, and send nothing when a versioned
bucket gets a delete marker; moto's DynamoDB applies a transaction's items one by one, backs up
whole tables per transaction, and sorts the whole table for every query. `install_moto_fidelity`
adds the S3 fields and events, makes each DynamoDB write (a transaction as a whole) atomic, and
makes a base-table query read only its partition, as DynamoDB does. Three patches only make
moto cheaper per request, so that the local stack's speed is pressroom's and not moto's: S3's
URL table is not reloaded from disk per request, the server does not list its own package per
request, and attribute values already in wire form are not walked member by member.

Each patch is a `MotoPatch` of `PATCHES`: its name, the defect it corrects, the `Target`s of
moto it replaces or relies on (module, attribute, the parameters it calls them with), and its
install function. tests/integration/test_moto_patches.py checks every target's shape, and keeps
a strict expected-failure test per patch that passes the day moto fixes the defect itself.
"""

from __future__ import annotations

import copy
import importlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

# -- the registry -----------------------------------------------------------------------------
PATCHED_BY = "__pressroom_patched_by__"
"""On each value a patch installs in moto: the names of the patches it carries, oldest first."""


@dataclass(frozen=True)
class Target:
    """Something of moto's that a patch replaces or relies on: `attribute` (dotted, within
    `module`); when `parameters` is given it is callable and takes at least these, in this
    order; when `replaced`, the patch installs its own value in its place."""

    module: str
    attribute: str
    parameters: tuple[str, ...] | None = None
    replaced: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return self.module, self.attribute

    def owner(self) -> Any:
        """The module or class that holds the attribute."""
        value: Any = importlib.import_module(self.module)
        for part in self.attribute.split(".")[:-1]:
            value = getattr(value, part)
        return value

    def current(self) -> Any:
        """The attribute as it is now (patched, once installed)."""
        return getattr(self.owner(), self.attribute.rsplit(".", 1)[-1])

    def original(self) -> Any:
        """moto's own attribute, whether or not a patch has since replaced it."""
        return _originals.get(self.key, self.current())


@dataclass(frozen=True)
class MotoPatch:
    """One correction of moto: what it fixes, what of moto's it touches, how to install it."""

    name: str
    defect: str
    targets: tuple[Target, ...]
    install: Callable[[], None]


_originals: dict[tuple[str, str], Any] = {}


def _replace(patch: str, target: Target, value: Any) -> None:
    """Install `value` as `target`, remembering moto's own and marking `value` with `patch`."""
    current = target.current()
    _originals.setdefault(target.key, current)
    setattr(value, PATCHED_BY, (*getattr(current, PATCHED_BY, ()), patch))
    setattr(target.owner(), target.attribute.rsplit(".", 1)[-1], value)


def patched_by(value: Any) -> tuple[str, ...]:
    """The names of the patches `value` (a moto attribute) carries; empty if moto's own."""
    marks = getattr(value, PATCHED_BY, ())
    return marks if isinstance(marks, tuple) else ()


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


_S3_EVENT = Target(
    "moto.s3.notifications",
    "_get_s3_event",
    ("event_name", "bucket", "key", "notification_id"),
    replaced=True,
)
_SEND_EVENT = Target(
    "moto.s3.notifications", "send_event", ("account_id", "event_name", "bucket", "key")
)
_DELETE_MARKER_EVENT = Target(
    "moto.s3.notifications", "S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT"
)
_DELETE_OBJECT = Target(
    "moto.s3.models",
    "S3Backend.delete_object",
    ("self", "bucket_name", "key_name", "version_id", "bypass"),
    replaced=True,
)
_GET_BUCKET = Target("moto.s3.models", "S3Backend.get_bucket", ("self", "bucket_name"))


def _install_s3_event_fields() -> None:
    """Every S3 notification carries `sequencer`, and `versionId` in a versioned bucket."""

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

    _replace("s3_event_fields", _S3_EVENT, s3_event)


def _install_s3_delete_marker_event() -> None:
    """A DeleteObject without a version id in a versioned bucket announces its delete marker
    (s3:ObjectRemoved:DeleteMarkerCreated), as S3 does."""
    from moto.s3 import notifications

    original_delete = _DELETE_OBJECT.current()

    def delete_object(
        self: Any,
        bucket_name: str,
        key_name: str,
        version_id: str | None = None,
        bypass: bool = False,
    ) -> tuple[bool, dict[str, Any]]:
        result: tuple[bool, dict[str, Any]] = original_delete(
            self, bucket_name, key_name, version_id, bypass
        )
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

    _replace("s3_delete_marker_event", _DELETE_OBJECT, delete_object)


# -- DynamoDB ---------------------------------------------------------------------------------
_dynamodb_lock = threading.RLock()
"""Held by every DynamoDB write (a transaction as a whole), read, and stream append or read."""

_LOCKED_BACKEND_METHODS = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "get_item",
    "query",
    "scan",
)
_BACKEND_METHODS = tuple(
    Target("moto.dynamodb.models", f"DynamoDBBackend.{name}", ("self",), replaced=True)
    for name in _LOCKED_BACKEND_METHODS
)
_TRANSACT_WRITE_ITEMS = Target(
    "moto.dynamodb.models",
    "DynamoDBBackend.transact_write_items",
    ("self", "transact_items"),
    replaced=True,
)
_STREAM_ADD = Target("moto.dynamodb.models.table", "StreamShard.add", ("self",), replaced=True)
_STREAM_GET = Target("moto.dynamodb.models.table", "StreamShard.get", ("self",), replaced=True)
_MODELS_COPY = Target("moto.dynamodb.models", "copy", replaced=True)
_TABLE = Target("moto.dynamodb.models.table", "Table")
_DYNAMO_TYPE = Target("moto.dynamodb.models.dynamo_type", "DynamoType", ("type_as_dict",))
_TABLE_QUERY = Target(
    "moto.dynamodb.models.table",
    "Table.query",
    (
        "self",
        "hash_key",
        "range_comparison",
        "range_objs",
        "limit",
        "exclusive_start_key",
        "scan_index_forward",
        "projection_expressions",
        "index_name",
    ),
    replaced=True,
)
_TABLE_ALL_ITEMS = Target("moto.dynamodb.models.table", "Table.all_items", ("self",), replaced=True)


def _atomic(method: Callable[..., Any]) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _dynamodb_lock:
            return method(*args, **kwargs)

    return locked


def _install_dynamodb_atomic_writes() -> None:
    """Each DynamoDB write, a transaction as a whole, happens at once: moto applies a
    transaction's items one by one and lets other threads' reads and writes in between, and
    gives concurrent stream records the same sequence number."""
    for target in (*_BACKEND_METHODS, _TRANSACT_WRITE_ITEMS, _STREAM_ADD, _STREAM_GET):
        if hasattr(target.owner(), target.attribute.rsplit(".", 1)[-1]):
            _replace("dynamodb_atomic_writes", target, _atomic(target.current()))


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
        for table, _, _, _ in self.items:
            forget_sorted_keys(table)
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


def _install_dynamodb_transaction_rollback() -> None:
    """A cancelled transaction restores only the items it names and keeps the table objects.

    moto backs up every table a transaction touches, whole and with its stream history, once
    per item of the transaction, and on failure swaps the copies in (leaving stream readers on
    a shard that no longer grows). Instead: back up only the items the transaction names, roll
    them and the stream back on failure, and keep the table objects. Installed before
    `dynamodb_atomic_writes`, whose lock then surrounds the backup as well as the transaction.
    """
    _replace("dynamodb_transaction_rollback", _MODELS_COPY, _TablesByReference())
    original_transaction = _TRANSACT_WRITE_ITEMS.current()

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backup = _ItemsBackup(self.tables, transact_items)
        try:
            original_transaction(self, transact_items)
        except Exception:
            backup.restore()
            raise

    _replace("dynamodb_transaction_rollback", _TRANSACT_WRITE_ITEMS, transact_write_items)


def _install_dynamodb_partition_query() -> None:
    """moto answers every query by sorting the whole table; DynamoDB reads one partition.
    Restricting a base-table query to its partition keeps the local stack's cost per upload
    independent of the site's size, as it is on AWS."""
    original_query = _TABLE_QUERY.current()
    original_all_items = _TABLE_ALL_ITEMS.current()

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

    _replace("dynamodb_partition_query", _TABLE_QUERY, query)
    _replace("dynamodb_partition_query", _TABLE_ALL_ITEMS, all_items)


_TABLE_PUT_ITEM = Target(
    "moto.dynamodb.models.table", "Table.put_item", ("self", "item_attrs"), replaced=True
)
_TABLE_DELETE_ITEM = Target(
    "moto.dynamodb.models.table",
    "Table.delete_item",
    ("self", "hash_key", "range_key"),
    replaced=True,
)
_SORTED = "_pressroom_sorted_keys"
# The highest code point: a string key that begins with a prefix sorts below prefix + this.
_TOP = "\U0010ffff"
_OPERATORS = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}


def _sorted_keys(table: Any, hash_key: Any) -> list[Any]:
    """The range keys of one partition in order, kept up to date by put_item and delete_item
    (rebuilt when the partition's size says a write went around them)."""
    cache: dict[Any, list[Any]] = table.__dict__.setdefault(_SORTED, {})
    partition = table.items.get(hash_key, {})
    keys = cache.get(hash_key)
    if keys is None or len(keys) != len(partition):
        keys = cache[hash_key] = sorted(partition)
    return keys


def forget_sorted_keys(table: Any) -> None:
    """Drop a table's key order (after writing its storage directly, as a rollback does)."""
    table.__dict__.pop(_SORTED, None)


def _candidates(table: Any, hash_key: Any, arguments: dict[str, Any]) -> list[Any] | None:
    """The items of one partition a query can return, found by bisection: the key range, after
    the exclusive start key, at most limit + 1 from the end read first (moto's own loop then
    stops at the limit and sets LastEvaluatedKey exactly as over the whole partition). None
    when the query is not one this handles (an index, a filter, a non-string key)."""
    from bisect import bisect_left, bisect_right

    from moto.dynamodb.models.dynamo_type import DynamoType

    if table.range_key_type != "S" or arguments.get("filter_kwargs"):
        return None
    if len(arguments.get("range_key_conditions") or []) > 1:
        return None
    comparison = str(arguments.get("range_comparison") or "").upper()
    comparison = _OPERATORS.get(comparison, comparison)
    objects = arguments.get("range_objs") or []
    keys = _sorted_keys(table, hash_key)
    low, high = 0, len(keys)
    if comparison == "BETWEEN":
        low, high = bisect_left(keys, objects[0]), bisect_right(keys, objects[1])
    elif comparison == "BEGINS_WITH":
        prefix = str(objects[0].value)
        low = bisect_left(keys, objects[0])
        high = bisect_left(keys, DynamoType({"S": prefix + _TOP}))
    elif comparison == "EQ":
        low, high = bisect_left(keys, objects[0]), bisect_right(keys, objects[0])
    elif comparison in ("LT", "LE"):
        high = (bisect_left if comparison == "LT" else bisect_right)(keys, objects[0])
    elif comparison in ("GT", "GE"):
        low = (bisect_right if comparison == "GT" else bisect_left)(keys, objects[0])
    elif comparison:
        return None
    forward = arguments.get("scan_index_forward") is not False
    start = arguments.get("exclusive_start_key")
    if start:
        after = start[table.range_key_attr]
        after = after if isinstance(after, DynamoType) else DynamoType(after)
        if forward:
            low = max(low, bisect_right(keys, after))
        else:
            high = min(high, bisect_left(keys, after))
    limit = arguments.get("limit")
    if limit:
        if forward:
            high = min(high, low + limit + 1)
        else:
            low = max(low, high - limit - 1)
    partition = table.items.get(hash_key, {})
    return [partition[key] for key in keys[low : max(low, high)]]


def _install_dynamodb_query_range() -> None:
    """moto reads and sorts a whole partition for every query, whatever its key condition and
    Limit (14 ms at 100 items, 107 ms at 10,000 with Limit=50); DynamoDB reads only the key
    range up to the limit. Each partition's range keys are kept in order (put_item and
    delete_item insert and remove one key by bisection), and a base-table query hands moto's
    own loop only the items it can return: O(log n + limit). Installed after
    `dynamodb_partition_query`, whose all_items it narrows further."""
    import inspect
    from bisect import bisect_left, insort

    from moto.dynamodb.models.dynamo_type import DynamoType

    original_query = _TABLE_QUERY.current()
    original_all_items = _TABLE_ALL_ITEMS.current()
    original_put = _TABLE_PUT_ITEM.current()
    original_delete = _TABLE_DELETE_ITEM.current()
    signature = inspect.signature(_TABLE_QUERY.original())

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        hash_key = arguments.get("hash_key")
        if hash_key is None or arguments.get("index_name") or not self.range_key_attr:
            return original_query(self, *args, **kwargs)
        candidates = _candidates(self, hash_key, arguments)
        if candidates is None:
            return original_query(self, *args, **kwargs)
        self._pressroom_candidates = candidates
        try:
            return original_query(self, *args, **kwargs)
        finally:
            del self._pressroom_candidates

    def all_items(self: Any) -> Any:
        candidates = getattr(self, "_pressroom_candidates", None)
        return original_all_items(self) if candidates is None else candidates

    def put_item(self: Any, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        keys = self.__dict__.get(_SORTED, {})
        hash_key = range_key = None
        if self.range_key_attr and self.range_key_attr in item_attrs:
            hash_key = DynamoType(item_attrs[self.hash_key_attr])
            range_key = DynamoType(item_attrs[self.range_key_attr])
        new = hash_key in keys and range_key not in self.items.get(hash_key, {})
        item = original_put(self, item_attrs, *args, **kwargs)
        if new and hash_key in keys:
            insort(keys[hash_key], range_key)
        return item

    def delete_item(self: Any, hash_key: Any, range_key: Any, *args: Any, **kwargs: Any) -> Any:
        item = original_delete(self, hash_key, range_key, *args, **kwargs)
        keys = self.__dict__.get(_SORTED, {}).get(hash_key)
        if item is not None and keys is not None and range_key is not None:
            at = bisect_left(keys, range_key)
            if at < len(keys) and keys[at] == range_key:
                del keys[at]
        return item

    _replace("dynamodb_query_range", _TABLE_QUERY, query)
    _replace("dynamodb_query_range", _TABLE_ALL_ITEMS, all_items)
    _replace("dynamodb_query_range", _TABLE_PUT_ITEM, put_item)
    _replace("dynamodb_query_range", _TABLE_DELETE_ITEM, delete_item)


# -- CloudFront invalidations -----------------------------------------------------------------
INVALIDATION_SECONDS = 3.0
"""How long a new invalidation stays `InProgress` before it is `Completed` (CloudFront takes
from seconds to minutes); read when each invalidation is created, so tests may change it."""

MAX_PATHS_IN_PROGRESS = 3000
"""Paths without a wildcard that may be in progress per distribution at one time (AWS's quota)."""

MAX_WILDCARDS_IN_PROGRESS = 15
"""Wildcard paths that may be in progress per distribution at one time (AWS's quota)."""

_cloudfront_lock = threading.RLock()
"""Held by every patched CreateInvalidation: a request's checks and its creation are one step."""

_COMPLETES_AT = "_pressroom_completes_at"
"""On a moto Invalidation: the `time.monotonic()` at which it is `Completed`."""

_CREATE_INVALIDATION = Target(
    "moto.cloudfront.models",
    "CloudFrontBackend.create_invalidation",
    ("self", "dist_id", "paths", "caller_ref"),
    replaced=True,
)
_LIST_INVALIDATIONS = Target(
    "moto.cloudfront.models",
    "CloudFrontBackend.list_invalidations",
    ("self", "dist_id"),
    replaced=True,
)
_GET_INVALIDATION = Target(
    "moto.cloudfront.models",
    "CloudFrontBackend.get_invalidation",
    ("self", "dist_id", "id"),
    replaced=True,
)
_GET_DISTRIBUTION = Target(
    "moto.cloudfront.models",
    "CloudFrontBackend.get_distribution",
    ("self", "distribution_id"),
    replaced=True,
)
_INVALIDATION = Target(
    "moto.cloudfront.models", "Invalidation", ("distribution", "paths", "caller_ref")
)
_CLOUDFRONT_EXCEPTION = Target("moto.cloudfront.exceptions", "CloudFrontException")


def _cloudfront_error(code: str, message: str) -> Exception:
    from moto.cloudfront.exceptions import CloudFrontException

    return CloudFrontException(code, message)


def _in_progress(invalidation: Any) -> bool:
    return time.monotonic() < getattr(invalidation, _COMPLETES_AT, 0.0)


def _refresh_invalidations(backend: Any, dist_id: str) -> None:
    """Each invalidation's status as of now, and the distribution's count of running ones."""
    running = 0
    for invalidation in backend.invalidations.get(dist_id) or []:
        busy = _in_progress(invalidation)
        invalidation.status = "InProgress" if busy else "Completed"
        running += busy
    distribution = backend.distributions.get(dist_id)
    if distribution is not None:
        distribution.in_progress_invalidation_batches = running


def _install_cloudfront_invalidation_caller_reference() -> None:
    """A CallerReference already used for the distribution answers the invalidation it made
    when the paths are the same, and is refused when they differ; moto makes a new one."""
    original_create = _CREATE_INVALIDATION.current()

    def create_invalidation(self: Any, dist_id: str, paths: list[str], caller_ref: str) -> Any:
        with _cloudfront_lock:
            for earlier in self.invalidations.get(dist_id) or []:
                if earlier.caller_ref != caller_ref:
                    continue
                if list(earlier.paths) != list(paths):
                    # The API reference names InvalidationBatchAlreadyExists, which botocore's
                    # model does not have; CloudFront answers this (aws-cdk#3878).
                    raise _cloudfront_error(
                        "InvalidArgument",
                        "Your request contains a caller reference that was used for a previous"
                        " invalidation batch for the same distribution.",
                    )
                self.get_distribution(dist_id)
                return earlier
            return original_create(self, dist_id, paths, caller_ref)

    _replace("cloudfront_invalidation_caller_reference", _CREATE_INVALIDATION, create_invalidation)


def _install_cloudfront_invalidation_in_progress() -> None:
    """A new invalidation is `InProgress` for `INVALIDATION_SECONDS`, then `Completed` (moto
    answers `COMPLETED` at once, a status CloudFront never gives); GetDistribution counts the
    running ones."""
    original_create = _CREATE_INVALIDATION.current()
    original_list = _LIST_INVALIDATIONS.current()
    original_get = _GET_INVALIDATION.current()
    original_distribution = _GET_DISTRIBUTION.current()

    def create_invalidation(self: Any, dist_id: str, paths: list[str], caller_ref: str) -> Any:
        with _cloudfront_lock:
            invalidation = original_create(self, dist_id, paths, caller_ref)
            if not hasattr(invalidation, _COMPLETES_AT):
                setattr(invalidation, _COMPLETES_AT, time.monotonic() + INVALIDATION_SECONDS)
            _refresh_invalidations(self, dist_id)
            return invalidation

    def list_invalidations(self: Any, dist_id: str, *args: Any, **kwargs: Any) -> Any:
        _refresh_invalidations(self, dist_id)
        return original_list(self, dist_id, *args, **kwargs)

    def get_invalidation(self: Any, dist_id: str, id: str) -> Any:
        _refresh_invalidations(self, dist_id)
        return original_get(self, dist_id, id)

    def get_distribution(self: Any, distribution_id: str) -> Any:
        _refresh_invalidations(self, distribution_id)
        return original_distribution(self, distribution_id)

    name = "cloudfront_invalidation_in_progress"
    _replace(name, _CREATE_INVALIDATION, create_invalidation)
    _replace(name, _LIST_INVALIDATIONS, list_invalidations)
    _replace(name, _GET_INVALIDATION, get_invalidation)
    _replace(name, _GET_DISTRIBUTION, get_distribution)


def _install_cloudfront_invalidation_limits() -> None:
    """At most `MAX_PATHS_IN_PROGRESS` paths and `MAX_WILDCARDS_IN_PROGRESS` wildcard paths in
    progress per distribution; past either, TooManyInvalidationsInProgress. moto has no limit."""
    original_create = _CREATE_INVALIDATION.current()

    def create_invalidation(self: Any, dist_id: str, paths: list[str], caller_ref: str) -> Any:
        with _cloudfront_lock:
            running = [
                path
                for invalidation in self.invalidations.get(dist_id) or []
                if _in_progress(invalidation)
                for path in invalidation.paths
            ]
            wildcards = sum("*" in path for path in [*running, *paths])
            files = len(running) + len(paths) - wildcards
            if files > MAX_PATHS_IN_PROGRESS or wildcards > MAX_WILDCARDS_IN_PROGRESS:
                raise _cloudfront_error(
                    "TooManyInvalidationsInProgress",
                    "Processing your request will cause you to exceed the maximum number of"
                    f" in-progress invalidations ({MAX_PATHS_IN_PROGRESS} paths and"
                    f" {MAX_WILDCARDS_IN_PROGRESS} wildcard paths per distribution).",
                )
            return original_create(self, dist_id, paths, caller_ref)

    _replace("cloudfront_invalidation_limits", _CREATE_INVALIDATION, create_invalidation)


# -- AWS's hard limits moto does not enforce --------------------------------------------------
MAX_S3_KEY_BYTES = 1024
"""S3: an object key is at most 1,024 bytes of UTF-8 (KeyTooLongError)."""
MAX_S3_METADATA_BYTES = 2 * 1024
"""S3: user-defined metadata, the UTF-8 bytes of each name (without `x-amz-meta-`) and value,
is at most 2 KB (MetadataTooLarge)."""
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
"""DynamoDB: the items of one TransactWriteItems are at most 4 MB together (a Put its item, the
other actions their key, as DynamoDB counts item sizes)."""
TRANSACTION_TOO_LARGE = "Transaction item size has exceeded the 4 MB limit"

_S3_PUT_OBJECT = Target(
    "moto.s3.models",
    "S3Backend.put_object",
    ("self", "bucket_name", "key_name", "value"),
    replaced=True,
)
_S3_RESPONSE_PUT_OBJECT = Target(
    "moto.s3.responses", "S3Response.put_object", ("self",), replaced=True
)
_S3_CLIENT_ERROR = Target("moto.s3.exceptions", "S3ClientError")
_DYNAMODB_VALIDATION = Target("moto.dynamodb.exceptions", "MockValidationException", ("message",))


def _install_s3_key_length() -> None:
    """An object key over 1,024 bytes is refused with KeyTooLongError (HTTP 400), as S3 does;
    moto stores it. Every way moto creates an object goes through S3Backend.put_object."""
    from moto.s3.exceptions import S3ClientError

    original_put = _S3_PUT_OBJECT.current()

    def put_object(self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        if len(key_name.encode("utf-8")) > MAX_S3_KEY_BYTES:
            raise S3ClientError("KeyTooLongError", "Your key is too long")
        return original_put(self, bucket_name, key_name, *args, **kwargs)

    _replace("s3_key_length", _S3_PUT_OBJECT, put_object)


def _install_s3_metadata_size() -> None:
    """A PutObject whose user-defined metadata is over 2 KB is refused with MetadataTooLarge
    (HTTP 400), as S3 does; moto stores any amount."""
    from moto.s3.exceptions import S3ClientError

    original_put = _S3_RESPONSE_PUT_OBJECT.current()
    prefix = "x-amz-meta-"

    def put_object(self: Any) -> Any:
        size = sum(
            len(str(name)[len(prefix) :].encode("utf-8")) + len(str(value).encode("utf-8"))
            for name, value in self.headers.items()
            if str(name).lower().startswith(prefix)
        )
        if size > MAX_S3_METADATA_BYTES:
            raise S3ClientError(
                "MetadataTooLarge",
                "Your metadata headers exceed the maximum allowed metadata size.",
            )
        return original_put(self)

    _replace("s3_metadata_size", _S3_RESPONSE_PUT_OBJECT, put_object)


def _install_dynamodb_transaction_size() -> None:
    """A TransactWriteItems over 4 MB is refused with a ValidationException before anything is
    written, as DynamoDB does; moto applies it. Installed after the other transaction patches,
    so it checks before their lock and backup."""
    from moto.dynamodb.exceptions import MockValidationException

    from pressroom.adapters.dynamodb import item_size

    original_transaction = _TRANSACT_WRITE_ITEMS.current()

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        total = 0
        for entry in transact_items:
            kind, operation = next(iter(entry.items()))
            total += item_size(operation.get("Item" if kind == "Put" else "Key") or {})
        if total > MAX_TRANSACTION_BYTES:
            raise MockValidationException(TRANSACTION_TOO_LARGE)
        original_transaction(self, transact_items)

    _replace("dynamodb_transaction_size", _TRANSACT_WRITE_ITEMS, transact_write_items)


# -- request dispatch --------------------------------------------------------------------------
_S3_URL_MODULE = Target("moto.s3.models", "S3Backend._url_module", replaced=True)
_LIST_OF_MOTO_MODULES = Target("moto.backends", "list_of_moto_modules", (), replaced=True)
_BACKEND_FOR_HOST = Target(
    "moto.moto_server.werkzeug_app",
    "DomainDispatcherApplication.get_backend_for_host",
    ("self", "host"),
)
_STUBBER_PROCESS_REQUEST = Target(
    "moto.core.botocore_stubber", "BotocoreStubber.process_request", ("self", "request")
)


class _Property(property):
    """A property that can carry the names of the patches that installed it."""


def _install_s3_url_module_once() -> None:
    """moto.s3.urls is reloaded only when the custom endpoints it reads have changed."""
    from moto import settings

    original = _S3_URL_MODULE.original()
    loaded: dict[tuple[str, ...], Any] = {}
    lock = threading.Lock()

    def url_module(self: Any) -> Any:
        endpoints = tuple(settings.get_s3_custom_endpoints())
        with lock:
            if endpoints not in loaded:
                loaded.clear()
                loaded[endpoints] = original.fget(self)
            return loaded[endpoints]

    _replace("s3_url_module_once", _S3_URL_MODULE, _Property(url_module))


def _install_moto_modules_listed_once() -> None:
    """moto's server lists its own package folder once, not on every request."""
    modules = tuple(_LIST_OF_MOTO_MODULES.original()())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    _replace("moto_modules_listed_once", _LIST_OF_MOTO_MODULES, list_of_moto_modules)


_JSON_STRUCTURE = Target(
    "moto.core.serialize",
    "BaseJSONSerializer._serialize_type_structure",
    ("self", "serialized", "value", "shape", "key"),
    replaced=True,
)
_DYNAMO_TO_DICT = Target("moto.dynamodb.models.utilities", "dynamo_to_dict", ("obj",))
ATTRIBUTE_VALUE_SHAPE = "AttributeValue"


def plain_attribute_value(value: Any) -> bool:
    """Whether a DynamoDB attribute value, as moto hands it to its serializer, is already what
    the wire carries: strings, booleans, and lists and maps of them (binary values are bytes
    that the serializer still has to encode)."""
    if isinstance(value, str | bool):
        return True
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_attribute_value(v) for k, v in value.items())
    if isinstance(value, list):
        return all(plain_attribute_value(v) for v in value)
    return False


def _install_dynamodb_attribute_values_as_is() -> None:
    """An attribute value that is already in its wire form is copied into the response, not
    walked member by member through the AttributeValue shape's ten members."""
    original = _JSON_STRUCTURE.original()

    def serialize_structure(
        self: Any, serialized: dict[str, Any], value: Any, shape: Any, key: str
    ) -> None:
        if key and shape.name == ATTRIBUTE_VALUE_SHAPE and plain_attribute_value(value):
            serialized[self.get_serialized_name(shape, key)] = value
            return
        original(self, serialized, value, shape, key)

    _replace("dynamodb_attribute_values_as_is", _JSON_STRUCTURE, serialize_structure)


PATCHES: tuple[MotoPatch, ...] = (
    MotoPatch(
        "s3_event_fields",
        "S3 notifications lack versionId and sequencer",
        (_S3_EVENT, _SEND_EVENT),
        _install_s3_event_fields,
    ),
    MotoPatch(
        "s3_delete_marker_event",
        "a delete marker in a versioned bucket is not announced",
        (_DELETE_OBJECT, _GET_BUCKET, _SEND_EVENT, _DELETE_MARKER_EVENT),
        _install_s3_delete_marker_event,
    ),
    MotoPatch(
        "dynamodb_transaction_rollback",
        "a cancelled transaction swaps in deep copies of its tables, stream readers stay behind",
        (_MODELS_COPY, _TRANSACT_WRITE_ITEMS, _TABLE, _DYNAMO_TYPE),
        _install_dynamodb_transaction_rollback,
    ),
    MotoPatch(
        "dynamodb_atomic_writes",
        "DynamoDB writes and transactions interleave under threads",
        (*_BACKEND_METHODS, _TRANSACT_WRITE_ITEMS, _STREAM_ADD, _STREAM_GET),
        _install_dynamodb_atomic_writes,
    ),
    MotoPatch(
        "dynamodb_partition_query",
        "a base-table query reads and sorts every item of the table",
        (_TABLE_QUERY, _TABLE_ALL_ITEMS),
        _install_dynamodb_partition_query,
    ),
    MotoPatch(
        "dynamodb_query_range",
        "a query reads and sorts its whole partition whatever its key range and Limit",
        (_TABLE_QUERY, _TABLE_ALL_ITEMS, _TABLE_PUT_ITEM, _TABLE_DELETE_ITEM, _DYNAMO_TYPE),
        _install_dynamodb_query_range,
    ),
    MotoPatch(
        "cloudfront_invalidation_limits",
        "no limit on the invalidation paths and wildcards in progress",
        (_CREATE_INVALIDATION, _INVALIDATION, _CLOUDFRONT_EXCEPTION),
        _install_cloudfront_invalidation_limits,
    ),
    MotoPatch(
        "cloudfront_invalidation_in_progress",
        "an invalidation is COMPLETED at once, never InProgress",
        (
            _CREATE_INVALIDATION,
            _LIST_INVALIDATIONS,
            _GET_INVALIDATION,
            _GET_DISTRIBUTION,
            _INVALIDATION,
        ),
        _install_cloudfront_invalidation_in_progress,
    ),
    MotoPatch(
        "cloudfront_invalidation_caller_reference",
        "a repeated CallerReference makes a new invalidation",
        (_CREATE_INVALIDATION, _INVALIDATION, _CLOUDFRONT_EXCEPTION),
        _install_cloudfront_invalidation_caller_reference,
    ),
    MotoPatch(
        "s3_key_length",
        "an object key over 1,024 bytes is stored",
        (_S3_PUT_OBJECT, _S3_CLIENT_ERROR),
        _install_s3_key_length,
    ),
    MotoPatch(
        "s3_metadata_size",
        "user-defined metadata over 2 KB is stored",
        (_S3_RESPONSE_PUT_OBJECT, _S3_CLIENT_ERROR),
        _install_s3_metadata_size,
    ),
    MotoPatch(
        "dynamodb_transaction_size",
        "a transaction over 4 MB is applied",
        (_TRANSACT_WRITE_ITEMS, _DYNAMODB_VALIDATION),
        _install_dynamodb_transaction_size,
    ),
    MotoPatch(
        "s3_url_module_once",
        "every in-process S3 request reloads moto.s3.urls from disk",
        (_S3_URL_MODULE, _STUBBER_PROCESS_REQUEST),
        _install_s3_url_module_once,
    ),
    MotoPatch(
        "moto_modules_listed_once",
        "the server lists moto's package folder on every request, holding its lock",
        (_LIST_OF_MOTO_MODULES, _BACKEND_FOR_HOST),
        _install_moto_modules_listed_once,
    ),
    MotoPatch(
        "dynamodb_attribute_values_as_is",
        "every attribute of every item returned is serialized by walking its shape's members",
        (_JSON_STRUCTURE, _DYNAMO_TO_DICT),
        _install_dynamodb_attribute_values_as_is,
    ),
)
"""Every patch, in the order `install_moto_fidelity` installs them."""


def install_moto_fidelity() -> None:
    """Install every patch of `PATCHES` into moto, once per process."""
    global _installed
    if _installed:
        return
    for patch in PATCHES:
        patch.install()
    _installed = True
