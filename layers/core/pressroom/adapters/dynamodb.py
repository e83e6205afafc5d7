"""DynamoDB: the posts table. Its layout (keys, item shapes, memberships, counters, stream
records) lives here and nowhere else; see README, "Data model"."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import (
    ClientError,
)

from pressroom.adapters.errors import _TRANSIENT_REASONS, translated
from pressroom.errors import (
    PermanentError,
    StaleState,
    TransientError,
)
from pressroom.model import (
    Claim,
    Commit,
    Entry,
    IndexChange,
    Listed,
    Located,
    PageRef,
    PendingInvalidation,
    PostProblem,
    PostRecord,
    PostState,
    Rejection,
    StaleMark,
    TaxonomyKind,
    Term,
    TermCount,
    UrlClaims,
)
from pressroom.urls import slugify

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_SERIALIZE = TypeSerializer().serialize
_DESERIALIZE = TypeDeserializer().deserialize


# -- the table's layout (see README, "Data model") ------------------------------------------
def listing_pk(kind: TaxonomyKind | None, slug: str = "") -> str:
    return "ALL" if kind is None else f"{'CAT' if kind == 'category' else 'TAG'}#{slug}"


def taxonomy_pk(kind: TaxonomyKind) -> str:
    return "CATS" if kind == "category" else "TAGS"


def months_pk(kind: TaxonomyKind | None, slug: str = "") -> str:
    return f"MONTHS#{listing_pk(kind, slug)}"


def membership_sk(listed: Listed) -> str:
    return f"{listed.date_utc}#{listed.source_key}"


def listed_values(listed: Listed) -> dict[str, Any]:
    return {
        "source_key": listed.source_key,
        "title": listed.title,
        "url": listed.url,
        "display_date": listed.display_date,
        "date_utc": listed.date_utc,
        "excerpt": listed.excerpt,
        "month": listed.month,
        "hour": listed.hour,
    }


def listing_rev(values: Mapping[str, Any]) -> str:
    """A digest of what a listing item shows: a page check compares keys and digests only."""
    text = "\x1f".join(f"{key}={values.get(key, '')}" for key in _LISTED_SHOWN)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


_LISTED_SHOWN = ("title", "url", "display_date", "excerpt", "name", "terms")


def site_terms(listed: Listed) -> list[str]:
    """The site listing item's `terms`: `category:<slug>` and `tag:<slug>` of each of the
    post's categories and tags (the pages a sitemap shard lists beside the post)."""
    return [f"{kind}:{term.slug}" for kind, term in listed.terms()]


def located_terms(values: Iterable[str]) -> tuple[tuple[TaxonomyKind, str], ...]:
    found: list[tuple[TaxonomyKind, str]] = []
    for value in values:
        kind, _, slug = str(value).partition(":")
        found.append(("category" if kind == "category" else "tag", slug))
    return tuple(found)


def membership_items(listed: Listed | None) -> dict[tuple[str, str], dict[str, Any]]:
    """The listing items a live post has: one in ALL and one per category and tag."""
    if listed is None:
        return {}
    sk = membership_sk(listed)
    base = listed_values(listed)
    home = {"PK": "ALL", "SK": sk, "terms": site_terms(listed)} | base
    members = {("ALL", sk): home | {"rev": listing_rev(home)}}
    for kind, term in listed.terms():
        pk = listing_pk(kind, term.slug)
        member = {"PK": pk, "SK": sk, "name": term.name} | base
        members[(pk, sk)] = member | {"rev": listing_rev(member)}
    return members


def day_attribute(hour: str) -> str:
    """The month counter's attribute counting one day (`d15` for `2026-01-15T09`)."""
    return f"d{hour[8:10]}"


def hour_attribute(hour: str) -> str:
    """The month counter's attribute counting one hour (`h15T09` for `2026-01-15T09`)."""
    return f"h{hour[8:13]}"


def period_counts(month: str, values: Mapping[str, Any]) -> dict[str, int]:
    """A month counter item's counts by period: the month (`YYYY-MM`), its days (`YYYY-MM-DD`)
    and its hours (`YYYY-MM-DDTHH`), those with posts only."""
    counts = {month: int(values.get("count", 0) or 0)}
    for name, value in values.items():
        if len(name) == 3 and name[0] == "d" and name[1:].isdigit():
            counts[f"{month}-{name[1:]}"] = int(value or 0)
        elif len(name) == 6 and name[0] == "h" and name[3] == "T":
            counts[f"{month}-{name[1:3]}T{name[4:6]}"] = int(value or 0)
    return {period: count for period, count in counts.items() if count > 0}


def counter_changes(
    old: Listed | None, new: Listed | None
) -> dict[tuple[str, str, str], dict[str, int]]:
    """Counter deltas (PK, SK, display name) → {attribute: delta}: per-spelling totals of each
    category and tag (`CATS`/`TAGS`, `<slug>#<spelling>`: `count`) and per-month totals of
    the site and of each category and tag (`MONTHS#ALL`, `MONTHS#…`, `YYYY-MM`: `count`, and
    the post's day `dDD` and hour `hDDTHH`), one item updated once however many of its
    attributes change."""
    deltas: dict[tuple[str, str, str], dict[str, int]] = {}
    for listed, sign in ((old, -1), (new, 1)):
        if listed is None:
            continue
        periods = ["count"]
        if listed.hour:
            periods += [day_attribute(listed.hour), hour_attribute(listed.hour)]
        site = deltas.setdefault((months_pk(None), listed.month, listed.month), {})
        for attribute in periods:
            site[attribute] = site.get(attribute, 0) + sign
        for kind, term in listed.terms():
            spelling = deltas.setdefault(
                (taxonomy_pk(kind), f"{term.slug}#{term.name}", term.name), {}
            )
            spelling["count"] = spelling.get("count", 0) + sign
            month = deltas.setdefault((months_pk(kind, term.slug), listed.month, listed.month), {})
            for attribute in periods:
                month[attribute] = month.get(attribute, 0) + sign
    changes = {
        key: {name: delta for name, delta in attributes.items() if delta}
        for key, attributes in deltas.items()
    }
    return {key: attributes for key, attributes in changes.items() if attributes}


CounterKey = tuple[str, str, str]


def counter_updates(
    old: Listed | None, new: Listed | None
) -> dict[CounterKey, tuple[dict[str, int], tuple[str, ...]]]:
    """Every counter item a commit updates: its deltas (`counter_changes`) and, on a month
    counter, the hours (`hDDTHH`) whose listing items the commit changes, set as `changed`
    even when no count moves (an edited title): the counter's stream record then tells the
    archive which day and hour pages are stale (see `pages.archive`)."""
    deltas = counter_changes(old, new)
    old_members, new_members = membership_items(old), membership_items(new)
    touched: dict[CounterKey, set[str]] = {}
    for listed in (old, new):
        if listed is None or not listed.hour:
            continue
        listings: list[tuple[TaxonomyKind | None, str]] = [(None, "")]
        listings += [(kind, term.slug) for kind, term in listed.terms()]
        for kind, slug in listings:
            member = (listing_pk(kind, slug), membership_sk(listed))
            if old_members.get(member) != new_members.get(member):
                key = (months_pk(kind, slug), listed.month, listed.month)
                touched.setdefault(key, set()).add(hour_attribute(listed.hour))
    return {
        key: (deltas.get(key, {}), tuple(sorted(touched.get(key, ()))))
        for key in sorted(deltas.keys() | touched.keys())
    }


def term_counts(rows: Iterable[tuple[str, int]]) -> list[TermCount]:
    """Taxonomy rows (`<slug>#<spelling>`, count) to one TermCount per slug with posts: the total,
    and as name the spelling most posts use (ties: the smallest), whatever the order of events."""
    spellings: dict[str, dict[str, int]] = {}
    for sk, count in rows:
        slug, _, name = sk.partition("#")
        spellings.setdefault(slug, {})[name or slug] = count
    counts = []
    for slug in sorted(spellings):
        names = {name: count for name, count in spellings[slug].items() if count > 0}
        if names:
            name = min(names, key=lambda n: (-names[n], n))
            counts.append(TermCount(slug, name, sum(names.values())))
    return counts


# Items per commit: the post, its rejection, on each of the (new and old) URLs a claim and
# the URL's owner item, and for each category and tag a membership (new and old), a
# per-spelling count and a per-month count (twice when they move), plus the home listing
# and the site's month count (new and old).
MAX_TRANSACTION_ITEMS = 100


def commit_items(terms: int) -> int:
    """The most items one commit of a post with this many categories and tags writes."""
    return 6 * terms + 10


def url_pk(url: str) -> str:
    return f"URL#{url}"


OWNER_SK = "OWNER"


def claim_sk(claim: Claim) -> str:
    """A claim's sort key, `<UTC date>#<source key>` like a listing's (so no longer than one):
    DynamoDB sorts it (UTF-8 bytes) exactly as `Claim`s compare, and every claim sorts before
    the URL's owner item (a date starts with a digit)."""
    return f"{claim.date_utc}#{claim.source_key}"


def is_claim_sk(sk: str) -> bool:
    return sk != OWNER_SK


def check_commit_fits(max_categories: int, max_tags: int) -> None:
    """A post and all its listings are committed in one transaction: refuse limits that could
    not be."""
    if commit_items(max_categories + max_tags) > MAX_TRANSACTION_ITEMS:
        raise ValueError(
            "limits.max_categories + limits.max_tags must be at most 15: "
            "a post and all its listings are committed in one DynamoDB transaction"
        )


# -- DynamoDB's hard limits, checked on the exact items a commit writes ----------------------
# (Constraints in Amazon DynamoDB; 1 KB = 1,024 bytes there.)
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
MAX_ITEM_BYTES = 400 * 1024
MAX_TRANSACTION_BYTES = 4 * 1024 * 1024
BATCH_GET_KEYS = 100
_BATCH_GET_ATTEMPTS = 8

# Which front-matter field an attribute of the post item comes from, for the editor.
_FIELD_OF_ATTRIBUTE = {
    "title": "title",
    "excerpt": "body",
    "warnings": "body",
    "categories": "categories",
    "tags": "tags",
    "url": "permalink",
    "retired_urls": "permalink",
}
_HINT_OF_FIELD = {
    "title": "shorten the title",
    "body": "shorten the body, or link to fewer pages that do not exist",
    "categories": "use fewer or shorter categories",
    "tags": "use fewer or shorter tags",
    "permalink": "use a shorter permalink",
}


def attribute_size(value: Mapping[str, Any]) -> int:
    """The bytes DynamoDB counts for one attribute value in wire format (without its name), as
    "DynamoDB item sizes and formats" documents them: strings and binaries their UTF-8 or raw
    length, numbers 1 byte per two significant digits plus 1, null and Boolean 1, a list or map
    3 plus 1 per element plus its elements (a map's with their names)."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode("utf-8"))
    if kind == "B":
        return len(inner)
    if kind == "N":
        return _number_size(str(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(item).encode("utf-8")) for item in inner)
    if kind == "NS":
        return sum(_number_size(str(item)) for item in inner)
    if kind == "BS":
        return sum(len(item) for item in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(item) for item in inner)
    if kind == "M":
        return 3 + sum(
            1 + len(name.encode("utf-8")) + attribute_size(item) for name, item in inner.items()
        )
    raise ValueError(f"not a DynamoDB attribute value: {value!r}")


def _number_size(text: str) -> int:
    mantissa = text.lower().split("e", 1)[0]
    digits = "".join(char for char in mantissa if char.isdigit()).strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """An item's size as DynamoDB counts it: its attribute names and values, UTF-8."""
    return sum(len(name.encode("utf-8")) + attribute_size(value) for name, value in item.items())


def _operation_size(operation: Mapping[str, Any]) -> int:
    """What an action adds to a transaction's size: a Put its item, the others their key."""
    kind, body = next(iter(operation.items()))
    return item_size(body["Item"] if kind == "Put" else body["Key"])


def _term_keys(kind: TaxonomyKind, slug: str, name: str) -> list[str]:
    """The key parts a category or tag spelled `name` puts into the table."""
    return [listing_pk(kind, slug), months_pk(kind, slug), f"{slug}#{name}"]


def _shown(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _longest_fitting(name: str, fits: Callable[[str], bool]) -> int:
    """The most leading characters of `name` that still fit (0 if none do)."""
    low, high = 0, len(name)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(name[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def commit_problems(commit: Commit, operations: list[dict[str, Any]]) -> list[PostProblem]:
    """Why DynamoDB would refuse the transaction `operations` that commits `commit`: a key over
    its size, an item over 400 KB, more than 100 actions or more than 4 MB. Each problem names
    the front-matter field it comes from (the file name, a category or tag, the body ...)."""
    record = commit.record
    terms = record.listed.terms() if record.listed is not None else []
    worst: dict[tuple[str, str], tuple[int, PostProblem]] = {}

    def blame(what: tuple[str, str], excess: int, problem: PostProblem) -> None:
        if what not in worst or worst[what][0] < excess:
            worst[what] = (excess, problem)

    for operation in operations:
        kind, body = next(iter(operation.items()))
        key = body["Item"] if kind == "Put" else body["Key"]
        for attribute, limit, what in (
            ("PK", MAX_PARTITION_KEY_BYTES, "partition key"),
            ("SK", MAX_SORT_KEY_BYTES, "sort key"),
        ):
            part = str(key[attribute]["S"])
            size = len(part.encode("utf-8"))
            if size <= limit:
                continue
            culprit = next(
                ((k, t) for k, t in terms if part in _term_keys(k, t.slug, t.name)), None
            )
            if culprit is not None:
                term_kind, term = culprit
                field = "categories" if term_kind == "category" else "tags"

                def fits(prefix: str, term_kind: TaxonomyKind = term_kind) -> bool:
                    pk, months, counter = _term_keys(term_kind, slugify(prefix), prefix)
                    return (
                        len(pk.encode()) <= MAX_PARTITION_KEY_BYTES
                        and len(months.encode()) <= MAX_PARTITION_KEY_BYTES
                        and len(counter.encode()) <= MAX_SORT_KEY_BYTES
                    )

                most = _longest_fitting(term.name, fits)
                blame(
                    (field, term.slug),
                    size - limit,
                    PostProblem(
                        field,
                        f"the {term_kind} {_shown(term.name)!r} makes a key of {size:,} bytes; "
                        f"DynamoDB allows {limit:,} for a {what}",
                        f"shorten it to at most {most:,} characters",
                    ),
                )
            elif record.source_key in part:
                blame(
                    ("file", ""),
                    size - limit,
                    PostProblem(
                        "file",
                        f"its name makes a key of {size:,} bytes in the posts table; DynamoDB "
                        f"allows {limit:,} for a {what}",
                        f"shorten the file name by at least {size - limit:,} bytes "
                        "(a Chinese character is 3 bytes, a Latin letter 1)",
                    ),
                )
            else:
                blame(
                    ("permalink", part),
                    size - limit,
                    PostProblem(
                        "permalink",
                        f"makes a key of {size:,} bytes; DynamoDB allows {limit:,} for a {what}",
                        _HINT_OF_FIELD["permalink"],
                    ),
                )
        if kind == "Put":
            size = item_size(key)
            if size > MAX_ITEM_BYTES:
                sizes = {
                    name: len(name.encode("utf-8")) + attribute_size(value)
                    for name, value in key.items()
                }
                largest = max(sizes, key=lambda name: sizes[name])
                field = _FIELD_OF_ATTRIBUTE.get(largest, "post")
                blame(
                    (field, "item"),
                    size - MAX_ITEM_BYTES,
                    PostProblem(
                        field,
                        f"makes the post's record in the table {size:,} bytes, {sizes[largest]:,} "
                        f"of them its {largest}; DynamoDB allows {MAX_ITEM_BYTES:,} (400 KB) "
                        "per item",
                        _HINT_OF_FIELD.get(field, "make the post smaller"),
                    ),
                )
    problems = [problem for _, problem in worst.values()]
    if len(operations) > MAX_TRANSACTION_ITEMS:
        problems.append(
            PostProblem(
                "categories",
                f"the post and its listings make a transaction of {len(operations)} items; "
                f"DynamoDB allows {MAX_TRANSACTION_ITEMS}",
                "use fewer categories and tags",
            )
        )
    total = sum(_operation_size(operation) for operation in operations)
    if total > MAX_TRANSACTION_BYTES:
        problems.append(
            PostProblem(
                "post",
                f"the post and its listings make a transaction of {total:,} bytes; DynamoDB "
                f"allows {MAX_TRANSACTION_BYTES:,} (4 MB)",
                "use fewer categories and tags, or a shorter title",
            )
        )
    return problems


def layout_problems(commit: Commit) -> list[PostProblem]:
    """`DynamoPostRepository.problems` without a table or a client: the same items and the same
    checks, for folder builds and `pressroom check`."""
    return DynamoPostRepository("", cast("DynamoDBClient", None)).problems(commit)


class DynamoTableChanges:
    """The table's stream images read as changes to what index pages are made of."""

    def index_changes(self, images: Iterable[Mapping[str, Any]]) -> list[IndexChange]:
        changes: list[IndexChange] = []
        for image in images:
            pk, sk = str(image.get("PK", "")), str(image.get("SK", ""))
            head, _, slug = pk.partition("#")
            if pk == "ALL":
                changes.append(IndexChange("listing", None, "", sk.split("#", 1)[0]))
            elif head in ("CAT", "TAG"):
                kind: TaxonomyKind = "category" if head == "CAT" else "tag"
                changes.append(IndexChange("listing", kind, slug, sk.split("#", 1)[0]))
            elif pk in ("CATS", "TAGS"):
                # a count item per spelling: `<slug>#<spelling>`
                kind = "category" if pk == "CATS" else "tag"
                changes.append(IndexChange("term", kind, sk.partition("#")[0]))
            elif head == "MONTHS":
                kind_code, _, term = slug.partition("#")
                counts = period_counts(sk, image)
                days = [(p, c) for p, c in sorted(counts.items()) if "T" not in p]
                if sk not in counts:
                    days.insert(0, (sk, 0))
                for hour in image.get("changed") or []:
                    period = f"{sk}-{str(hour)[1:3]}T{str(hour)[4:6]}"
                    days.append((period, counts.get(period, 0)))
                months_of: TaxonomyKind | None = (
                    None if slug == "ALL" else "category" if kind_code == "CAT" else "tag"
                )
                changes.append(IndexChange("months", months_of, term, counts=tuple(days)))
            elif head == "URL" and sk == OWNER_SK and _contested(image):
                changes.append(IndexChange("claims", None, pk.removeprefix("URL#")))
        return changes


def _contested(image: Mapping[str, Any]) -> bool:
    """Whether an owner item's image shows a URL with more than one claim, or one whose owner
    changed: the claimants' statuses may have to change (see `IndexBuilder.requeue`)."""
    owner, previous = str(image.get("source_key", "")), str(image.get("previous_owner", ""))
    return int(str(image.get("claimants", 0) or 0)) > 1 or bool(previous and previous != owner)


OUTBOX_PK = "OUTBOX"


class DynamoInvalidationOutbox:
    """The invalidation outbox: items `OUTBOX` / `<UTC time>#<random id>`, each with the paths
    one writer is about to change. Writing one is a stream record, so BuildIndexes runs and
    flushes it."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def record(self, paths: list[str]) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        item: dict[str, Any] = {
            "PK": {"S": OUTBOX_PK},
            "SK": {"S": f"{now}#{uuid.uuid4().hex}"},
            "paths": {"L": [{"S": path} for path in paths]},
        }
        with translated("dynamodb:PutItem"):
            self.client.put_item(TableName=self.table, Item=item)

    def pending(self, limit: int) -> list[PendingInvalidation]:
        with translated("dynamodb:Query"):
            response = self.client.query(
                TableName=self.table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": OUTBOX_PK}},
                ConsistentRead=True,
                Limit=limit,
            )
        return [
            PendingInvalidation(item["SK"]["S"], tuple(path["S"] for path in item["paths"]["L"]))
            for item in response.get("Items", [])
        ]

    def done(self, ids: list[str]) -> None:
        for entry in ids:
            with translated("dynamodb:DeleteItem"):
                self.client.delete_item(
                    TableName=self.table, Key={"PK": {"S": OUTBOX_PK}, "SK": {"S": entry}}
                )


STALE_PK = "STALE"
# The page references one STALE item holds at most, in bytes: a batch that makes more pages
# stale than this writes several items (DynamoDB's items are at most 400 KB).
STALE_ITEM_BYTES = 300 * 1024


def _stale_ref(ref: PageRef) -> dict[str, Any]:
    return {"M": {"kind": {"S": ref.kind}, "term": {"S": ref.term}, "month": {"S": ref.month}}}


class DynamoStalePages:
    """Index pages made stale and not yet written: items `STALE` / `<batch>#<part>`, each with
    the page references (kind, term, month) of one BuildIndexes batch. The batch is the
    stream record it starts at, so every retry of a batch rewrites the same items; a batch
    that wrote its pages deletes them, and what a batch that exhausted its retries left is
    rebuilt by Rebuild (the daily reconcile, `pressroom redrive`). These items' own stream
    records describe no index change (`DynamoTableChanges` skips them)."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

    def mark(self, batch: str, refs: list[PageRef]) -> list[str]:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parts: list[list[dict[str, Any]]] = [[]]
        size = 0
        for ref in refs:
            value = _stale_ref(ref)
            grows = 1 + attribute_size(value)
            if parts[-1] and size + grows > STALE_ITEM_BYTES:
                parts.append([])
                size = 0
            parts[-1].append(value)
            size += grows
        ids = []
        for number, part in enumerate(parts if refs else []):
            sk = f"{batch}#{number}"
            item: dict[str, Any] = {
                "PK": {"S": STALE_PK},
                "SK": {"S": sk},
                "pages": {"L": part},
                "marked_at": {"S": now},
            }
            with translated("dynamodb:PutItem"):
                self.client.put_item(TableName=self.table, Item=item)
            ids.append(sk)
        return ids

    def pending(self) -> list[StaleMark]:
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": STALE_PK}},
            "ConsistentRead": True,
        }
        marks = []
        while True:
            with translated("dynamodb:Query"):
                response = self.client.query(**request)
            for item in response.get("Items", []):
                refs = (value["M"] for value in item.get("pages", {}).get("L", []))
                marks.append(
                    StaleMark(
                        item["SK"]["S"],
                        tuple(
                            PageRef(ref["kind"]["S"], ref["term"]["S"], ref["month"]["S"])
                            for ref in refs
                        ),
                    )
                )
            if "LastEvaluatedKey" not in response:
                return marks
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def clear(self, ids: list[str]) -> None:
        for sk in ids:
            with translated("dynamodb:DeleteItem"):
                self.client.delete_item(
                    TableName=self.table, Key={"PK": {"S": STALE_PK}, "SK": {"S": sk}}
                )


class DynamoPostRepository:
    """The posts table (one table, items described in README, "Data model")."""

    def __init__(self, table: str, client: DynamoDBClient) -> None:
        self.table = table
        self.client = client

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
            "revision": uuid.uuid4().hex,
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
                hour=values.get("hour", ""),
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
            revision=values.get("revision", ""),
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
    def _query(self, **conditions: Any) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True} | conditions
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
        """The source key of the first claim on the URL (its owner item says it)."""
        with translated("dynamodb:GetItem"):
            response = self.client.get_item(
                TableName=self.table,
                Key={"PK": {"S": url_pk(url)}, "SK": {"S": OWNER_SK}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return str(self._plain(item)["source_key"]) if item else None

    def url_claims(self, url: str) -> UrlClaims:
        """Every claim on the URL in the rule's order, and its owner item's guard: one query of
        the URL's partition (its claims and owner item, strongly consistent)."""
        claims: list[Claim] = []
        guard = ""
        for values in self._query(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": url_pk(url)}},
        ):
            if values["SK"] == OWNER_SK:
                guard = str(values.get("guard", ""))
            elif is_claim_sk(str(values["SK"])):
                claims.append(Claim(str(values["date_utc"]), str(values["source_key"])))
        return UrlClaims(url, tuple(sorted(claims)), guard)

    def url_owners(self, urls: Iterable[str]) -> dict[str, str | None]:
        """The owner of each URL, read with BatchGetItem (100 keys a request, strongly
        consistent; keys DynamoDB leaves unprocessed are asked for again, with backoff)."""
        wanted = list(dict.fromkeys(urls))
        owners: dict[str, str | None] = dict.fromkeys(wanted)
        for start in range(0, len(wanted), BATCH_GET_KEYS):
            keys = [
                {"PK": {"S": url_pk(url)}, "SK": {"S": OWNER_SK}}
                for url in wanted[start : start + BATCH_GET_KEYS]
            ]
            request: dict[str, Any] = {
                self.table: {
                    "Keys": keys,
                    "ConsistentRead": True,
                    "ProjectionExpression": "#pk, #owner",
                    "ExpressionAttributeNames": {"#pk": "PK", "#owner": "source_key"},
                }
            }
            for attempt in range(_BATCH_GET_ATTEMPTS):
                with translated("dynamodb:BatchGetItem"):
                    response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    values = self._plain(item)
                    owners[str(values["PK"]).removeprefix("URL#")] = str(values["source_key"])
                request = dict(response.get("UnprocessedKeys") or {})
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise TransientError("dynamodb:BatchGetItem kept keys unprocessed")
        return owners

    def problems(self, commit: Commit) -> list[PostProblem]:
        """Why DynamoDB would refuse this commit's transaction (see `commit_problems`)."""
        operations, _ = self._operations(commit)
        return commit_problems(commit, operations)

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
                f"{values['SK']}@{values.get('rev', '')}",
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

    def _range(
        self, kind: TaxonomyKind | None, slug: str, start_utc: str, end_utc: str, limit: int | None
    ) -> dict[str, Any]:
        conditions: dict[str, Any] = {
            "KeyConditionExpression": "PK = :pk AND SK BETWEEN :start AND :end",
            "ExpressionAttributeValues": {
                ":pk": {"S": listing_pk(kind, slug)},
                ":start": {"S": start_utc},
                ":end": {"S": end_utc},
            },
            "ScanIndexForward": False,
        }
        return conditions | ({"Limit": limit} if limit is not None else {})

    def between(
        self,
        kind: TaxonomyKind,
        slug: str,
        start_utc: str,
        end_utc: str,
        limit: int | None = None,
    ) -> list[Entry]:
        return self._entries(self._query(**self._range(kind, slug, start_utc, end_utc, limit)))

    def versions(
        self,
        kind: TaxonomyKind | None,
        slug: str,
        start_utc: str,
        end_utc: str,
        limit: int | None,
    ) -> list[str]:
        """`Entry.version` of the newest `limit` posts in the range: keys and digests only."""
        conditions = self._range(kind, slug, start_utc, end_utc, limit)
        conditions |= {"ProjectionExpression": "SK, rev"}
        return [f"{values['SK']}@{values.get('rev', '')}" for values in self._query(**conditions)]

    def located(self, start_utc: str, end_utc: str) -> list[Located]:
        conditions = self._range(None, "", start_utc, end_utc, None)
        conditions |= {
            "ProjectionExpression": "SK, rev, #url, #date, #terms",
            "ExpressionAttributeNames": {"#url": "url", "#date": "display_date", "#terms": "terms"},
        }
        return [
            Located(
                values["url"],
                values["display_date"],
                located_terms(values.get("terms") or ()),
                f"{values['SK']}@{values.get('rev', '')}",
            )
            for values in self._query(**conditions)
        ]

    def months(self, kind: TaxonomyKind | None, slug: str) -> list[tuple[str, int]]:
        return [
            (values["SK"], int(values.get("count", 0)))
            for values in self._query(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": months_pk(kind, slug)}},
                ExpressionAttributeNames={"#count": "count"},
                ProjectionExpression="SK, #count",
                ScanIndexForward=False,
            )
        ]

    def periods(self, kind: TaxonomyKind | None, slug: str, month: str) -> dict[str, int]:
        """The counts of a month, its days and its hours (one item, see `period_counts`)."""
        with translated("dynamodb:GetItem"):
            response = self.client.get_item(
                TableName=self.table,
                Key={"PK": {"S": months_pk(kind, slug)}, "SK": {"S": month}},
                ConsistentRead=True,
            )
        item = response.get("Item")
        return period_counts(month, self._plain(item)) if item else {}

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
                self.client.transact_write_items(TransactItems=cast(Any, operations))
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
                raise StaleState(
                    f"{commit.record.source_key}: the claims on its URL changed meanwhile"
                ) from error
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
        elif previous.revision:
            # The exact item read: two commits of one sequencer (a repair, a re-ranked claim)
            # cannot both apply to it.
            meta["ConditionExpression"] = "revision = :revision"
            meta["ExpressionAttributeValues"] = {":revision": {"S": previous.revision}}
        else:
            meta["ConditionExpression"] = "sequencer = :previous AND attribute_not_exists(revision)"
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

        for operation in self._claim_operations(commit):
            add("URL", operation)

        new = record.listed if record.live else None
        old = previous.listed if previous is not None and previous.live else None

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

        for (pk, sk, name), (attributes, hours) in counter_updates(old, new).items():
            names: dict[str, str] = {f"#a{i}": attribute for i, attribute in enumerate(attributes)}
            operands: dict[str, Any] = {
                f":d{i}": {"N": str(delta)} for i, delta in enumerate(attributes.values())
            }
            adds = ", ".join(f"#a{i} :d{i}" for i in range(len(attributes)))
            sets = "#name = if_not_exists(#name, :name)"
            if hours:
                # `commit` differs every time: an update that changes nothing writes no stream
                # record, and this one must (its `changed` hours may be the last commit's).
                sets += ", #changed = :changed, #commit = :commit"
                names |= {"#changed": "changed", "#commit": "commit"}
                operands[":changed"] = {"L": [{"S": hour} for hour in hours]}
                operands[":commit"] = {"S": uuid.uuid4().hex}
            add(
                "COUNT",
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": pk}, "SK": {"S": sk}},
                        "UpdateExpression": (f"ADD {adds} " if adds else "") + f"SET {sets}",
                        "ExpressionAttributeNames": names | {"#name": "name"},
                        "ExpressionAttributeValues": operands | {":name": {"S": name}},
                    }
                },
            )
        return operations, labels

    def _claim_operations(self, commit: Commit) -> list[dict[str, Any]]:
        """The URL items of a commit: its claim moved (put, deleted) on each URL it touches,
        and each such URL's owner item written with the first claim after the move (deleted
        when none is left), or only checked when the claims stay as they were. Each is
        conditioned on the guard the claims were read with, so commits that touch one URL's
        claims are serialised: one that read claims since changed is cancelled (StaleState)
        and decides again from a fresh read."""
        table = self.table
        new, old = commit.record.claim, commit.previous.claim if commit.previous else None
        read = {claims.url: claims for claims in commit.claims}
        operations: list[dict[str, Any]] = []
        touched = dict.fromkeys(c.url for c in (commit.previous, commit.record) if c and c.claim)
        for url in touched:
            claims = read.get(url, UrlClaims(url))
            remove = (
                old if old is not None and commit.previous and commit.previous.url == url else None
            )
            add = new if new is not None and commit.record.url == url else None
            after = claims.after(remove, add)
            for claim, kind in ((remove, "Delete"), (add, "Put")):
                if claim is None or remove == add:
                    continue
                key = {"PK": url_pk(url), "SK": claim_sk(claim)}
                if kind == "Put":
                    item = key | {"source_key": claim.source_key, "date_utc": claim.date_utc}
                    operations.append({"Put": {"TableName": table, "Item": self._item(item)}})
                else:
                    operations.append({"Delete": {"TableName": table, "Key": self._item(key)}})
            guard: dict[str, Any] = {"TableName": table}
            if claims.guard:
                guard["ConditionExpression"] = "guard = :guard"
                guard["ExpressionAttributeValues"] = {":guard": {"S": claims.guard}}
            else:
                guard["ConditionExpression"] = "attribute_not_exists(PK)"
            owner_key = {"PK": {"S": url_pk(url)}, "SK": {"S": OWNER_SK}}
            if remove == add:
                operations.append({"ConditionCheck": guard | {"Key": owner_key}})
            elif not after:
                operations.append({"Delete": guard | {"Key": owner_key}})
            else:
                owner_item: dict[str, Any] = {
                    "PK": url_pk(url),
                    "SK": OWNER_SK,
                    "source_key": after[0].source_key,
                    "previous_owner": claims.owner,
                    "claimants": len(after),
                    "guard": uuid.uuid4().hex,
                }
                operations.append({"Put": guard | {"Item": self._item(owner_item)}})
        return operations


def _cancellation_codes(error: Exception) -> list[str]:
    cause = error.__cause__
    if not isinstance(cause, ClientError):
        return []
    reasons = cause.response.get("CancellationReasons", [])
    return [str(reason.get("Code", "")) for reason in reasons]


def _cancelled(error: Exception) -> bool:
    return "ConditionalCheckFailed" in _cancellation_codes(error)


class StreamMirror:
    """The post records, rejections and URL owners of the posts table, kept from the records
    of its stream (NEW_AND_OLD_IMAGES) as they are read: a status report reads them without a
    scan. Each stream record is applied once, whichever reader hands it over first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, PostRecord] = {}
        self._rejections: dict[str, Rejection] = {}
        self._owners: dict[str, str] = {}
        self._applied: dict[str, int] = {}  # shard: the last sequence number applied
        self._live: set[str] = set()
        self._waiting: set[str] = set()

    def apply(self, shard: str, stream_records: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            for stream_record in stream_records:
                change = stream_record["dynamodb"]
                sequence = int(change["SequenceNumber"])
                if sequence <= self._applied.get(shard, -1):
                    continue
                self._applied[shard] = sequence
                keys = DynamoPostRepository._plain(change["Keys"])
                image = change.get("NewImage")
                values = DynamoPostRepository._plain(image) if image else None
                self._apply(str(keys["PK"]), str(keys["SK"]), values)

    def _apply(self, pk: str, sk: str, values: dict[str, Any] | None) -> None:
        if pk.startswith("POST#") and sk == "META":
            key = pk.removeprefix("POST#")
            self._live.discard(key)
            self._waiting.discard(key)
            if values is None:
                self._records.pop(key, None)
                return
            record = DynamoPostRepository._record(values)
            self._records[key] = record
            if record.live:
                self._live.add(key)
            if record.status == "waiting":
                self._waiting.add(key)
        elif pk.startswith("POST#") and sk == "ERROR":
            key = pk.removeprefix("POST#")
            if values is None:
                self._rejections.pop(key, None)
            else:
                self._rejections[key] = DynamoPostRepository._rejection(values)
        elif pk.startswith("URL#") and sk == OWNER_SK:
            url = pk.removeprefix("URL#")
            if values is None:
                self._owners.pop(url, None)
            else:
                self._owners[url] = str(values["source_key"])

    def records(self) -> list[PostRecord]:
        with self._lock:
            return list(self._records.values())

    def rejections(self) -> list[Rejection]:
        with self._lock:
            return list(self._rejections.values())

    def live_count(self) -> int:
        """How many posts are on the site (kept as records are applied: no walk)."""
        with self._lock:
            return len(self._live)

    def waiting(self) -> list[PostRecord]:
        """The posts waiting for a URL another post holds, by source key."""
        with self._lock:
            return [self._records[key] for key in sorted(self._waiting)]

    def url_owner(self, url: str) -> str | None:
        with self._lock:
            return self._owners.get(url)
