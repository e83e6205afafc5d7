"""AWS's hard limits as the DynamoDB adapter checks them, and a body's links read in batches.

The hostile corpus (tests/hostile, "AWS's hard limits") runs whole posts over each limit through
the handlers; these tests pin the parts: DynamoDB's item-size arithmetic, the problems a commit
too large for one item or one transaction gets, and BatchGetItem's batches and retries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pressroom.adapters.dynamodb import (
    DynamoPostRepository,
    attribute_size,
    item_size,
    layout_problems,
)
from pressroom.content import parse_post
from pressroom.model import Commit, Listed, PostRecord, Term
from pressroom.render import SiteRenderer
from pressroom.usecases.records import broken_links
from support.paths import TEMPLATES

REGION = "us-east-1"
TABLE = "posts"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def counted(client: Any) -> Counter[str]:
    """The requests `client` sends from now on, by operation."""
    calls: Counter[str] = Counter()
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.update([model.name])
    )
    return calls


def record(**changes: Any) -> PostRecord:
    listed = Listed(
        source_key="posts/a.md",
        title="标题",
        url="/a.html",
        display_date="2025-03-05 09:30:00 +0800",
        date_utc="2025-03-05T01:30:00Z",
        excerpt="正文",
        month="2025-03",
        categories=changes.pop("categories", (Term("news", "News"),)),
        tags=changes.pop("tags", ()),
    )
    values: dict[str, Any] = {"listed": listed, "url": listed.url} | changes
    return PostRecord("posts/a.md", "01", "v1", "published", **values)


def test_item_sizes_are_counted_as_dynamodb_documents() -> None:
    """Given attribute values of each type, then their sizes are DynamoDB's: UTF-8 bytes of
    strings, raw bytes of binaries, 1 byte per two significant digits plus 1 for numbers, 1 for
    null and Boolean, 3 plus 1 per element for lists and maps; and an item adds its names."""
    assert attribute_size({"S": "厦门"}) == 6
    assert attribute_size({"B": b"\x00\x01\x02"}) == 3
    assert attribute_size({"N": "12345"}) == 4 and attribute_size({"N": "-0.00120"}) == 2
    assert attribute_size({"BOOL": True}) == attribute_size({"NULL": True}) == 1
    assert attribute_size({"L": []}) == 3 and attribute_size({"M": {}}) == 3
    assert attribute_size({"L": [{"S": "ab"}, {"S": "c"}]}) == 3 + (1 + 2) + (1 + 1)
    assert attribute_size({"M": {"slug": {"S": "x"}}}) == 3 + 1 + 4 + 1
    assert item_size({"PK": {"S": "POST#a"}, "count": {"N": "7"}}) == 2 + 6 + 5 + 2


def test_a_post_item_over_400_kb_is_a_problem_of_the_field_that_fills_it() -> None:
    """Given a post that moved so often that its record's retired URLs fill 400 KB, then the
    problem names the permalink, the item's size and DynamoDB's 409,600 bytes."""
    retired = tuple(f"/moved/{'长' * 150}/{n}.html" for n in range(1000))
    problems = layout_problems(Commit(record(retired_urls=retired), None, clear_rejection=False))
    assert [problem.field for problem in problems] == ["permalink"]
    assert "of them its retired_urls; DynamoDB allows 409,600 (400 KB)" in problems[0].message


def test_a_transaction_over_100_actions_is_a_problem() -> None:
    """Given a post with more categories and tags than one transaction can commit (possible
    only with limits that check_commit_fits refuses), then the commit gets a problem naming
    the number of actions and DynamoDB's 100."""
    terms = tuple(Term(f"c{n}", f"C{n}") for n in range(20))
    commit = Commit(record(categories=terms, tags=terms), None, clear_rejection=False)
    problems = layout_problems(commit)
    assert [problem.field for problem in problems] == ["categories"]
    assert "transaction of 126 items; DynamoDB allows 100" in problems[0].message


def test_a_fitting_commit_has_no_problem() -> None:
    assert layout_problems(Commit(record(), None, clear_rejection=False)) == []


def test_url_owners_reads_100_keys_a_request(dynamodb: Any) -> None:
    """Given 250 distinct URLs (and a repeat), 40 of them owned, when their owners are read,
    then three BatchGetItem requests answer every one, owners and absences alike."""
    for n in range(0, 250, 6):
        dynamodb.put_item(
            TableName=TABLE,
            Item={"PK": {"S": f"URL#/p/{n}.html"}, "SK": {"S": "OWNER"}, "source_key": {"S": "k"}},
        )
    calls = counted(dynamodb)
    urls = [f"/p/{n}.html" for n in range(250)] + ["/p/0.html"]
    owners = DynamoPostRepository(TABLE, dynamodb).url_owners(urls)
    assert calls == Counter({"BatchGetItem": 3})
    assert owners == {f"/p/{n}.html": "k" if n % 6 == 0 else None for n in range(250)}


class Throttling:
    """A DynamoDB client whose BatchGetItem leaves the second half of its keys unprocessed
    the first time it is asked for them."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.requests: list[int] = []

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        keys = RequestItems[TABLE]["Keys"]
        self.requests.append(len(keys))
        if len(self.requests) > 1:
            return dict(self.client.batch_get_item(RequestItems=RequestItems))
        half = len(keys) // 2
        asked = {TABLE: RequestItems[TABLE] | {"Keys": keys[:half]}}
        response = dict(self.client.batch_get_item(RequestItems=asked))
        response["UnprocessedKeys"] = {TABLE: RequestItems[TABLE] | {"Keys": keys[half:]}}
        return response


def test_unprocessed_keys_are_asked_for_again(dynamodb: Any) -> None:
    """Given BatchGetItem leaving half of the keys unprocessed, when owners are read, then the
    unprocessed keys are asked for again and every owner is found."""
    for n in range(10):
        dynamodb.put_item(
            TableName=TABLE,
            Item={"PK": {"S": f"URL#/p/{n}.html"}, "SK": {"S": "OWNER"}, "source_key": {"S": "k"}},
        )
    client = Throttling(dynamodb)
    owners = DynamoPostRepository(TABLE, client).url_owners(f"/p/{n}.html" for n in range(10))  # type: ignore[arg-type]
    assert client.requests == [10, 5]
    assert owners == {f"/p/{n}.html": "k" for n in range(10)}


def test_nine_thousand_links_cost_ten_batched_reads(dynamodb: Any) -> None:
    """Given a body with 9,000 distinct internal links to no page and 30 links to category
    pages, when its warnings are made, then the first 1,000 links are read in 10 BatchGetItem
    requests and one query of the categories (never a read per link), and 20 warnings are
    kept, then one counting the rest."""
    renderer = SiteRenderer.from_directory(TEMPLATES)
    links = " ".join(f"[x](/category/c{n}.html)" for n in range(30))
    links += " " + " ".join(f"[x](/m/{n}.html)" for n in range(9000))
    raw = f'---\ntitle: "链接"\ndate: 2025-03-05 09:30:00 +0800\n---\n{links}\n'.encode()
    post = parse_post("posts/links.md", raw, renderer.config, renderer.post_layouts)
    calls = counted(dynamodb)
    warnings = broken_links(post, renderer.urls, DynamoPostRepository(TABLE, dynamodb))
    assert calls == Counter({"BatchGetItem": 10, "Query": 1})
    assert len(warnings) == 21
    assert warnings[0] == "link to /category/c0.html points into the site but no page is there"
    assert warnings[-1] == "and 981 more warnings"
