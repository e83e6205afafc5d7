"""The local stack: template.yaml's resources on moto, and its event sources driven in-process.

Resources are created from the template itself (buckets with their notification configuration,
queues with their redrive policy, the table with its stream). The functions' event source
mappings are read from the template too, and events reach the same handlers Lambda runs, shaped
as Lambda's event source mappings deliver them. moto's own defects are corrected in
`moto_patches`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from botocore.config import Config

from pressroom.config import Settings
from pressroom_dev import iam
from pressroom_dev.delivery import DrainReport as DrainReport
from pressroom_dev.delivery import EventSourceMappings, Invoke
from pressroom_dev.delivery import QueueSource as QueueSource
from pressroom_dev.delivery import StreamSource as StreamSource
from pressroom_dev.moto_patches import install_moto_fidelity

REGION = "us-east-1"
ACCOUNT = "123456789012"
# The stack's own clients (creating resources, delivering events) talk to moto on this machine:
# explicit timeouts, so a hung server is an error in seconds rather than botocore's 60 s reads.
STACK_CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=30,
    retries={"mode": "standard", "total_max_attempts": 3},
)
Handler = Callable[..., dict[str, Any]]


# -- template ---------------------------------------------------------------------------------
class _TemplateLoader(yaml.SafeLoader):
    """YAML that reads CloudFormation's short-form intrinsic functions (!Ref, !GetAtt, ...)."""


def _intrinsic(loader: _TemplateLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TemplateLoader)
    if not isinstance(data, dict) or "Resources" not in data:
        raise ValueError(f"{path} is not a CloudFormation template")
    return data


def _ref(value: Any) -> str | None:
    """The logical id a !Ref or !GetAtt points to."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return None


def local_name(stack_name: str, logical_id: str) -> str:
    """The physical name a resource gets in the local stack: readable and stable."""
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", logical_id).lower()
    digest = hashlib.sha1(f"{stack_name}/{logical_id}".encode()).hexdigest()[:6]
    return f"{stack_name}-{words}-{digest}"


_LOCAL_TYPES = frozenset(
    {"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::Scheduler::ScheduleGroup"}
)


# Resources whose physical id moto chooses at creation (the stack records it in `names`).
_CDN_TYPES = frozenset({"AWS::CloudFront::Distribution"})
# CloudFormation's CloudFront property names where the API's differ.
_CLOUDFRONT_API_NAMES = {"IPV6Enabled": "IsIPV6Enabled"}


# -- resources and event sources --------------------------------------------------------------
@dataclass
class LambdaContext:
    """The context object handlers receive (what Powertools reads from it)."""

    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class LocalStack:
    """template.yaml on moto: names, clients, and a pump that delivers events to the handlers."""

    def __init__(
        self,
        project_dir: Path,
        session: Any,
        stack_name: str = "pressroom",
        endpoint_url: str | None = None,
    ) -> None:
        self.project_dir = project_dir
        self.template = load_template(project_dir / "template.yaml")
        self.resources: dict[str, dict[str, Any]] = self.template["Resources"]
        self.session = session
        self.stack_name = stack_name
        self.names: dict[str, str] = {}
        self.arns: dict[str, str] = {}
        self.queue_urls: dict[str, str] = {}
        self.domain_names: dict[str, str] = {}
        self.queue_sources: list[QueueSource] = []
        self.stream_sources: list[StreamSource] = []
        self.handlers: dict[str, Handler] = {}
        self.endpoint_url = endpoint_url

        def client(service: str) -> Any:
            return session.client(service, endpoint_url=endpoint_url, config=STACK_CLIENT_CONFIG)

        self.s3 = client("s3")
        self.sqs = client("sqs")
        self.dynamodb = client("dynamodb")
        self.streams = client("dynamodbstreams")
        self.scheduler = client("scheduler")
        self.cloudfront = client("cloudfront")
        self._delivery: EventSourceMappings | None = None
        # Each function's effective policy (iam.effective_policies), enforced on its clients.
        self.policies: dict[str, iam.Policy] = {}
        self._pipelines: dict[str, Any] = {}

    # names ------------------------------------------------------------------------------------
    def _physical(self, logical_id: str) -> str:
        return local_name(self.stack_name, logical_id)

    def _of_type(self, kind: str) -> list[str]:
        return [lid for lid, res in self.resources.items() if res.get("Type") == kind]

    def name(self, logical_id: str) -> str:
        """The local physical name of a resource (stable: derived from stack and logical id)."""
        return self.names.get(logical_id) or self._physical(logical_id)

    def distribution_id(self) -> str:
        """The id moto gave the template's CloudFront distribution ("" before `create`)."""
        found = self._of_type("AWS::CloudFront::Distribution")
        return self.names.get(found[0], "") if found else ""

    def settings(self) -> Settings:
        """What RenderPost's environment names, as pressroom reads it."""
        return Settings.from_environ(self.function_environment("RenderPostFunction"))

    def function_environment(self, function: str) -> dict[str, str]:
        """A function's environment variables from the template, resolved to local names."""
        variables = dict(
            ((self.template.get("Globals") or {}).get("Function") or {})
            .get("Environment", {})
            .get("Variables", {})
        )
        variables |= (self._props(function).get("Environment") or {}).get("Variables", {})
        resolved = {name: self._resolve(value) for name, value in variables.items()}
        resolved["TEMPLATES_DIR"] = str(self.project_dir / "templates")
        if self.endpoint_url:
            resolved["AWS_ENDPOINT_URL"] = self.endpoint_url
        return resolved

    def environment(self) -> dict[str, str]:
        """The union of every function's environment (serve runs them in one process)."""
        variables: dict[str, str] = {}
        for function in self._of_type("AWS::Serverless::Function"):
            for name, value in self.function_environment(function).items():
                variables[name] = variables.get(name) or value
        return variables

    def _resolve(self, value: Any) -> str:
        target = _ref(value)
        if target is None:
            return value if isinstance(value, str) else ""
        kind = self.resources.get(target, {}).get("Type", "")
        if "Ref" in value:
            if kind in _CDN_TYPES:  # an id moto chose: none until the resource exists
                return self.names.get(target, "")
            if kind == "AWS::SQS::Queue":  # a queue's Ref is its URL
                return self.queue_urls.get(target, "")
            return self.name(target) if kind in _LOCAL_TYPES else ""
        if kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{self.name(target)}"
        return self.arns.get(target, "")

    # creation ---------------------------------------------------------------------------------
    def create(self) -> LocalStack:
        """Create every bucket, queue and table of the template, then wire notifications."""
        install_moto_fidelity()
        for lid in self._of_type("AWS::SQS::Queue"):
            self._create_queue(lid)
        for lid in self._of_type("AWS::DynamoDB::Table"):
            self._create_table(lid)
        for lid in self._of_type("AWS::S3::Bucket"):
            self._create_bucket(lid)
        for lid in self._of_type("AWS::Scheduler::ScheduleGroup"):
            self.scheduler.create_schedule_group(Name=self.name(lid))
            self.names[lid] = self.name(lid)
        for lid in self._of_type("AWS::CloudFront::Distribution"):
            self._create_distribution(lid)
        for lid in self._of_type("AWS::Serverless::Function"):
            self._map_events(lid)
        self._enforce_policies()
        return self

    # permissions ------------------------------------------------------------------------------
    def _enforce_policies(self) -> None:
        """Evaluate each function's role as IAM would (pressroom_dev.iam): its event source
        mappings are checked now, as Lambda checks them when they are created, and every call
        a function's code makes is checked before it is sent. Clients created from this
        stack's session from now on act as the function being invoked (none: not checked)."""
        text = (self.project_dir / "template.yaml").read_text(encoding="utf-8")
        resolver = iam.Resolver(self._iam_ref, self._iam_attribute, self.stack_name)
        self.policies = iam.effective_policies(iam.transformed_template(text), resolver, self.name)
        iam.check_event_source_mappings(
            self.policies, self.queue_sources, self.stream_sources, self.arns, self.queue_urls
        )
        iam.enforce(
            self.session.events,
            lambda: self.policies.get(iam.acting_function() or ""),
            f"pressroom-iam-{id(self)}",
            self.table_keys(),
        )

    def _iam_ref(self, lid: str) -> str:
        return self._resolve({"Ref": lid}) or self.name(lid)

    def _iam_attribute(self, lid: str, attribute: str) -> str:
        kind = self.resources.get(lid, {}).get("Type", "")
        if attribute == "Arn" and kind == "AWS::S3::Bucket":
            return iam.s3_bucket_arn(self.name(lid))
        if attribute == "Arn" and kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{self.name(lid)}"
        if attribute == "StreamArn":
            return self.arns[f"{lid}.StreamArn"]
        return self.arns.get(lid) or self._resolve({"Fn::GetAtt": [lid, attribute]})

    def table_keys(self) -> dict[str, str]:
        """Each table's partition key attribute (for the dynamodb:LeadingKeys condition key)."""
        keys = {}
        for lid in self._of_type("AWS::DynamoDB::Table"):
            schema = self._props(lid)["KeySchema"]
            keys[self.name(lid)] = next(
                k["AttributeName"] for k in schema if k["KeyType"] == "HASH"
            )
        return keys

    def session_for(self, function: str) -> Any:
        """A session whose clients are the function's: every call is checked against its
        policy (`self.policies[function]`, read at call time, so a test can change it)."""
        import boto3

        session = boto3.session.Session(region_name=REGION)
        iam.enforce(
            session.events,
            lambda: self.policies[function],
            f"pressroom-iam-{function}",
            self.table_keys(),
        )
        return session

    def pipeline_for(self, function: str) -> Any:
        """The function's container: its environment's settings, and clients held to its
        role's policy (built once)."""
        if function not in self._pipelines:
            from pressroom.composition import pipeline_from_settings

            settings = Settings.from_environ(self.function_environment(function))
            session = self.session_for(function)
            self._pipelines[function] = pipeline_from_settings(settings, session)
        return self._pipelines[function]

    # schedules --------------------------------------------------------------------------------
    def schedule_groups(self) -> list[str]:
        """The names of the stack's schedule groups."""
        return [self.name(lid) for lid in self._of_type("AWS::Scheduler::ScheduleGroup")]

    def schedules(self) -> list[dict[str, Any]]:
        """Every pending one-time schedule of the stack's schedule groups."""
        found = []
        for group in self.schedule_groups():
            for summary in self.scheduler.list_schedules(GroupName=group).get("Schedules", []):
                found.append(self.scheduler.get_schedule(Name=summary["Name"], GroupName=group))
        return found

    def fire_due_schedules(self, now: datetime) -> int:
        """Do what EventBridge Scheduler does at `now`: send each due schedule's input to its
        target queue, then delete the schedule (ActionAfterCompletion: DELETE)."""
        fired = 0
        for schedule in self.schedules():
            expression = str(schedule["ScheduleExpression"])
            match = re.fullmatch(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)", expression)
            if not match:
                continue
            due = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
            if due > now:
                continue
            target = schedule["Target"]
            queue = next(lid for lid, arn in self.arns.items() if arn == target["Arn"])
            self.sqs.send_message(QueueUrl=self.queue_urls[queue], MessageBody=target["Input"])
            self.scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])
            fired += 1
        return fired

    def _props(self, lid: str) -> dict[str, Any]:
        return dict(self.resources[lid].get("Properties") or {})

    def _create_queue(self, lid: str) -> None:
        # Dead-letter queues first, so that redrive policies can name them.
        props = self._props(lid)
        attributes: dict[str, str] = {}
        for name in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if name in props:
                attributes[name] = str(props[name])
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = _ref(redrive.get("deadLetterTargetArn"))
            if target and target not in self.queue_urls:
                self._create_queue(target)
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": self.arns[target] if target else "",
                    "maxReceiveCount": int(redrive.get("maxReceiveCount", 5)),
                }
            )
        if lid in self.queue_urls:
            return
        name = self._physical(lid)
        url = self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.names[lid] = name
        self.queue_urls[lid] = url
        self.arns[lid] = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def _create_table(self, lid: str) -> None:
        props = self._props(lid)
        name = self._physical(lid)
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "StreamSpecification" in props:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": props["StreamSpecification"]["StreamViewType"],
            }
        description = self.dynamodb.create_table(**request)["TableDescription"]
        self.names[lid] = name
        self.arns[lid] = description["TableArn"]
        if "LatestStreamArn" in description:
            self.arns[f"{lid}.StreamArn"] = description["LatestStreamArn"]

    def _create_bucket(self, lid: str) -> None:
        props = self._props(lid)
        name = self._physical(lid)
        self.s3.create_bucket(Bucket=name)
        self.names[lid] = name
        if (props.get("VersioningConfiguration") or {}).get("Status") == "Enabled":
            self.s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": "Enabled"}
            )
        notification = props.get("NotificationConfiguration") or {}
        queues = []
        for entry in notification.get("QueueConfigurations", []):
            target = _ref(entry["Queue"])
            if target is None:
                continue
            config: dict[str, Any] = {"QueueArn": self.arns[target], "Events": [entry["Event"]]}
            if "Filter" in entry:
                rules = entry["Filter"]["S3Key"]["Rules"]
                config["Filter"] = {
                    "Key": {
                        "FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]
                    }
                }
            queues.append(config)
        if queues:
            self.s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"QueueConfigurations": queues}
            )
            for url in self.queue_urls.values():  # S3 sends a test event when wired up
                self.sqs.purge_queue(QueueUrl=url)

    def _create_distribution(self, lid: str) -> None:
        """The distribution as its template properties configure it, with the origin access
        control and CloudFront Functions it names created first (moto keeps neither the
        function associations nor the response headers policy, which it does not model)."""
        config = self._cloudfront_value(self._props(lid)["DistributionConfig"])
        config["CallerReference"] = self._physical(lid)
        shape = self.cloudfront.meta.service_model.operation_model("CreateDistribution")
        config = _as_shape(config, shape.input_shape.members["DistributionConfig"])
        distribution = self.cloudfront.create_distribution(DistributionConfig=config)
        self.names[lid] = distribution["Distribution"]["Id"]
        self.arns[lid] = distribution["Distribution"]["ARN"]
        self.domain_names[lid] = distribution["Distribution"]["DomainName"]

    def _cloudfront_value(self, value: Any) -> Any:
        """A CloudFormation CloudFront property as the CloudFront API takes it: lists become
        {Quantity, Items}, CachedMethods goes inside AllowedMethods, references resolve."""
        if _ref(value) is not None or (isinstance(value, dict) and "Fn::Sub" in value):
            return self._cloudfront_reference(value)
        if isinstance(value, list):
            items = [self._cloudfront_value(item) for item in value]
            return {"Quantity": len(items), "Items": items}
        if not isinstance(value, dict):
            return value
        converted: dict[str, Any] = {}
        for name, item in value.items():
            if name != "CachedMethods":
                converted[_CLOUDFRONT_API_NAMES.get(name) or name] = self._cloudfront_value(item)
        if "CachedMethods" in value and "AllowedMethods" in converted:
            converted["AllowedMethods"]["CachedMethods"] = self._cloudfront_value(
                value["CachedMethods"]
            )
        return converted

    def _cloudfront_reference(self, value: Any) -> str:
        """What a !Ref, !GetAtt or !Sub in the distribution's config resolves to locally."""
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            return str(text).replace("${AWS::StackName}", self.stack_name)
        target = _ref(value)
        assert target is not None
        kind = self.resources.get(target, {}).get("Type", "")
        attribute = value["Fn::GetAtt"][1] if "Fn::GetAtt" in value else ""
        if kind == "AWS::S3::Bucket":
            return f"{self.name(target)}.s3.{REGION}.amazonaws.com"  # RegionalDomainName
        if kind == "AWS::CloudFront::OriginAccessControl":
            if target not in self.names:
                config = self._cloudfront_value(self._props(target)["OriginAccessControlConfig"])
                created = self.cloudfront.create_origin_access_control(
                    OriginAccessControlConfig=config
                )
                self.names[target] = created["OriginAccessControl"]["Id"]
            return self.names[target]
        if kind == "AWS::CloudFront::Function" and attribute == "FunctionARN":
            if target not in self.arns:
                props = self._props(target)
                created = self.cloudfront.create_function(
                    Name=self._cloudfront_reference(props["Name"])
                    if isinstance(props["Name"], dict)
                    else str(props["Name"]),
                    FunctionConfig={
                        "Comment": str(props["FunctionConfig"].get("Comment", "")),
                        "Runtime": str(props["FunctionConfig"]["Runtime"]),
                    },
                    FunctionCode=str(props["FunctionCode"]).encode(),
                )
                summary = created["FunctionSummary"]
                self.names[target] = summary["Name"]
                self.arns[target] = summary["FunctionMetadata"]["FunctionARN"]
            return self.arns[target]
        # A resource moto does not model (the response headers policy): a stable local id.
        return self._physical(target)

    def _map_events(self, lid: str) -> None:
        props = self._props(lid)
        function_arn = LambdaContext(lid).invoked_function_arn
        for event in (props.get("Events") or {}).values():
            spec = event.get("Properties") or {}
            window = float(spec.get("MaximumBatchingWindowInSeconds", 0))
            report = "ReportBatchItemFailures" in (spec.get("FunctionResponseTypes") or [])
            if event.get("Type") == "SQS":
                queue = _ref(spec["Queue"])
                assert queue is not None
                self.queue_sources.append(
                    QueueSource(
                        lid,
                        self.queue_urls[queue],
                        self.arns[queue],
                        int(spec.get("BatchSize", 10)),
                        window=window,
                        report_item_failures=report,
                        function_arn=function_arn,
                    )
                )
            elif event.get("Type") == "DynamoDB":
                table = _ref(spec["Stream"])
                assert table is not None
                on_failure = _ref(
                    ((spec.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
                        "Destination"
                    )
                )
                self.stream_sources.append(
                    StreamSource(
                        lid,
                        self.arns[f"{table}.StreamArn"],
                        int(spec.get("BatchSize", 100)),
                        int(spec.get("MaximumRetryAttempts", 2)),
                        self.queue_urls.get(on_failure or "", ""),
                        window=window,
                        report_item_failures=report,
                        bisect=bool(spec.get("BisectBatchOnFunctionError", False)),
                        function_arn=function_arn,
                    )
                )

    def dead_letter_queues(self, queue_url: str) -> list[str]:
        """Logical ids of the queues the template redrives this queue's failures to."""
        lid = next(lid for lid, url in self.queue_urls.items() if url == queue_url)
        redrive = self._props(lid).get("RedrivePolicy") or {}
        target = _ref(redrive.get("deadLetterTargetArn"))
        return [target] if target else []

    # handlers ---------------------------------------------------------------------------------
    def handler(self, function: str) -> Handler:
        """The function's handler, loaded once (one warm container per function)."""
        if function not in self.handlers:
            self.handlers[function] = self.new_container(function, "")
        return self.handlers[function]

    def new_container(self, function: str, name: str) -> Handler:
        """The handler as a fresh Lambda container loads it (its own module-level state)."""
        module_name, attribute = self._handler_path(function)
        path = self.project_dir / str(self._props(function)["CodeUri"]) / f"{module_name}.py"
        handler: Handler = getattr(_load_module(f"pressroom_fn_{function}{name}", path), attribute)
        return handler

    def _handler_path(self, function: str) -> tuple[str, str]:
        handler = self._props(function).get("Handler") or (
            (self.template.get("Globals") or {}).get("Function", {}).get("Handler")
        )
        module_name, attribute = str(handler).rsplit(".", 1)
        return module_name, attribute

    # delivery ---------------------------------------------------------------------------------
    def delivery(self) -> EventSourceMappings:
        """The engine `drain` steps (one per stack, so a drain cut short resumes where it was)."""
        if self._delivery is None:
            self._delivery = EventSourceMappings(self, self.invoke)
        return self._delivery

    def pump_queue(self, source: QueueSource, invoke: Invoke, retry_delay: int | None = 0) -> int:
        """One step of the queue's mapping, without waiting for its batching window; failed
        messages become visible again after `retry_delay` seconds, or after the queue's
        visibility timeout when None."""
        return self.delivery().step_queue(source, invoke, retry_delay=retry_delay)

    def pump_stream(self, source: StreamSource, invoke: Invoke) -> int:
        """One batch from each shard of the stream, tried until it succeeds or its retries are
        exhausted (then it goes to the on-failure destination). Returns the records handled."""
        engine = self.delivery()
        delivered = engine.step_stream(source, invoke)
        while any(
            shard.batches
            for (function, _), shard in engine._shards.items()
            if function == source.function
        ):
            delivered += engine.step_stream(source, invoke)
        return delivered

    def invoke(self, function: str, event: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Run the function's handler on `event`: with its own pipeline unless one is given,
        and as the function (clients of this stack's session are held to its policy)."""
        if kwargs.get("pipeline") is None:
            kwargs["pipeline"] = self.pipeline_for(function)
        with iam.acting_as(function):
            return self.handler(function)(event, LambdaContext(function), **kwargs)

    def drain(
        self,
        invoke: Invoke | None = None,
        retry_delay: int = 0,
        max_rounds: int | None = None,
        now: datetime | None = None,
        delays: bool = False,
    ) -> DrainReport:
        """Deliver events until every queue and stream is empty, as the event source mappings
        do but without waiting (`delivery.EventSourceMappings.drain`); with `now`, schedules
        due by then fire first; with `delays`, delayed messages are left waiting."""
        return self.delivery().drain(
            invoke or self.invoke,
            now=now,
            max_rounds=max_rounds,
            retry_delay=retry_delay,
            delays=delays,
        )


def _as_shape(value: Any, shape: Any) -> Any:
    """`value` with its scalars typed as the botocore `shape` wants them (CloudFormation
    takes 404 where the API wants "404")."""
    if shape.type_name == "structure" and isinstance(value, dict):
        return {
            name: _as_shape(item, shape.members[name]) if name in shape.members else item
            for name, item in value.items()
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_as_shape(item, shape.member) for item in value]
    if shape.type_name == "string" and isinstance(value, int | float):
        return str(value)
    return value


_module_lock = threading.Lock()
_counter = itertools.count()


def _load_module(name: str, path: Path) -> ModuleType:
    with _module_lock:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


# The engine's threaded face, as `pressroom serve` and the tests have always named it.
EventPump = EventSourceMappings
