"""Lambda events to keys: S3 notifications (bare or in SQS messages) and table stream batches."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pressroom.model import SourceChange

POSTS_PREFIX = "posts/"


def post_identity(key: str) -> str:
    """The post a source key is: its NFC spelling. S3 keys are bytes, so `café.md` typed on
    Linux (é as U+00E9) and uploaded from macOS (e + U+0301) are two keys that look the same;
    pressroom makes them one post, recorded under the NFC spelling."""
    return unicodedata.normalize("NFC", key)


def spellings(key: str) -> list[str]:
    """The spellings of one post an event can name cheaply: NFC, NFD and the key itself (the
    first two cover every upload tool; a mixed spelling is found by reconcile's listing)."""
    forms = [post_identity(key), unicodedata.normalize("NFD", key), key]
    return list(dict.fromkeys(forms))


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"


def _segments(key: str) -> Iterator[tuple[str, str]]:
    """(character as shown, the code points this key spells it with), character by character
    of the NFC spelling; a key that does not align gets its own characters."""
    position = 0
    for char in post_identity(key):
        for written in (char, unicodedata.normalize("NFD", char)):
            if key.startswith(written, position):
                position += len(written)
                yield char, written
                break
        else:
            yield from ((own, own) for own in key[position:])
            return


def spelled(key: str) -> str:
    """A key with the code points of each character that has two spellings, for an editor
    who sees two identical names: `posts/café.md (é as e + U+0301)`."""
    parts: list[str] = []
    for shown, written in _segments(key):
        if unicodedata.normalize("NFD", shown) == shown:
            continue  # one spelling only (ASCII, Chinese, ...)
        codes = " + ".join(char if ord(char) < 128 else _code(char) for char in written)
        part = f"{shown} as {codes}"
        if part not in parts:
            parts.append(part)
    return f"{key} ({', '.join(parts)})" if parts else key


def spelling_notice(live: str, keys: Iterable[str], shown: str | None = None) -> tuple[str, str]:
    """(what, fix) telling an editor that one post exists under several spellings of its file
    name, which one is the post, and what to delete; `shown`, the spelling the site shows when
    the one uploaded last is invalid."""
    others = [key for key in sorted(set(keys)) if key != live]
    names = " and ".join(spelled(key) for key in [live, *others])
    what = (
        f"{names} are one file name written with different Unicode code points; pressroom "
        f"treats them as one post, and the one uploaded last is the post: {spelled(live)}"
    )
    if shown == live:
        what += "; it is invalid, so the site shows its last valid upload"
    elif shown is not None:
        what += f"; it is invalid, so the site shows the last valid one: {spelled(shown)}"
    fix = f"delete {' and '.join(spelled(key) for key in others)} so that one spelling remains"
    return what, fix


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
