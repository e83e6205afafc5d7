"""The rule of URL ownership and what a commit writes for it, without AWS."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, cast

import pytest

from pressroom.adapters.dynamodb import (
    MAX_TRANSACTION_ITEMS,
    DynamoPostRepository,
    claim_sk,
    commit_items,
)
from pressroom.errors import StaleState
from pressroom.model import Claim, Commit, Listed, PostRecord, Term, UrlClaims, ranked
from pressroom_dev.folder import MemoryRepository

URL = "/special/port.html"


def record(
    key: str, date: str = "2026-03-20T01:00:00Z", status: str = "published", url: str = URL
) -> PostRecord:
    listed = Listed(key, "标题", url, "2026-03-20 09:00:00 +0800", date, "", "2026-03")
    return PostRecord(key, "0" * 32, "v1", cast(Any, status), url, listed)


def test_the_earlier_date_keeps_the_url_then_the_smaller_key() -> None:
    """Given claims on one URL, then the earlier date comes first, and on one date the smaller
    source key, whatever order they are listed in."""
    late = Claim("2026-03-21T01:00:00Z", "posts/a.md")
    early = Claim("2026-03-20T01:00:00Z", "posts/z.md")
    tie = Claim("2026-03-20T01:00:00Z", "posts/b.md")
    assert sorted([late, early, tie]) == [tie, early, late]
    claims = UrlClaims(URL, tuple(sorted([late, early, tie])))
    assert ranked(record("posts/b.md"), claims).status == "published"
    assert ranked(record("posts/z.md"), claims).status == "waiting"
    assert ranked(record("posts/a.md", "2026-03-21T01:00:00Z"), claims).status == "waiting"


def test_a_post_s_own_old_claim_does_not_make_it_wait() -> None:
    """Given a post whose own claim (under an older date) is the only other one, then it is
    published: a post never waits for itself."""
    claims = UrlClaims(URL, (Claim("2026-03-01T00:00:00Z", "posts/a.md"),))
    assert ranked(record("posts/a.md"), claims).status == "published"


def test_only_published_non_future_posts_claim() -> None:
    """Given a scheduled, unpublished or deleted record, then it makes no claim and ranking
    leaves it as it is."""
    for status in ("scheduled", "unpublished", "deleted"):
        shown = record("posts/a.md", status=status)
        assert shown.claim is None
        assert ranked(shown, UrlClaims(URL, (Claim("0", "posts/0.md"),))) == shown


@pytest.mark.parametrize(
    "keys",
    [
        ["posts/a.md", "posts/a-b.md", "posts/a.b.md"],
        ["posts/厦门.md", "posts/z.md", "posts/😀.md"],
    ],
)
def test_claim_sort_keys_sort_as_claims_do(keys: list[str]) -> None:
    """Given claims of one date, then their sort keys in UTF-8 byte order (DynamoDB's) are in
    the order the claims compare in, so the table's first claim is the rule's owner."""
    claims = [Claim("2026-03-20T01:00:00Z", key) for key in keys]
    by_table = sorted(claims, key=lambda claim: claim_sk(claim).encode("utf-8"))
    assert by_table == sorted(claims)


def sort_key(operation: dict[str, Any]) -> str:
    body = next(iter(operation.values()))
    return str((body.get("Item") or body["Key"])["SK"]["S"])


def test_a_commit_moving_its_url_fits_the_transaction_limit() -> None:
    """Given a post with 15 categories and tags that moves to another URL, date and terms,
    then its transaction has exactly `commit_items(15)` actions, at most DynamoDB's 100, and
    each URL's owner item is conditioned on the guard its claims were read with."""
    terms = tuple(Term(f"t{n}", f"t{n}") for n in range(15))
    old_listed = replace(record("posts/a.md").listed, categories=terms)  # type: ignore[type-var]
    new_terms = tuple(Term(f"n{n}", f"n{n}") for n in range(15))
    new_listed = Listed(
        "posts/a.md", "标题", "/special/new.html", "", "2026-04-20T01:00:00Z", "", "2026-04"
    )
    new_listed = replace(new_listed, categories=new_terms)
    previous = replace(record("posts/a.md"), listed=old_listed, revision="r1")
    moved = PostRecord("posts/a.md", "1" * 32, "v2", "published", new_listed.url, new_listed)
    claims = (
        UrlClaims(URL, (previous.claim,), "g-old"),  # type: ignore[arg-type]
        UrlClaims(new_listed.url, (), ""),
    )
    repository = DynamoPostRepository("posts", cast(Any, None))

    operations, labels = repository._operations(Commit(moved, previous, False, claims))

    assert len(operations) == commit_items(15) <= MAX_TRANSACTION_ITEMS
    owners = [op for op in operations if sort_key(op) == "OWNER"]
    assert len(owners) == 2
    conditions = sorted(str(next(iter(op.values()))["ConditionExpression"]) for op in owners)
    assert conditions == ["attribute_not_exists(PK)", "guard = :guard"]
    assert labels.count("URL") == 4


def test_the_memory_table_refuses_a_commit_on_claims_that_moved() -> None:
    """Given claims read on a URL, when another post's claim is committed first, then a commit
    conditioned on the old read is refused (StaleState), as the table's guard refuses it."""
    table = MemoryRepository()
    read = table.url_claims(URL)
    table.commit(Commit(record("posts/a.md"), None, False, (table.url_claims(URL),)))
    with pytest.raises(StaleState):
        table.commit(Commit(record("posts/b.md"), None, False, (read,)))
    assert table.url_owner(URL) == "posts/a.md"


class StubSqs:
    """An SQS client that records SendMessageBatch requests and fails the entries named."""

    def __init__(self, failing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.requests: list[dict[str, Any]] = []
        self.failing = failing

    def send_message_batch(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        failed = [
            {"Id": entry["Id"], "Code": "InternalError", "SenderFault": False}
            for entry in request["Entries"]
            if entry["Id"] in self.failing
        ]
        return {"Successful": [], "Failed": failed}


def test_claimants_are_sent_ten_a_request_as_s3_notifications() -> None:
    """Given 23 claimants to send back, then SendMessageBatch carries at most 10 a request
    (SQS's limit), each an S3 notification of the recorded version and sequencer."""
    from pressroom.adapters.sqs import SqsChangeQueue
    from pressroom.model import SourceChange

    client = StubSqs()
    changes = [SourceChange(f"posts/{n}.md", False, f"v{n}", f"{n:032X}") for n in range(23)]
    SqsChangeQueue("https://sqs.example/queue", cast(Any, client)).send(changes)

    assert [len(r["Entries"]) for r in client.requests] == [10, 10, 3]
    body = json.loads(client.requests[2]["Entries"][0]["MessageBody"])
    (record,) = body["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["object"] == {
        "key": "posts/20.md",
        "sequencer": f"{20:032X}",
        "versionId": "v20",
    }


def test_a_claimant_sqs_failed_to_take_fails_the_send() -> None:
    """Given SQS answering SendMessageBatch with a failed entry, then the send raises a
    TransientError, so the stream batch is retried rather than the claimant forgotten."""
    from pressroom.adapters.sqs import SqsChangeQueue
    from pressroom.errors import TransientError
    from pressroom.model import SourceChange

    client = StubSqs(failing={"1"})
    queue = SqsChangeQueue("https://sqs.example/queue", cast(Any, client))
    with pytest.raises(TransientError, match="failed 1 entries"):
        queue.send([SourceChange(f"posts/{n}.md", False, "v", "1") for n in range(3)])


def test_a_commit_that_changes_a_months_listing_always_changes_its_counter() -> None:
    """DynamoDB writes no stream record for an update that changes nothing: a title edited
    twice in one hour sets the same `changed` hours, so each commit also sets a fresh `commit`
    on the month counters, and their stream records make the archive and sitemap stale."""
    listed = record("posts/a.md").listed
    assert listed is not None
    listed = replace(listed, hour=f"{listed.month}-20T09")
    previous = replace(record("posts/a.md"), listed=listed, revision="r1")
    edited = replace(previous, listed=replace(listed, title="新标题"))
    repository = DynamoPostRepository("posts", cast(Any, None))

    def counters(commit: Commit) -> dict[str, dict[str, Any]]:
        operations, _ = repository._operations(commit)
        return {
            op["Update"]["Key"]["PK"]["S"]: op["Update"]["ExpressionAttributeValues"]
            for op in operations
            if "Update" in op and op["Update"]["Key"]["PK"]["S"].startswith("MONTHS#")
        }

    first, second = (counters(Commit(edited, previous, False, ())) for _ in range(2))
    assert set(first) >= {"MONTHS#ALL"}
    for pk, values in first.items():
        assert values[":changed"] == second[pk][":changed"]
        assert values[":commit"] != second[pk][":commit"]
