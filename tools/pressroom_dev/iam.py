"""Permissions as AWS computes them, for the local stack.

moto's IAM enforcement is off by default and, when on, works out resources only for S3 and SQS
and checks API names rather than IAM actions. So the local stack evaluates each function's
execution role itself:

* `effective_policies` turns template.yaml into CloudFormation with the SAM translator (the
  transform `sam validate` and `sam deploy` run), takes each function's role with its inline
  policies and the managed policies SAM attaches, and resolves !Ref, !GetAtt and !Sub to the
  local stack's names and ARNs;
* `OPERATIONS` maps every AWS call the runtime makes to the IAM actions, resources and
  condition keys AWS authorizes it with (from the Service Authorization Reference);
* `Policy.evaluate` decides as IAM does for one identity-based policy set: an explicit Deny wins,
  then any Allow whose action, resource and conditions match, else an implicit deny;
* `enforce` hooks a botocore event emitter so that a denied call raises the `ClientError` AWS
  would answer with, before the request is sent.

What is not evaluated (bucket and queue policies, SCPs, boundaries, ...) is listed in the
README's "Permissions" paragraph.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"

# The Service Authorization Reference, one page per service: each OPERATIONS row cites its page.
SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
S3_REF = SAR + "list_amazons3.html"
DYNAMODB_REF = SAR + "list_amazondynamodb.html"
SQS_REF = SAR + "list_amazonsqs.html"
CLOUDFRONT_REF = SAR + "list_amazoncloudfront.html"
SCHEDULER_REF = SAR + "list_amazoneventbridgescheduler.html"
SNS_REF = SAR + "list_amazonsns.html"
CLOUDWATCH_REF = SAR + "list_amazoncloudwatch.html"
LAMBDA_REF = SAR + "list_awslambda.html"

# The AWS managed policies SAM attaches to the functions' roles, as the AWS Managed Policy
# Reference publishes them (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/
# <name>.html, default versions: AWSLambdaBasicExecutionRole v1, AWSXrayWriteOnlyAccess v2,
# AWSLambdaSQSQueueExecutionRole v1, AWSLambdaDynamoDBExecutionRole v1). Hard-coded: the local
# stack has no IAM to fetch them from. A role naming another managed policy is an error.
_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
MANAGED_POLICIES: dict[str, list[dict[str, Any]]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": [
        {"Effect": "Allow", "Action": _LOGS, "Resource": "*"}
    ],
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": ["*"],
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *_LOGS],
            "Resource": "*",
        }
    ],
    "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole": [
        {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
                "dynamodb:ListStreams",
                *_LOGS,
            ],
            "Resource": "*",
        }
    ],
}


class UnmappedOperation(Exception):
    """An AWS call that OPERATIONS does not know: add its row, so no call skips the check."""


class UnsupportedPolicy(Exception):
    """A policy element the local evaluator cannot decide (it never guesses an Allow)."""


# -- requests ---------------------------------------------------------------------------------
ContextValue = str | tuple[str, ...]  # a tuple is a multivalued key (dynamodb:LeadingKeys)


@dataclass(frozen=True)
class Request:
    """One authorization AWS makes for a call: an action on a resource, with condition keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)


@lru_cache(maxsize=4096)
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _glob(pattern: str, value: str, ignore_case: bool) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character; nothing else is special."""
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None


@dataclass(frozen=True)
class Statement:
    """One statement of a policy, its intrinsics resolved."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    sid: str = ""
    policy: str = ""  # the inline policy's name, or the managed policy's ARN

    @classmethod
    def parse(cls, raw: Mapping[str, Any], policy: str) -> Statement:
        for element in ("NotAction", "NotResource", "NotPrincipal", "Principal"):
            if element in raw:
                raise UnsupportedPolicy(f"{policy}: {element} is not evaluated locally")
        conditions = {
            operator: {key: tuple(_strings(values)) for key, values in keys.items()}
            for operator, keys in (raw.get("Condition") or {}).items()
        }
        return cls(
            effect=str(raw["Effect"]),
            actions=tuple(_strings(raw["Action"])),
            resources=tuple(_strings(raw["Resource"])),
            conditions=conditions,
            sid=str(raw.get("Sid", "")),
            policy=policy,
        )

    @property
    def name(self) -> str:
        return f"{self.policy}/{self.sid}" if self.sid else self.policy

    def matches(self, request: Request) -> bool:
        return (
            any(_glob(action, request.action, ignore_case=True) for action in self.actions)
            and any(_glob(res, request.resource, ignore_case=False) for res in self.resources)
            and all(
                _condition(operator, key, values, request.context)
                for operator, keys in self.conditions.items()
                for key, values in keys.items()
            )
        )


def _strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str | bool | int) for v in values):
        raise UnsupportedPolicy(f"an unresolved value in a policy: {value!r}")
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in values]


def _condition(
    operator: str, key: str, values: Sequence[str], context: Mapping[str, ContextValue]
) -> bool:
    """One condition operator on one key: values are ORed; keys are case-insensitive. The set
    operators (ForAllValues:, ForAnyValue:) compare each value of a multivalued key; as in IAM,
    ForAllValues holds when the request has no value for the key."""
    present = {k.lower(): v for k, v in context.items()}
    actual = present.get(key.lower())
    qualifier, _, operator = operator.rpartition(":")
    if qualifier:
        if qualifier not in ("ForAllValues", "ForAnyValue"):
            raise UnsupportedPolicy(f"condition qualifier {qualifier} is not evaluated locally")
        members = () if actual is None else (actual,) if isinstance(actual, str) else actual
        results = [_condition(operator, key, values, {key: member}) for member in members]
        return all(results) if qualifier == "ForAllValues" else any(results)
    if isinstance(actual, tuple):
        raise UnsupportedPolicy(f"{key} is multivalued: use ForAllValues: or ForAnyValue:")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base == "Null":
        return (actual is None) == (values[0].lower() == "true")
    if actual is None:
        # A missing key matches no positive operator; negated ones (and ...IfExists) hold.
        return if_exists or base.startswith(("StringNot", "ArnNot"))
    if base in ("StringEquals", "ArnEquals"):
        return actual in values
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in {v.lower() for v in values}
    if base in ("StringLike", "ArnLike"):
        return any(_glob(v, actual, ignore_case=False) for v in values)
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in values
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(_glob(v, actual, ignore_case=False) for v in values)
    if base == "Bool":
        return actual.lower() in {v.lower() for v in values}
    raise UnsupportedPolicy(f"condition operator {operator} is not evaluated locally")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False
    statement: Statement | None = None


@dataclass(frozen=True)
class Policy:
    """A function's effective identity-based policy: every statement of its role."""

    function: str
    role_name: str
    statements: tuple[Statement, ...]

    @property
    def principal_arn(self) -> str:
        return f"arn:{PARTITION}:sts::{ACCOUNT}:assumed-role/{self.role_name}/{self.function}"

    def evaluate(self, request: Request) -> Decision:
        allow: Statement | None = None
        for statement in self.statements:
            if not statement.matches(request):
                continue
            if statement.effect == "Deny":
                return Decision(False, explicit_deny=True, statement=statement)
            allow = allow or statement
        return Decision(allow is not None, statement=allow)

    def without(self, index: int) -> Policy:
        return replace(self, statements=self.statements[:index] + self.statements[index + 1 :])

    def with_statement(self, index: int, statement: Statement) -> Policy:
        statements = list(self.statements)
        statements[index] = statement
        return replace(self, statements=tuple(statements))


# -- the operation table ----------------------------------------------------------------------
def s3_bucket_arn(bucket: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}"


def s3_object_arn(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def table_arn(table: str) -> str:
    if table.startswith("arn:"):
        return table
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def queue_arn(queue_url: str) -> str:
    return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{urlparse(queue_url).path.rsplit('/', 1)[-1]}"


def distribution_arn(distribution_id: str) -> str:
    return f"arn:{PARTITION}:cloudfront::{ACCOUNT}:distribution/{distribution_id}"


def schedule_arn(group: str, name: str) -> str:
    return f"arn:{PARTITION}:scheduler:{REGION}:{ACCOUNT}:schedule/{group}/{name}"


def function_arn(name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT}:function:{name}"


Params = Mapping[str, Any]
TableKeys = Mapping[str, str]  # table name → its partition key attribute (dynamodb:LeadingKeys)
Requests = Callable[[Params, TableKeys], list[Request]]


@dataclass(frozen=True)
class Operation:
    """One row of the table: an API operation and the authorizations AWS makes for it."""

    service: str  # botocore's service name
    name: str  # the API operation
    actions: str  # the IAM action(s), as the README's table shows them
    resource: str  # the resource ARN, as the README's table shows it
    reference: str  # the Service Authorization Reference page
    requests: Requests


def _object(action: str, version_action: str | None = None) -> Requests:
    def requests(params: Params, keys: TableKeys) -> list[Request]:
        chosen = version_action if version_action and params.get("VersionId") else action
        return [Request(chosen, s3_object_arn(params["Bucket"], params["Key"]))]

    return requests


def _list_bucket(params: Params, keys: TableKeys) -> list[Request]:
    context = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
    return [Request("s3:ListBucket", s3_bucket_arn(params["Bucket"]), context)]


def _list_versions(params: Params, keys: TableKeys) -> list[Request]:
    context = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
    return [Request("s3:ListBucketVersions", s3_bucket_arn(params["Bucket"]), context)]


def _leading_key(table: str, key: Mapping[str, Any] | None, keys: TableKeys) -> list[str]:
    """The partition key value of one item (dynamodb:LeadingKeys), if the table's is known."""
    attribute = keys.get(table)
    value = (key or {}).get(attribute or "")
    return [next(iter(value.values()))] if isinstance(value, dict) and value else []


def _dynamo(action: str, resource: str, leading: list[str]) -> Request:
    context = {"dynamodb:LeadingKeys": tuple(dict.fromkeys(leading))} if leading else {}
    return Request(action, resource, context)


def _item(action: str) -> Requests:
    def requests(params: Params, keys: TableKeys) -> list[Request]:
        table = params["TableName"]
        key = params.get("Key") or params.get("Item")
        return [_dynamo(action, table_arn(table), _leading_key(table, key, keys))]

    return requests


def _read(action: str) -> Requests:
    """Query and Scan: on the table, or on the index; a Query's partition key value is the one
    its key condition names."""

    def requests(params: Params, keys: TableKeys) -> list[Request]:
        table = params["TableName"]
        resource = table_arn(table)
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        leading: list[str] = []
        attribute = keys.get(table)
        condition = params.get("KeyConditionExpression")
        if attribute and condition and not params.get("IndexName"):
            names = {v: k for k, v in (params.get("ExpressionAttributeNames") or {}).items()}
            spelled = "|".join(re.escape(n) for n in [attribute, names.get(attribute, attribute)])
            match = re.search(rf"(?:^|\s|\()(?:{spelled})\s*=\s*(:\w+)", condition)
            value = (
                (params.get("ExpressionAttributeValues") or {}).get(match.group(1))
                if match
                else None
            )
            if isinstance(value, dict) and value:
                leading = [next(iter(value.values()))]
        return [_dynamo(action, resource, leading)]

    return requests


def _batch_get(params: Params, keys: TableKeys) -> list[Request]:
    return [
        _dynamo(
            "dynamodb:BatchGetItem",
            table_arn(table),
            [k for key in spec.get("Keys", []) for k in _leading_key(table, key, keys)],
        )
        for table, spec in params["RequestItems"].items()
    ]


def _batch_write(params: Params, keys: TableKeys) -> list[Request]:
    found = []
    for table, writes in params["RequestItems"].items():
        leading = []
        for write in writes:
            item = (write.get("PutRequest") or {}).get("Item") or (
                write.get("DeleteRequest") or {}
            ).get("Key")
            leading += _leading_key(table, item, keys)
        found.append(_dynamo("dynamodb:BatchWriteItem", table_arn(table), leading))
    return found


_TRANSACT_WRITE = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def _transact_write(params: Params, keys: TableKeys) -> list[Request]:
    found = []
    for item in params["TransactItems"]:
        for kind, action in _TRANSACT_WRITE.items():
            if kind in item:
                table = item[kind]["TableName"]
                key = item[kind].get("Key") or item[kind].get("Item")
                found.append(_dynamo(action, table_arn(table), _leading_key(table, key, keys)))
    return found


def _transact_get(params: Params, keys: TableKeys) -> list[Request]:
    return [
        _dynamo(
            "dynamodb:GetItem",
            table_arn(item["Get"]["TableName"]),
            _leading_key(item["Get"]["TableName"], item["Get"].get("Key"), keys),
        )
        for item in params["TransactItems"]
    ]


def _stream(action: str) -> Requests:
    def requests(params: Params, keys: TableKeys) -> list[Request]:
        arn = params.get("StreamArn")
        if arn is None:  # GetRecords names only its iterator, which embeds the stream ARN
            match = re.search(r"arn:aws:dynamodb:[^|\s]+/stream/[^|\s/]+", params["ShardIterator"])
            arn = match.group(0) if match else "*"
        return [Request(action, arn)]

    return requests


def _queue(action: str) -> Requests:
    def requests(params: Params, keys: TableKeys) -> list[Request]:
        return [Request(action, queue_arn(params["QueueUrl"]))]

    return requests


def _distribution(action: str) -> Requests:
    def requests(params: Params, keys: TableKeys) -> list[Request]:
        return [Request(action, distribution_arn(params["DistributionId"]))]

    return requests


def _schedule(action: str) -> Requests:
    def requests(params: Params, keys: TableKeys) -> list[Request]:
        found = [Request(action, schedule_arn(params.get("GroupName", "default"), params["Name"]))]
        role = (params.get("Target") or {}).get("RoleArn")
        if role:  # passing the target's role to Scheduler
            found.append(
                Request("iam:PassRole", role, {"iam:PassedToService": "scheduler.amazonaws.com"})
            )
        return found

    return requests


def _publish(params: Params, keys: TableKeys) -> list[Request]:
    return [Request("sns:Publish", params.get("TopicArn") or params["TargetArn"])]


def _metric_data(params: Params, keys: TableKeys) -> list[Request]:
    return [Request("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": params["Namespace"]})]


def _invoke(params: Params, keys: TableKeys) -> list[Request]:
    return [Request("lambda:InvokeFunction", function_arn(params["FunctionName"]))]


_OBJECT = "arn:aws:s3:::<bucket>/<key>"
_TABLE = "arn:aws:dynamodb:<region>:<account>:table/<table>"
_TABLE_OR_INDEX = _TABLE + " (/index/<index> with IndexName)"
_EACH_TABLE = "each table named"
_STREAM = "arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>"
_QUEUE = "arn:aws:sqs:<region>:<account>:<queue>"
_DISTRIBUTION = "arn:aws:cloudfront::<account>:distribution/<id>"
_SCHEDULE = "arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>"
_LEADING = " (condition key dynamodb:LeadingKeys: the partition key values)"
_PASS_ROLE = " + iam:PassRole on Target.RoleArn (iam:PassedToService = scheduler.amazonaws.com)"

# Every AWS call of the runtime adapters, the handlers and the event source mappings (Lambda
# calls the last ones with the function's role). Powertools' Metrics write CloudWatch embedded
# metric format to the log (no PutMetricData call) and its Tracer sends segments to the X-Ray
# daemon over UDP (no API call), so the handlers themselves make none; PutMetricData, Publish
# and Invoke are here so that a new adapter using them is checked from its first call.
OPERATIONS: dict[tuple[str, str], Operation] = {
    (op.service, op.name): op
    for op in [
        # S3: HeadObject is authorized as s3:GetObject; a VersionId makes both
        # s3:GetObjectVersion (and DeleteObject s3:DeleteObjectVersion); ListObjectsV2 is
        # s3:ListBucket on the bucket, with the s3:prefix condition key.
        Operation(
            "s3",
            "GetObject",
            "s3:GetObject (s3:GetObjectVersion with VersionId)",
            _OBJECT,
            S3_REF,
            _object("s3:GetObject", "s3:GetObjectVersion"),
        ),
        Operation(
            "s3",
            "HeadObject",
            "s3:GetObject (s3:GetObjectVersion with VersionId)",
            _OBJECT,
            S3_REF,
            _object("s3:GetObject", "s3:GetObjectVersion"),
        ),
        Operation("s3", "PutObject", "s3:PutObject", _OBJECT, S3_REF, _object("s3:PutObject")),
        Operation(
            "s3",
            "DeleteObject",
            "s3:DeleteObject (s3:DeleteObjectVersion with VersionId)",
            _OBJECT,
            S3_REF,
            _object("s3:DeleteObject", "s3:DeleteObjectVersion"),
        ),
        Operation(
            "s3",
            "ListObjectsV2",
            "s3:ListBucket (condition key s3:prefix = Prefix)",
            "arn:aws:s3:::<bucket>",
            S3_REF,
            _list_bucket,
        ),
        Operation(
            "s3",
            "ListObjectVersions",
            "s3:ListBucketVersions (condition key s3:prefix = Prefix)",
            "arn:aws:s3:::<bucket>",
            S3_REF,
            _list_versions,
        ),
        # DynamoDB: a transaction is authorized item by item, with the action of each
        # contained operation on its table; batches have actions of their own.
        *(
            Operation(
                "dynamodb",
                name,
                f"dynamodb:{name}{_LEADING}",
                _TABLE,
                DYNAMODB_REF,
                _item(f"dynamodb:{name}"),
            )
            for name in ("GetItem", "PutItem", "UpdateItem", "DeleteItem")
        ),
        *(
            Operation(
                "dynamodb",
                name,
                f"dynamodb:{name}{_LEADING if name == 'Query' else ''}",
                _TABLE_OR_INDEX,
                DYNAMODB_REF,
                _read(f"dynamodb:{name}"),
            )
            for name in ("Query", "Scan")
        ),
        Operation(
            "dynamodb",
            "BatchGetItem",
            f"dynamodb:BatchGetItem{_LEADING}",
            _EACH_TABLE,
            DYNAMODB_REF,
            _batch_get,
        ),
        Operation(
            "dynamodb",
            "BatchWriteItem",
            f"dynamodb:BatchWriteItem{_LEADING}",
            _EACH_TABLE,
            DYNAMODB_REF,
            _batch_write,
        ),
        Operation(
            "dynamodb",
            "TransactWriteItems",
            "per item: Put → dynamodb:PutItem, Update → UpdateItem, Delete → DeleteItem, "
            "ConditionCheck → ConditionCheckItem",
            _EACH_TABLE,
            DYNAMODB_REF,
            _transact_write,
        ),
        Operation(
            "dynamodb",
            "TransactGetItems",
            "per item: Get → dynamodb:GetItem",
            _EACH_TABLE,
            DYNAMODB_REF,
            _transact_get,
        ),
        # DynamoDB Streams, read by BuildIndexes' event source mapping with its role.
        *(
            Operation(
                "dynamodbstreams",
                name,
                f"dynamodb:{name}",
                _STREAM,
                DYNAMODB_REF,
                _stream(f"dynamodb:{name}"),
            )
            for name in ("DescribeStream", "GetRecords", "GetShardIterator")
        ),
        Operation(
            "dynamodbstreams",
            "ListStreams",
            "dynamodb:ListStreams",
            "* (no resource type)",
            DYNAMODB_REF,
            lambda params, keys: [Request("dynamodb:ListStreams", "*")],
        ),
        # SQS: the batch forms are authorized as their single actions.
        *(
            Operation("sqs", name, f"sqs:{action}", _QUEUE, SQS_REF, _queue(f"sqs:{action}"))
            for name, action in (
                ("SendMessage", "SendMessage"),
                ("SendMessageBatch", "SendMessage"),
                ("ReceiveMessage", "ReceiveMessage"),
                ("DeleteMessage", "DeleteMessage"),
                ("DeleteMessageBatch", "DeleteMessage"),
                ("ChangeMessageVisibility", "ChangeMessageVisibility"),
                ("ChangeMessageVisibilityBatch", "ChangeMessageVisibility"),
                ("GetQueueAttributes", "GetQueueAttributes"),
            )
        ),
        *(
            Operation(
                "cloudfront",
                name,
                f"cloudfront:{name}",
                _DISTRIBUTION,
                CLOUDFRONT_REF,
                _distribution(f"cloudfront:{name}"),
            )
            for name in ("CreateInvalidation", "GetInvalidation", "ListInvalidations")
        ),
        *(
            Operation(
                "scheduler",
                name,
                f"scheduler:{name}{_PASS_ROLE}",
                _SCHEDULE,
                SCHEDULER_REF,
                _schedule(f"scheduler:{name}"),
            )
            for name in ("CreateSchedule", "UpdateSchedule")
        ),
        *(
            Operation(
                "scheduler",
                name,
                f"scheduler:{name}",
                _SCHEDULE,
                SCHEDULER_REF,
                _schedule(f"scheduler:{name}"),
            )
            for name in ("DeleteSchedule", "GetSchedule")
        ),
        Operation("sns", "Publish", "sns:Publish", "the topic ARN", SNS_REF, _publish),
        Operation(
            "cloudwatch",
            "PutMetricData",
            "cloudwatch:PutMetricData (condition key cloudwatch:namespace)",
            "* (no resource type)",
            CLOUDWATCH_REF,
            _metric_data,
        ),
        Operation(
            "lambda",
            "Invoke",
            "lambda:InvokeFunction",
            "arn:aws:lambda:<region>:<account>:function:<name>",
            LAMBDA_REF,
            _invoke,
        ),
    ]
}


def requests_for(
    service: str, operation: str, params: Params, keys: TableKeys | None = None
) -> list[Request]:
    """The authorizations AWS makes for one call (`keys`: the tables' partition keys)."""
    row = OPERATIONS.get((service, operation))
    if row is None:
        raise UnmappedOperation(
            f"{service}:{operation} has no row in pressroom_dev.iam.OPERATIONS: add the IAM "
            "actions and resources AWS authorizes it with (Service Authorization Reference)"
        )
    return row.requests(params, keys or {})


# -- denial, as each service words it ---------------------------------------------------------
# (error code, HTTP status) of an authorization failure, per botocore service name.
DENIALS: dict[str, tuple[str, int]] = {
    "s3": ("AccessDenied", 403),
    "dynamodb": ("AccessDeniedException", 400),
    "dynamodbstreams": ("AccessDeniedException", 400),
    "sqs": ("AccessDenied", 403),
    "cloudfront": ("AccessDenied", 403),
    "scheduler": ("AccessDeniedException", 403),
    "sns": ("AuthorizationError", 403),
    "cloudwatch": ("AccessDenied", 403),
    "lambda": ("AccessDeniedException", 403),
}


def denial(
    policy: Policy, service: str, operation: str, request: Request, decision: Decision
) -> ClientError:
    code, status = DENIALS[service]
    why = (
        f"with an explicit deny in an identity-based policy: {decision.statement.name}"
        if decision.explicit_deny and decision.statement is not None
        else f"because no identity-based policy allows the {request.action} action"
    )
    message = (
        f"User: {policy.principal_arn} is not authorized to perform: {request.action} on "
        f"resource: {request.resource} {why}"
    )
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


def authorize(
    policy: Policy, service: str, operation: str, params: Params, keys: TableKeys | None = None
) -> None:
    """Raise what AWS answers when `policy` does not allow the call."""
    for request in requests_for(service, operation, params, keys):
        decision = policy.evaluate(request)
        if not decision.allowed:
            raise denial(policy, service, operation, request, decision)


# -- enforcement ------------------------------------------------------------------------------
_acting = threading.local()


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """Calls made on this thread, by clients without a function of their own, are the
    function's (LocalStack.invoke wraps each invocation in it)."""
    previous = getattr(_acting, "function", None)
    _acting.function = function
    try:
        yield
    finally:
        _acting.function = previous


def acting_function() -> str | None:
    return getattr(_acting, "function", None)


def enforce(
    events: Any, policy: Callable[[], Policy | None], unique_id: str, keys: TableKeys | None = None
) -> None:
    """Check every call of the clients `events` reaches (a session's emitter reaches the clients
    created from it afterwards) against `policy()` at call time; None lets the call through
    (it is not a function's)."""

    def check(params: dict[str, Any], model: Any, **_: Any) -> None:
        current = policy()
        if current is not None:
            authorize(current, model.service_model.service_name, model.name, params, keys)

    events.register("before-parameter-build", check, unique_id=unique_id)


# -- the template's roles ---------------------------------------------------------------------
def transformed_template(text: str) -> dict[str, Any]:
    """template.yaml as CloudFormation, after SAM's transform (cached per template text).

    The SAM translator comes with aws-sam-cli (`make install`); `make install-local` (all that
    `make demo` needs) lacks it, and then `sam_roles` derives the functions' roles the way SAM
    does for the features this template uses (a test keeps the two equal)."""
    try:
        import samtranslator  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        import yaml

        from pressroom_dev.stack import _TemplateLoader

        return sam_roles(yaml.load(text, Loader=_TemplateLoader))
    return _transform(text)


_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
_XRAY = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
_EVENT_POLICIES = {
    "SQS": "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    "DynamoDB": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
}


def sam_roles(template: Mapping[str, Any]) -> dict[str, Any]:
    """The functions and roles SAM's transform makes of a template's AWS::Serverless::Function
    resources: AWSLambdaBasicExecutionRole; AWSXrayWriteOnlyAccess with `Tracing: Active`; the
    execution-role policy of each SQS and DynamoDB event; sqs:SendMessage on an SQS on-failure
    destination; each `Policies` document inline as <Function>RolePolicy<i>."""
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    resources: dict[str, Any] = {}
    for function, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        managed = [_BASIC]
        if props.get("Tracing", globals_.get("Tracing")) == "Active":
            managed.append(_XRAY)
        inline = []
        for index, policy in enumerate(props.get("Policies") or []):
            if isinstance(policy, str):
                arn = next((a for a in MANAGED_POLICIES if a.rsplit("/", 1)[-1] == policy), policy)
                managed.append(arn)
            elif isinstance(policy, dict) and "Statement" in policy:
                inline.append(
                    {"PolicyName": f"{function}RolePolicy{index}", "PolicyDocument": policy}
                )
            else:
                raise UnsupportedPolicy(f"{function}: policy {policy!r} needs the SAM translator")
        for name, event in (props.get("Events") or {}).items():
            kind = event.get("Type")
            if kind in _EVENT_POLICIES and _EVENT_POLICIES[kind] not in managed:
                managed.append(_EVENT_POLICIES[kind])
            on_failure = ((event.get("Properties") or {}).get("DestinationConfig") or {}).get(
                "OnFailure"
            ) or {}
            if on_failure.get("Type") == "SQS":
                statement = {
                    "Action": "sqs:SendMessage",
                    "Effect": "Allow",
                    "Resource": on_failure["Destination"],
                }
                inline.append(
                    {
                        "PolicyName": f"{function}{name}SQSPolicy",
                        "PolicyDocument": {"Statement": [statement]},
                    }
                )
        resources[function] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Role": {"Fn::GetAtt": [f"{function}Role", "Arn"]}},
        }
        resources[f"{function}Role"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {"ManagedPolicyArns": managed, "Policies": inline},
        }
    return {"Resources": resources}


@lru_cache(maxsize=4)
def _transform(text: str) -> dict[str, Any]:
    import boto3
    from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
    from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

    template = yaml_parse(text)
    for resource in template.get("Resources", {}).values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):  # as `sam validate` does: local paths are S3 URIs
            if isinstance(props.get(key), str):
                props[key] = f"s3://local/{props[key]}"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    managed = {arn.rsplit("/", 1)[-1]: arn for arn in MANAGED_POLICIES}
    result: dict[str, Any] = translator.translate(
        template, parameter_values={}, get_managed_policy_map=lambda: managed
    )
    return result


@dataclass(frozen=True)
class Resolver:
    """Intrinsic functions → the local stack's values (names, ARNs, pseudo parameters)."""

    ref: Callable[[str], str]
    attribute: Callable[[str, str], str]
    stack_name: str = "pressroom"

    def pseudo(self, name: str) -> str | None:
        return {
            "AWS::Partition": PARTITION,
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.pseudo(value["Ref"]) or self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            lid, attr = target.split(".", 1) if isinstance(target, str) else target
            return self.attribute(lid, attr)
        if set(value) == {"Fn::Sub"}:
            body = value["Fn::Sub"]
            text, variables = (body, {}) if isinstance(body, str) else (body[0], body[1])

            def substitute(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in variables:
                    return str(self(variables[name]))
                if "." in name:
                    return self.attribute(*name.split(".", 1))
                return self.pseudo(name) or self.ref(name)

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if set(value) == {"Fn::Join"}:
            separator, parts = value["Fn::Join"]
            return separator.join(str(self(p)) for p in parts)
        return {k: self(v) for k, v in value.items()}


def effective_policies(
    cfn: Mapping[str, Any], resolve: Resolver, role_name: Callable[[str], str]
) -> dict[str, Policy]:
    """Each Lambda function's policy: its role's managed and inline policies, resolved."""
    resources: Mapping[str, Any] = cfn["Resources"]
    policies = {}
    for function, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        role_ref = resource["Properties"]["Role"]
        role_id = role_ref["Fn::GetAtt"][0]
        role = resources[role_id]["Properties"]
        statements: list[Statement] = []
        for arn in role.get("ManagedPolicyArns", []):
            arn = resolve(arn)
            if arn not in MANAGED_POLICIES:
                raise UnsupportedPolicy(f"{role_id}: managed policy {arn} is not known locally")
            statements += [Statement.parse(raw, arn) for raw in MANAGED_POLICIES[arn]]
        for inline in role.get("Policies", []):
            document = resolve(inline["PolicyDocument"])
            raw_statements = document["Statement"]
            if isinstance(raw_statements, dict):
                raw_statements = [raw_statements]
            statements += [Statement.parse(raw, inline["PolicyName"]) for raw in raw_statements]
        policies[function] = Policy(function, role_name(role_id), tuple(statements))
    return policies


# -- event source mappings --------------------------------------------------------------------
# What Lambda calls with the function's role for an event source mapping: polling an SQS queue
# (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions), reading a
# DynamoDB stream (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-
# permissions), and sending a failed batch's record to an SQS on-failure destination.
QUEUE_MAPPING_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
STREAM_MAPPING_ACTIONS = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
)


def mapping_requests(
    queue_arn: str | None = None, stream_arn: str | None = None, on_failure_arn: str | None = None
) -> list[Request]:
    found = [Request(action, queue_arn) for action in QUEUE_MAPPING_ACTIONS if queue_arn]
    if stream_arn:
        found += [Request(action, stream_arn) for action in STREAM_MAPPING_ACTIONS]
        found.append(Request("dynamodb:ListStreams", "*"))
    if on_failure_arn:
        found.append(Request("sqs:SendMessage", on_failure_arn))
    return found


def check_event_source_mappings(
    policies: Mapping[str, Policy],
    queues: Sequence[Any],
    streams: Sequence[Any],
    arns: Mapping[str, str],
    queue_urls: Mapping[str, str],
) -> None:
    """Refuse a mapping whose function's role cannot do what Lambda does for it, as Lambda's
    CreateEventSourceMapping refuses it (InvalidParameterValueException)."""
    by_url = {url: arns[lid] for lid, url in queue_urls.items()}
    checks = [(q.function, mapping_requests(queue_arn=q.queue_arn)) for q in queues]
    checks += [
        (
            s.function,
            mapping_requests(
                stream_arn=s.stream_arn, on_failure_arn=by_url.get(s.failure_queue_url)
            ),
        )
        for s in streams
    ]
    for function, requests in checks:
        policy = policies[function]
        for request in requests:
            if not policy.evaluate(request).allowed:
                response: Any = {
                    "Error": {
                        "Code": "InvalidParameterValueException",
                        "Message": f"The function execution role does not have permissions to "
                        f"call {request.action.split(':', 1)[1]} on {request.resource}",
                    },
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                }
                raise ClientError(response, "CreateEventSourceMapping")
