"""Each function's policy, as AWS evaluates it, against everything the function does.

Generated from the SAM-transformed template: for every statement of every function's role,
the statement is removed (and, where it names a resource, pointed at the wrong one) and a
scenario that exercises the function runs; the operation that statement enables must now be
denied. With the full policy every scenario passes with no denial at all.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from pressroom_dev import iam
from pressroom_dev.stack import LocalStack
from support.aws import LOCAL_ENVIRONMENT, REGION
from support.clock import S3Clock
from support.events import sqs_event
from support.harness import FunctionPipelines, Harness
from support.paths import ROOT
from support.posts import post_text

FUNCTIONS = ("RenderPostFunction", "BuildIndexesFunction", "RebuildFunction")
BROKEN = '---\ntitle: "港口"创新"高"\ndate: 2026-03-20 16:12:47 +0800\n---\n<p>正文</p>\n'

# What each statement enables: the IAM action that must be denied without it (the first
# operation of the scenario that needs it). Keys are the statement's Sid or managed policy.
ENABLES: dict[str, dict[str, str]] = {
    "RenderPostFunction": {
        "ReadPosts": "s3:GetObjectVersion",  # GetObject of the version the event names
        "SchedulePublications": "scheduler:CreateSchedule",  # a future-dated post
        "PassSchedulerRole": "iam:PassRole",  # the schedule's target role
        "WriteSite": "s3:GetObject",  # HeadObject: the post page's content hash
        "ReadWriteReports": "s3:PutObject",  # a rejected post's report
        "ReadWritePosts": "dynamodb:Query",  # loading the post's items
        "ListPostVersions": "s3:ListBucketVersions",  # a broken upload of another spelling
    },
    "BuildIndexesFunction": {
        "ReadPosts": "dynamodb:Query",  # the listings
        "InvalidationOutbox": "dynamodb:PutItem",  # recording the paths it changes
        "StalePages": "dynamodb:PutItem",  # recording the batch's stale pages first
        "WriteSite": "s3:GetObject",  # HeadObject: an index page's content hash
        "InvalidateSite": "cloudfront:CreateInvalidation",  # the batch's invalidation
        "RequeueClaimants": "sqs:SendMessage",  # the claimants of a contested URL
        "DelayWildcardFlush": "sqs:SendMessage",  # a wildcard's delayed flush
    },
    "RebuildFunction": {
        "ReadPosts": "s3:GetObject",  # HeadObject of each source's current version
        "ListPosts": "s3:ListBucket",  # ListObjectsV2 of posts/
        "SchedulePublications": "scheduler:CreateSchedule",  # a lost future-dated upload
        "PassSchedulerRole": "iam:PassRole",
        "WriteSite": "s3:GetObject",  # HeadObject: a republished page's content hash
        "ReadWriteReports": "s3:PutObject",  # the report of a lost rejected upload
        "ReconcilePosts": "dynamodb:Scan",  # every post record
        "InvalidateSite": "cloudfront:CreateInvalidation",  # the outbox, after the run
        "SendRebuildMessages": "sqs:SendMessage",  # the rebuild job's first plan step
        "ListPostVersions": "s3:ListBucketVersions",  # a lost broken upload of a spelling
    },
}
# Statements that Lambda uses for the event source mapping: without them, creating the
# mapping fails (InvalidParameterValueException) naming this action.
MAPPING = {
    "AWSLambdaSQSQueueExecutionRole": "ReceiveMessage",
    "AWSLambdaDynamoDBExecutionRole": "DescribeStream",
    "SQSPolicy": "SendMessage",  # the stream mapping's on-failure destination
}
# Statements no call of the local stack exercises, and why.
UNEXERCISED = {
    "AWSLambdaBasicExecutionRole": "Lambda's runtime writes the function's logs with it",
    "AWSXrayWriteOnlyAccess": "the X-Ray daemon sends the traces with it",
    "RenderPostFunction/ListPosts": (
        "it turns S3's 403 for a missing key into 404, which the local stack does not emulate"
    ),
}


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def nfd(name: str) -> str:
    return unicodedata.normalize("NFD", name)


def statement_key(function: str, statement: iam.Statement) -> str:
    if statement.sid:
        return statement.sid
    return statement.policy.rsplit("/", 1)[-1].removeprefix(function + "PostsStream")


def template_statements() -> list[tuple[str, int, str]]:
    """(function, index, key) of every statement, from the template alone (for collection)."""
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    resolver = iam.Resolver(lambda lid: lid, lambda lid, attribute: f"{lid}.{attribute}")
    policies = iam.effective_policies(iam.transformed_template(text), resolver, str)
    return [
        (function, index, statement_key(function, statement))
        for function in FUNCTIONS
        for index, statement in enumerate(policies[function].statements)
    ]


STATEMENTS = template_statements()


@dataclass(frozen=True)
class Recording(iam.Policy):
    """A policy that records every request it denies."""

    denied: list[iam.Request] = field(default_factory=list, compare=False)

    def evaluate(self, request: iam.Request) -> iam.Decision:
        decision = super().evaluate(request)
        if not decision.allowed:
            self.denied.append(request)
        return decision


# -- scenarios ----------------------------------------------------------------------------------
_runs = itertools.count()


def attempt(local: Harness, function: str, event: dict[str, Any]) -> None:
    """One invocation; with a reduced policy it may fail (Lambda would report the error)."""
    with contextlib.suppress(Exception):  # the denials are what the tests look at
        local.invoke(function, event)


def deliver(local: Harness) -> None:
    """Invoke RenderPost with what the ingest queue holds, as its mapping would."""
    messages = local.take_messages()
    if messages:
        attempt(local, "RenderPostFunction", sqs_event(messages))


def render_post_scenario(local: Harness) -> None:
    """Upload, link, reject, correct, schedule and delete posts."""
    n = next(_runs)
    link = f"<p>正文</p>\n\n[另一篇](/xiamenribao/2026/03/19/missing-{n}.html)\n"
    local.upload(f"2026-03-20-a{n}.md", post_text(title=f"港口{n}", body=link))
    local.upload(f"2026-03-21-b{n}.md", BROKEN)
    deliver(local)
    local.upload(f"2026-03-21-b{n}.md", post_text(title=f"更正{n}", date="2026-03-21 09:00:00"))
    local.upload(f"2099-01-01-c{n}.md", post_text(title=f"未来{n}", date="2099-01-01 08:00:00"))
    deliver(local)
    local.delete(f"2026-03-20-a{n}.md")
    deliver(local)
    # One file name in two Unicode spellings, the one uploaded last broken
    local.upload(nfc(f"2026-03-22-café{n}.md"), post_text(title=f"咖啡{n}"))
    deliver(local)
    local.upload_a_second_later(nfd(f"2026-03-22-café{n}.md"), BROKEN)
    deliver(local)


def build_indexes_scenario(local: Harness) -> None:
    """Publish two posts and a third claiming the first one's URL (RenderPost, full policy),
    then deliver the table's stream; then one more post, whose invalidation is a wildcard
    that waits for its delayed flush."""
    n = next(_runs)
    local.upload(f"2026-03-20-a{n}.md", post_text(title=f"港口{n}", categories=f"cat{n}"))
    local.upload(f"2026-03-21-b{n}.md", post_text(title=f"银行{n}", date="2026-03-21 09:00:00"))
    local.upload(
        f"2026-03-22-c{n}.md",
        post_text(
            title=f"同址{n}",
            date="2026-03-22 09:00:00",
            extra=f"permalink: /cat{n}/2026/03/20/a{n}.html",
        ),
    )
    deliver(local)
    local.stack.drain(local.invoke)
    invalidations = local.pipeline.build_indexes.invalidations
    assert invalidations is not None
    wildcard_after, invalidations.wildcard_after = invalidations.wildcard_after, 1
    try:
        local.upload(f"2026-03-23-d{n}.md", post_text(title=f"通配{n}", categories=f"dog{n}"))
        deliver(local)
        local.stack.drain(local.invoke)
    finally:
        invalidations.wildcard_after = wildcard_after


def rebuild_scenario(local: Harness) -> None:
    """Lose notifications (an upload, a rejected upload, a future-dated upload, a correction
    of a rejected post, a delete), then run the daily reconcile, then a fanned-out rebuild."""
    n = next(_runs)
    local.upload(f"2026-03-20-fixed{n}.md", BROKEN)
    local.upload(f"2026-03-20-gone{n}.md", post_text(title=f"删除{n}"))
    deliver(local)  # rejected (with its report), and published
    local.upload(f"2026-03-20-fixed{n}.md", post_text(title=f"更正{n}"))
    local.upload(f"2026-03-20-lost{n}.md", post_text(title=f"丢失{n}"))
    local.upload(f"2026-03-21-broken{n}.md", BROKEN)
    local.upload(f"2099-01-01-future{n}.md", post_text(title=f"未来{n}", date="2099-01-01"))
    local.delete(f"2026-03-20-gone{n}.md")
    local.upload(nfc(f"2026-03-22-café{n}.md"), post_text(title=f"咖啡{n}"))
    local.upload_a_second_later(nfd(f"2026-03-22-café{n}.md"), BROKEN)
    local.take_messages()  # every one of these notifications is lost
    attempt(local, "RebuildFunction", {"mode": "reconcile", "workers": 2})
    # Then a rebuild: the reconcile finds nothing, and the job's messages are delivered
    attempt(local, "RebuildFunction", {"mode": "rebuild", "workers": 2})
    local.stack.drain(local.invoke)


SCENARIOS: dict[str, Callable[[Harness], None]] = {
    "RenderPostFunction": render_post_scenario,
    "BuildIndexesFunction": build_indexes_scenario,
    "RebuildFunction": rebuild_scenario,
}


@pytest.fixture(scope="module")
def stacks() -> Iterator[dict[str, Harness]]:
    """One local stack per function for the whole module: each scenario uses new posts."""
    saved = {name: os.environ.get(name) for name in [*LOCAL_ENVIRONMENT, "POWERTOOLS_LOG_LEVEL"]}
    os.environ.update(LOCAL_ENVIRONMENT | {"POWERTOOLS_LOG_LEVEL": "CRITICAL"})
    try:
        with mock_aws(), pytest.MonkeyPatch.context() as patch:
            clock = S3Clock().install(patch)
            harnesses = {}
            for function in FUNCTIONS:
                session = boto3.session.Session(region_name=REGION)
                stack = LocalStack(ROOT, session, stack_name=f"iam-{function.lower()[:5]}")
                stack.create()
                harnesses[function] = Harness(stack, FunctionPipelines.of(stack), session, clock)
            yield harnesses
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_with(local: Harness, function: str, policy: iam.Policy) -> list[iam.Request]:
    """Run the function's scenario with `policy` as its role's; the requests it denied."""
    full = local.stack.policies[function]
    recording = Recording(policy.function, policy.role_name, policy.statements)
    local.stack.policies[function] = recording
    try:
        SCENARIOS[function](local)
    finally:
        local.stack.policies[function] = full
    return recording.denied


def mutated(statement: iam.Statement, names: list[str]) -> iam.Statement:
    """The statement pointed at the wrong resource: another bucket, table, queue, schedule
    group, role or distribution than the one it names."""
    resources = []
    for resource in statement.resources:
        name = max((n for n in names if n in resource), key=len)
        resources.append(resource.replace(name, name + "-other"))
    return replace(statement, resources=tuple(resources))


def moved(statement: iam.Statement) -> iam.Statement:
    """The statement pointed at the wrong prefix of its bucket (in its ARN or s3:prefix)."""
    resources = tuple(re.sub(r"/(posts|reports)/\*$", "/drafts/*", r) for r in statement.resources)
    conditions = {
        operator: {
            key: tuple(v.replace("posts/", "drafts/") for v in values)
            for key, values in keys.items()
        }
        for operator, keys in statement.conditions.items()
    }
    return replace(statement, resources=resources, conditions=conditions)


def actions(denied: list[iam.Request]) -> set[str]:
    return {request.action for request in denied}


# -- the tests ----------------------------------------------------------------------------------
@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_full_policy_lets_every_scenario_through(
    stacks: dict[str, Harness], function: str
) -> None:
    """Given the function's policy as the template grants it, when its scenario runs, then no
    request is denied, and the scenario did what it should."""
    local = stacks[function]
    assert run_with(local, function, local.stack.policies[function]) == []
    site = local.site()
    if function == "RenderPostFunction":
        n = next(_runs) - 1
        assert local.state(f"2026-03-21-b{n}.md").record.live
        assert local.state(f"2026-03-21-b{n}.md").rejection is None
        assert local.state(f"2099-01-01-c{n}.md").record.status == "scheduled"
        assert local.state(f"2026-03-20-a{n}.md").record.status == "deleted"
        assert len(local.stack.schedules()) == 1
        assert local.state(nfc(f"2026-03-22-café{n}.md")).record.live
        assert local.state(nfc(f"2026-03-22-café{n}.md")).rejection is not None
    elif function == "BuildIndexesFunction":
        n = next(_runs) - 1
        assert f"category/cat{n}.html" in site and "index.html" in site
    else:
        n = next(_runs) - 1
        assert local.state(f"2026-03-20-fixed{n}.md").record.live
        assert local.state(f"2026-03-20-lost{n}.md").record.live
        assert local.state(f"2026-03-20-gone{n}.md").record.status == "deleted"
        assert local.state(f"2026-03-21-broken{n}.md").rejection is not None
        assert local.state(f"2099-01-01-future{n}.md").record.status == "scheduled"
        assert local.state(nfc(f"2026-03-22-café{n}.md")).record.live
        assert local.state(nfc(f"2026-03-22-café{n}.md")).rejection is not None


def exercised(kind: str) -> list[Any]:
    params = []
    for function, index, key in STATEMENTS:
        if key in ENABLES[function]:
            params.append(pytest.param(function, index, key, id=f"{function}-{key}-{kind}"))
    return params


@pytest.mark.parametrize(("function", "index", "key"), exercised("removed"))
def test_without_the_statement_its_operation_is_denied(
    stacks: dict[str, Harness], function: str, index: int, key: str
) -> None:
    """Given the function's policy without one statement, when its scenario runs, then the
    operation that statement enables is denied."""
    local = stacks[function]
    policy = local.stack.policies[function]
    assert statement_key(function, policy.statements[index]) == key
    denied = run_with(local, function, policy.without(index))
    assert ENABLES[function][key] in actions(denied)


# Statements on a prefix of the source bucket (posts/, reports/). ListPosts names the whole
# bucket (see its comment in template.yaml): it gets the wrong bucket instead.
PREFIXED = ("ReadPosts", "ReadWriteReports")


def resource_params() -> list[Any]:
    """Statements on a bucket prefix get the wrong prefix; the others the wrong resource."""
    params = []
    for function, index, key in STATEMENTS:
        if key not in ENABLES[function]:
            continue
        prefixed = key in PREFIXED and function != "BuildIndexesFunction"
        mutation = "prefix" if prefixed else "resource"
        params.append(
            pytest.param(function, index, key, mutation, id=f"{function}-{key}-{mutation}")
        )
    return params


@pytest.mark.parametrize(("function", "index", "key", "mutation"), resource_params())
def test_a_statement_naming_the_wrong_resource_is_denied_too(
    stacks: dict[str, Harness], function: str, index: int, key: str, mutation: str
) -> None:
    """Given one statement pointed at another table, bucket, queue, schedule group, role,
    distribution or bucket prefix, when the scenario runs, then its operation is denied."""
    local = stacks[function]
    policy = local.stack.policies[function]
    statement = policy.statements[index]
    names = [*local.stack.names.values(), local.stack.name("PublicationSchedulerRole")]
    changed = mutated(statement, names) if mutation == "resource" else moved(statement)
    assert changed != statement
    denied = run_with(local, function, policy.with_statement(index, changed))
    assert ENABLES[function][key] in actions(denied)


@pytest.mark.parametrize(
    ("function", "index", "key"),
    [
        pytest.param(f, i, k, id=f"{f}-{k}")
        for f, i, k in STATEMENTS
        if any(k.endswith(name) for name in MAPPING)
    ],
)
def test_without_an_event_source_statement_the_mapping_is_refused(
    stacks: dict[str, Harness], function: str, index: int, key: str
) -> None:
    """Given the role without the statement SAM adds for an event source, when Lambda creates
    the mapping, then it is refused, naming the action Lambda needs."""
    stack = stacks[function].stack
    policies = dict(stack.policies)
    iam.check_event_source_mappings(
        policies, stack.queue_sources, stack.stream_sources, stack.arns, stack.queue_urls
    )
    policies[function] = policies[function].without(index)
    with pytest.raises(ClientError) as refused:
        iam.check_event_source_mappings(
            policies, stack.queue_sources, stack.stream_sources, stack.arns, stack.queue_urls
        )
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    action = next(v for name, v in MAPPING.items() if key.endswith(name))
    assert f"call {action} on" in refused.value.response["Error"]["Message"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_statement_is_accounted_for_and_the_unexercised_ones_deny_nothing(
    stacks: dict[str, Harness], function: str
) -> None:
    """Given the statements no local call exercises (UNEXERCISED says why), when all of them
    are removed at once, then the scenario still runs with no denial; and every other
    statement is one the tests above remove."""
    local = stacks[function]
    policy = local.stack.policies[function]
    keys = [statement_key(function, s) for s in policy.statements]
    idle = [
        i for i, key in enumerate(keys) if key in UNEXERCISED or f"{function}/{key}" in UNEXERCISED
    ]
    for i, key in enumerate(keys):
        assert i in idle or key in ENABLES[function] or any(key.endswith(m) for m in MAPPING), key
    reduced = policy
    for i in reversed(idle):
        reduced = reduced.without(i)
    assert run_with(local, function, reduced) == []


# -- the evaluator and the table ----------------------------------------------------------------
def statement(**raw: Any) -> iam.Statement:
    return iam.Statement.parse({"Effect": "Allow", **raw}, "test")


def test_an_explicit_deny_wins_and_no_match_is_an_implicit_deny() -> None:
    """Given an Allow on a bucket's objects and a Deny on one prefix, then objects elsewhere
    are allowed, the denied prefix is denied explicitly, another bucket implicitly."""
    allow = statement(Action="s3:Get*", Resource="arn:aws:s3:::b/*")
    deny = iam.Statement.parse(
        {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/secret/*"}, "test"
    )
    policy = iam.Policy("F", "role", (allow, deny))
    assert policy.evaluate(iam.Request("s3:GetObject", "arn:aws:s3:::b/posts/x")).allowed
    explicit = policy.evaluate(iam.Request("S3:GETOBJECT", "arn:aws:s3:::b/secret/x"))
    assert not explicit.allowed and explicit.explicit_deny
    implicit = policy.evaluate(iam.Request("s3:GetObject", "arn:aws:s3:::c/x"))
    assert not implicit.allowed and not implicit.explicit_deny
    assert not policy.evaluate(iam.Request("s3:PutObject", "arn:aws:s3:::b/posts/x")).allowed


def test_conditions_hold_only_for_the_keys_the_request_supplies() -> None:
    """StringLike on s3:prefix, StringEquals on iam:PassedToService, and ForAllValues on
    dynamodb:LeadingKeys (which holds when the request names no key, as in IAM)."""
    listing = statement(
        Action="s3:ListBucket",
        Resource="arn:aws:s3:::b",
        Condition={"StringLike": {"s3:prefix": "posts/*"}},
    )
    assert listing.matches(iam.Request("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "posts/"}))
    assert not listing.matches(iam.Request("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "x/"}))
    assert not listing.matches(iam.Request("s3:ListBucket", "arn:aws:s3:::b"))
    outbox = statement(
        Action="dynamodb:PutItem",
        Resource="arn:aws:dynamodb:*:*:table/t",
        Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["OUTBOX"]}},
    )
    table = "arn:aws:dynamodb:us-east-1:1:table/t"
    assert outbox.matches(
        iam.Request("dynamodb:PutItem", table, {"dynamodb:LeadingKeys": ("OUTBOX",)})
    )
    assert not outbox.matches(
        iam.Request("dynamodb:PutItem", table, {"dynamodb:LeadingKeys": ("OUTBOX", "POST#x")})
    )
    with pytest.raises(iam.UnsupportedPolicy):
        statement(
            Action="s3:*", Resource="*", Condition={"DateLessThan": {"aws:CurrentTime": "x"}}
        ).matches(iam.Request("s3:GetObject", "x", {"aws:CurrentTime": "y"}))


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        (
            "s3",
            "GetObject",
            {"Bucket": "b", "Key": "k"},
            [("s3:GetObject", "arn:aws:s3:::b/k", {})],
        ),
        (
            "s3",
            "GetObject",
            {"Bucket": "b", "Key": "k", "VersionId": "v"},
            [("s3:GetObjectVersion", "arn:aws:s3:::b/k", {})],
        ),
        (
            "s3",
            "HeadObject",
            {"Bucket": "b", "Key": "k"},
            [("s3:GetObject", "arn:aws:s3:::b/k", {})],
        ),
        (
            "s3",
            "HeadObject",
            {"Bucket": "b", "Key": "k", "VersionId": "v"},
            [("s3:GetObjectVersion", "arn:aws:s3:::b/k", {})],
        ),
        (
            "s3",
            "ListObjectsV2",
            {"Bucket": "b", "Prefix": "posts/"},
            [("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "posts/"})],
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"ConditionCheck": {"TableName": "t", "Key": {"PK": {"S": "a"}}}},
                    {"Put": {"TableName": "t", "Item": {"PK": {"S": "b"}}}},
                    {"Update": {"TableName": "u", "Key": {"PK": {"S": "c"}}}},
                    {"Delete": {"TableName": "t", "Key": {"PK": {"S": "d"}}}},
                ]
            },
            [
                ("dynamodb:ConditionCheckItem", "table/t", {"dynamodb:LeadingKeys": ("a",)}),
                ("dynamodb:PutItem", "table/t", {"dynamodb:LeadingKeys": ("b",)}),
                ("dynamodb:UpdateItem", "table/u", {}),
                ("dynamodb:DeleteItem", "table/t", {"dynamodb:LeadingKeys": ("d",)}),
            ],
        ),
        (
            "dynamodb",
            "Query",
            {
                "TableName": "t",
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :s)",
                "ExpressionAttributeValues": {":pk": {"S": "OUTBOX"}, ":s": {"S": "x"}},
            },
            [("dynamodb:Query", "table/t", {"dynamodb:LeadingKeys": ("OUTBOX",)})],
        ),
        (
            "cloudfront",
            "CreateInvalidation",
            {"DistributionId": "E1", "InvalidationBatch": {}},
            [
                (
                    "cloudfront:CreateInvalidation",
                    "arn:aws:cloudfront::123456789012:distribution/E1",
                    {},
                )
            ],
        ),
        (
            "scheduler",
            "CreateSchedule",
            {"Name": "n", "GroupName": "g", "Target": {"RoleArn": "arn:aws:iam::1:role/r"}},
            [
                (
                    "scheduler:CreateSchedule",
                    "arn:aws:scheduler:us-east-1:123456789012:schedule/g/n",
                    {},
                ),
                (
                    "iam:PassRole",
                    "arn:aws:iam::1:role/r",
                    {"iam:PassedToService": "scheduler.amazonaws.com"},
                ),
            ],
        ),
        (
            "sqs",
            "DeleteMessageBatch",
            {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q", "Entries": []},
            [("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:123456789012:q", {})],
        ),
    ],
)
def test_operations_are_authorized_as_the_service_authorization_reference_says(
    service: str,
    operation: str,
    params: dict[str, Any],
    expected: list[tuple[str, str, dict[str, Any]]],
) -> None:
    requests = iam.requests_for(service, operation, params, {"t": "PK"})
    assert [(r.action, r.context) for r in requests] == [(a, c) for a, _, c in expected]
    assert all(r.resource.endswith(res) for r, (_, res, _) in zip(requests, expected, strict=True))


def test_an_operation_missing_from_the_table_is_an_error(stacks: dict[str, Harness]) -> None:
    """Given a function's client, when it makes a call the table has no row for, then the call
    fails before it is sent, naming the table to extend."""
    client = stacks["RenderPostFunction"].pipeline.publish.source.client
    with pytest.raises(iam.UnmappedOperation, match="s3:ListMultipartUploads"):
        client.list_multipart_uploads(Bucket="any")


def test_a_denied_call_fails_as_aws_answers_it(stacks: dict[str, Harness]) -> None:
    """Given RenderPost's clients, when it writes outside what its policy allows, then S3
    answers AccessDenied (403) and DynamoDB AccessDeniedException (400), naming the role's
    session, the action and the resource, before the request is sent."""
    local = stacks["RenderPostFunction"]
    s3 = local.pipeline.publish.source.client
    with pytest.raises(ClientError) as s3_denied:
        s3.put_object(Bucket=local.settings.source_bucket, Key="posts/x.md", Body=b"x")
    error = s3_denied.value.response
    assert error["Error"]["Code"] == "AccessDenied"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    role = local.stack.policies["RenderPostFunction"].role_name
    assert error["Error"]["Message"] == (
        f"User: arn:aws:sts::123456789012:assumed-role/{role}/RenderPostFunction is not "
        f"authorized to perform: s3:PutObject on resource: arn:aws:s3:::"
        f"{local.settings.source_bucket}/posts/x.md because no identity-based policy allows "
        "the s3:PutObject action"
    )
    assert "x.md" not in str(local.s3.list_objects_v2(Bucket=local.settings.source_bucket))
    dynamodb = local.pipeline.publish.repository.client
    with pytest.raises(ClientError) as table_denied:
        dynamodb.scan(TableName=local.settings.posts_table)
    assert table_denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert table_denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_the_fallback_translation_equals_sams() -> None:
    """Given the template, the roles derived without the SAM translator (`make install-local`
    has none) are the ones SAM's transform makes."""
    import yaml

    from pressroom_dev.stack import _TemplateLoader

    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    sam = iam.transformed_template(text)["Resources"]
    ours = iam.sam_roles(yaml.load(text, Loader=_TemplateLoader))["Resources"]
    for function in FUNCTIONS:
        role = f"{function}Role"
        assert ours[function]["Properties"]["Role"] == sam[function]["Properties"]["Role"]
        for key in ("ManagedPolicyArns", "Policies"):
            assert ours[role]["Properties"][key] == sam[role]["Properties"][key], (role, key)
