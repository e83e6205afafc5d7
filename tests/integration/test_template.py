"""Checks of the SAM template (template.yaml): lint, wiring, least privilege, and the build.

The template is read with cfn-lint's YAML decoder, which turns the short-form
intrinsics (!Ref, !GetAtt, !Sub, ...) into their long form ({"Ref": ...},
{"Fn::GetAtt": [...]}, {"Fn::Sub": ...}).
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import hashlib
import json
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"
# The venv's bin folder; not resolved, since .venv/bin/python is a symlink.
VENV_BIN = Path(sys.executable).parent

FUNCTION_TYPE = "AWS::Serverless::Function"
BUCKET_TYPE = "AWS::S3::Bucket"
WRITE_ACTIONS = ("s3:PutObject", "s3:DeleteObject")
# Actions that cannot be scoped to a resource, so "Resource": "*" is allowed for them.
RESOURCE_STAR_ACTIONS = {
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "cloudwatch:putmetricdata",
}
# Managed policies that SAM attaches by itself (basic logging, tracing, event source pollers).
SAM_IMPLICIT_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "AWSLambdaSQSQueueExecutionRole",
    "AWSLambdaDynamoDBExecutionRole",
}
# What the Lambda Python runtime itself provides; everything else must come from a layer.
LAMBDA_RUNTIME_MODULES = {
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "six",
    "urllib3",
}
# Values given to environment variables that the template sets with an intrinsic.
PLACEHOLDER_ENV = {
    "SOURCE_BUCKET": "a",
    "SITE_BUCKET": "b",
    "POSTS_TABLE": "c",
    "DISTRIBUTION_ID": "d",
}


# Run by a fresh interpreter laid out as Lambda (handler dir, then the core layer), with the
# venv's site-packages last so that the SDK, which the Lambda runtime provides, is found.
IMPORT_CHECK = """
import json, os, sys

assert sys.flags.no_site, "site must not run: it would activate the venv's editable install"
venv = os.environ["VENV_SITE_PACKAGES"]


def from_venv():
    return {
        name.split(".")[0]
        for name, module in list(sys.modules.items())
        if (getattr(module, "__file__", None) or "").startswith(venv)
    }


# The SDK and whatever it imports optionally from the venv (awscrt, certifi, ...)
import boto3

boto3.client("s3", region_name="us-east-1")
sdk = from_venv()

import app

assert callable(app.lambda_handler)
from pressroom.render import SiteRenderer

renderer = SiteRenderer.from_directory(os.environ["TEMPLATES_DIR"])
html = renderer.render("404.html", page={"title": "404"}, page_url="/404.html")
assert "<html" in html.lower(), html[:200]
import pressroom

print(json.dumps({
    "app": app.__file__,
    "pressroom": list(pressroom.__path__),
    "render": sys.modules["pressroom.render"].__file__,
    "sdk_from_venv": sorted(sdk),
    "boto3": boto3.__file__,
    "botocore": sys.modules["botocore"].__file__,
    "from_venv": sorted(from_venv() - sdk),
}))
print("ok")
"""


# ---------------------------------------------------------------- helpers


def load_template() -> dict[str, Any]:
    """The template as plain dicts and lists, intrinsics in long form."""
    return json.loads(json.dumps(cfn_yaml.load(str(TEMPLATE_PATH))))


@pytest.fixture
def template() -> dict[str, Any]:
    return load_template()


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def referenced_ids(value: Any) -> set[str]:
    """Logical ids that a value refers to through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                for name in re.findall(r"\$\{([^}!]+)\}", text):
                    found.add(name.split(".")[0])
                if isinstance(inner, list):
                    found |= referenced_ids(inner[1])
            else:
                found |= referenced_ids(inner)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_ids(item)
    return {name for name in found if not name.startswith("AWS::")}


def resources_of_type(tpl: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in tpl["Resources"].items() if res["Type"] == type_}


def function_property(tpl: dict[str, Any], function_id: str, name: str) -> Any:
    """A function's property, falling back to Globals.Function."""
    props = tpl["Resources"][function_id].get("Properties", {})
    if name in props:
        return props[name]
    return tpl.get("Globals", {}).get("Function", {}).get(name)


def function_environment(tpl: dict[str, Any], function_id: str) -> dict[str, Any]:
    """Globals.Function's environment merged with the function's own (as SAM merges them)."""
    merged: dict[str, Any] = {}
    glob = tpl.get("Globals", {}).get("Function", {})
    merged.update(glob.get("Environment", {}).get("Variables", {}))
    props = tpl["Resources"][function_id].get("Properties", {})
    merged.update(props.get("Environment", {}).get("Variables", {}))
    return merged


def function_statements(tpl: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    """The inline policy statements of a function (its Policies, or its explicit Role's)."""
    props = tpl["Resources"][function_id].get("Properties", {})
    statements: list[dict[str, Any]] = []
    for policy in as_list(props.get("Policies", [])):
        if isinstance(policy, dict) and "Statement" in policy:
            statements.extend(as_list(policy["Statement"]))
    for role_id in referenced_ids(props.get("Role", {})):
        role = tpl["Resources"].get(role_id, {})
        for policy in role.get("Properties", {}).get("Policies", []):
            statements.extend(as_list(policy["PolicyDocument"]["Statement"]))
    return statements


def actions_match(statement: dict[str, Any], wanted: tuple[str, ...]) -> bool:
    """Whether an Allow statement grants any of the wanted actions (wildcards included)."""
    if statement.get("Effect") != "Allow":
        return False
    patterns = [str(a).lower() for a in as_list(statement.get("Action", []))]
    return any(fnmatch.fnmatchcase(w.lower(), p) for w in wanted for p in patterns)


def _glob_tokens(pattern: str) -> list[tuple[str, bool]]:
    """An IAM resource pattern as (character, is_wildcard) tokens: `*` and `?` are wildcards."""
    return [(char, char in "*?") for char in pattern]


def _literal_tokens(text: str) -> list[tuple[str, bool]]:
    return [(char, False) for char in text]


def patterns_intersect(a: list[tuple[str, bool]], b: list[tuple[str, bool]]) -> bool:
    """Whether some string matches both token patterns (`*`: any run, `?`: one character).

    A search over pairs of positions: a `*` may match nothing (skip it) or one more character
    (stay on it); two literals must agree to consume a character."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        star_a = i < len(a) and a[i] == ("*", True)
        star_b = j < len(b) and b[j] == ("*", True)
        if star_a:
            todo.append((i + 1, j))
        if star_b:
            todo.append((i, j + 1))
        if i < len(a) and j < len(b):
            (char_a, wild_a), (char_b, wild_b) = a[i], b[j]
            if wild_a or wild_b or char_a == char_b:
                todo.append((i if star_a else i + 1, j if star_b else j + 1))
    return False


def key_pattern_overlaps_filter(pattern: str, prefix: str, suffix: str) -> bool:
    """Whether an object key that a policy's resource pattern allows writing can start with a
    notification's prefix and end with its suffix (S3 filter values are literal)."""
    notified = [*_literal_tokens(prefix), ("*", True), *_literal_tokens(suffix)]
    return patterns_intersect(_glob_tokens(pattern), notified)


def _bucket_refs(text: str, buckets: set[str]) -> list[tuple[str, str]]:
    """(bucket, rest of the string after the reference) for each ${Bucket} / ${Bucket.Arn}."""
    found = []
    for match in re.finditer(r"\$\{([^}!.]+)(\.Arn)?\}", text):
        if match.group(1) in buckets:
            found.append((match.group(1), text[match.end() :]))
    return found


def written_key_patterns(tpl: dict[str, Any], function_id: str) -> dict[str, set[str]]:
    """For each template bucket a function may put or delete objects in, the key patterns it
    may write ("*" when a statement names the whole bucket, or any bucket)."""
    buckets = set(resources_of_type(tpl, BUCKET_TYPE))
    written: dict[str, set[str]] = {}
    for statement in function_statements(tpl, function_id):
        if not actions_match(statement, WRITE_ACTIONS):
            continue
        for resource in as_list(statement.get("Resource")):
            if isinstance(resource, str):
                # "*", or a literal ARN whose bucket name is a wildcard: any bucket of ours
                arn = re.fullmatch(r"arn:[^:]*:s3:::([^/]*)(?:/(.*))?", resource)
                if resource == "*" or (arn and any(c in arn.group(1) for c in "*?")):
                    key = "*" if resource == "*" or arn is None else arn.group(2) or "*"
                    for bucket in buckets:
                        written.setdefault(bucket, set()).add(key)
                continue
            if "Fn::Sub" in resource:
                sub = resource["Fn::Sub"]
                text = sub[0] if isinstance(sub, list) else sub
                for bucket, rest in _bucket_refs(text, buckets):
                    key = rest.removeprefix("/") or "*"
                    written.setdefault(bucket, set()).add(key)
                if isinstance(sub, list):  # buckets given through Fn::Sub's variables: any key
                    for bucket in referenced_ids(sub[1]) & buckets:
                        written.setdefault(bucket, set()).add("*")
                continue
            # a bucket's ARN itself (Fn::GetAtt / Ref): conservatively, any key
            for bucket in referenced_ids(resource) & buckets:
                written.setdefault(bucket, set()).add("*")
    return written


def buckets_written_by(tpl: dict[str, Any], function_id: str) -> set[str]:
    return set(written_key_patterns(tpl, function_id))


def _notification_targets(config: dict[str, Any]) -> set[str]:
    return referenced_ids([config.get("Queue"), config.get("Topic"), config.get("Function")])


def _key_filter(config: dict[str, Any]) -> tuple[str, str]:
    """A notification's (prefix, suffix) key filter; ("", "") matches every key."""
    rules = (config.get("Filter") or {}).get("S3Key", {}).get("Rules", [])
    values = {str(rule["Name"]).lower(): str(rule["Value"]) for rule in rules}
    return values.get("prefix", ""), values.get("suffix", "")


def notifications_reaching(
    tpl: dict[str, Any], function_id: str
) -> dict[str, set[tuple[str, str]]]:
    """For each bucket whose events reach a function (directly, or through a queue or a topic),
    the (prefix, suffix) key filters of the notifications that do."""
    resources = tpl["Resources"]
    events = resources[function_id].get("Properties", {}).get("Events", {})
    sources: set[str] = set()  # queues and topics the function is subscribed to
    reaching: dict[str, set[tuple[str, str]]] = {}
    s3_rule = False  # an EventBridge rule on S3 events
    for event in events.values():
        props = event.get("Properties", {})
        if event["Type"] in ("EventBridgeRule", "CloudWatchEvent"):
            s3_rule |= "aws.s3" in json.dumps(props.get("Pattern", {}))
        if event["Type"] == "SQS":
            sources |= referenced_ids(props.get("Queue"))
        elif event["Type"] == "SNS":
            sources |= referenced_ids(props.get("Topic"))
        elif event["Type"] == "S3":
            for bucket_id in referenced_ids(props.get("Bucket")):
                reaching.setdefault(bucket_id, set()).add(_key_filter(props))
    for mapping in resources_of_type(tpl, "AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        if function_id in referenced_ids(props.get("FunctionName")):
            sources |= referenced_ids(props.get("EventSourceArn"))

    for bucket_id, bucket in resources_of_type(tpl, BUCKET_TYPE).items():
        notifications = bucket.get("Properties", {}).get("NotificationConfiguration", {})
        configs = [
            config
            for kind in ("QueueConfigurations", "TopicConfigurations", "LambdaConfigurations")
            for config in notifications.get(kind, [])
        ]
        for config in configs:
            targets = _notification_targets(config)
            if function_id in targets or targets & sources:
                reaching.setdefault(bucket_id, set()).add(_key_filter(config))
        eventbridge = notifications.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled")
        if eventbridge and s3_rule:  # rule patterns are not analysed: any key may match
            reaching.setdefault(bucket_id, set()).add(("", ""))
        if bucket_id in sources:  # a bucket given directly as a function's source
            reaching.setdefault(bucket_id, set()).add(("", ""))
    return reaching


def buckets_triggering(tpl: dict[str, Any], function_id: str) -> set[str]:
    """Buckets whose events reach a function: directly, or through a queue or a topic."""
    return set(notifications_reaching(tpl, function_id))


def trigger_loops(tpl: dict[str, Any]) -> dict[str, set[str]]:
    """For each function, the buckets where a key it can write would trigger it again: a key
    pattern of its write permissions can meet the prefix and suffix of a notification that
    reaches it."""
    loops = {}
    for function_id in resources_of_type(tpl, FUNCTION_TYPE):
        reaching = notifications_reaching(tpl, function_id)
        both = {
            bucket
            for bucket, patterns in written_key_patterns(tpl, function_id).items()
            for pattern in patterns
            for prefix, suffix in reaching.get(bucket, set())
            if key_pattern_overlaps_filter(pattern, prefix, suffix)
        }
        if both:
            loops[function_id] = both
    return loops


def policy_documents(tpl: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy document in a (SAM or plain CloudFormation) template."""
    for lid, res in tpl["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] == FUNCTION_TYPE:
            for policy in as_list(props.get("Policies", [])):
                yield lid, policy
        elif res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                yield lid, policy["PolicyDocument"]
        elif "PolicyDocument" in props:
            yield lid, props["PolicyDocument"]


def privilege_findings(tpl: dict[str, Any]) -> list[str]:
    """Allow statements that grant wildcard actions or "*" resources without need."""
    findings = []
    for lid, document in policy_documents(tpl):
        if not isinstance(document, dict) or "Statement" not in document:
            findings.append(f"{lid}: policy given by name or template, not statements: {document}")
            continue
        for statement in as_list(document["Statement"]):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                findings.append(f"{lid}: Allow with NotAction/NotResource: {statement}")
            actions = [str(a).lower() for a in as_list(statement.get("Action", []))]
            wildcard = [a for a in actions if "*" in a]
            if wildcard:
                findings.append(f"{lid}: wildcard action {wildcard}")
            resource_star = "*" in as_list(statement.get("Resource"))
            if resource_star and not set(actions) <= RESOURCE_STAR_ACTIONS:
                findings.append(f'{lid}: "Resource": "*" for {actions}')
    return findings


def sam_translate(tpl: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation sees it after the SAM transform (offline)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    tpl = copy.deepcopy(tpl)
    for res in tpl["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:  # local paths become S3 locations at package time
                props[key] = "s3://bucket/artifact.zip"
    translator = Translator(
        None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1")
    )
    return translator.translate(tpl, parameter_values={}, get_managed_policy_map=dict)


def run_tool(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, **kwargs
    )


# ---------------------------------------------------------------- 1, 2: linters


def test_cfn_lint_reports_nothing() -> None:
    """Given the template, when cfn-lint checks it, then it finds nothing at all."""
    cfn_lint = VENV_BIN / "cfn-lint"
    assert cfn_lint.exists(), f"{cfn_lint} is missing: pip install cfn-lint"

    result = run_tool([str(cfn_lint), str(TEMPLATE_PATH)])

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_checkov_reports_nothing_and_every_suppression_has_a_reason() -> None:
    """Given the template, when checkov scans it (`make lint` installs it in .venv-checkov),
    then no check fails and every skipped check carries its reason."""
    if not CHECKOV.exists():
        pytest.skip(f"{CHECKOV} is missing: `make lint` installs it")

    result = run_tool(
        [
            str(CHECKOV),
            "--file",
            str(TEMPLATE_PATH),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ]
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    report = json.loads(result.stdout)
    assert report["summary"]["failed"] == 0 and report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 0
    for skipped in report["results"]["skipped_checks"]:
        reason = skipped["check_result"].get("suppress_comment", "")
        assert len(reason) > 40, (skipped["check_id"], skipped["resource"], reason)


def checkov_suppressions(tpl: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(resource, check id, comment) of each checkov skip in the resources' Metadata."""
    found = []
    for lid, res in tpl["Resources"].items():
        for skip in (res.get("Metadata") or {}).get("checkov", {}).get("skip", []):
            found.append((lid, str(skip.get("id", "")), str(skip.get("comment", "")).strip()))
    return found


def test_checkov_suppressions_carry_their_reasons(template: dict[str, Any]) -> None:
    """Given the template's checkov suppressions, then each names a check, once per resource,
    and gives a reason of its own (a sentence, not a placeholder)."""
    suppressions = checkov_suppressions(template)

    assert suppressions  # the analysis sees them
    for lid, check_id, comment in suppressions:
        assert re.fullmatch(r"CKV2?_AWS_\d+", check_id), (lid, check_id)
        assert len(comment.split()) >= 8, (lid, check_id, comment)
    pairs = [(lid, check_id) for lid, check_id, _ in suppressions]
    assert len(pairs) == len(set(pairs))


def test_sam_validate_lint_passes() -> None:
    """Given the template, when `sam validate --lint` checks it, then it is valid."""
    sam = VENV_BIN / "sam"
    assert sam.exists(), f"{sam} is missing: pip install aws-sam-cli"

    result = run_tool(
        [str(sam), "validate", "--lint", "--template", str(TEMPLATE_PATH), "--region", "us-east-1"]
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


# ---------------------------------------------------------------- 3: no recursion


def test_no_function_is_triggered_by_a_bucket_it_writes_to(template: dict[str, Any]) -> None:
    """Given the template's notifications, queues, events and policies,
    when we follow each function's triggers and writes,
    then no function can write to a bucket that triggers it."""
    # Given: the analysis sees the real edges (so an empty result means something):
    # RenderPost is triggered by posts/ of the source bucket and writes editor reports to its
    # reports/, which the notifications do not cover.
    assert notifications_reaching(template, "RenderPostFunction") == {
        "SourceBucket": {("posts/", "")}
    }
    assert written_key_patterns(template, "RenderPostFunction") == {
        "SiteBucket": {"*"},
        "SourceBucket": {"reports/*"},
    }
    assert written_key_patterns(template, "BuildIndexesFunction") == {"SiteBucket": {"*"}}
    # Rebuild publishes as RenderPost does (a reconcile writes and clears reports).
    assert written_key_patterns(template, "RebuildFunction") == {
        "SiteBucket": {"*"},
        "SourceBucket": {"reports/*"},
    }
    assert buckets_triggering(template, "BuildIndexesFunction") == set()
    assert buckets_triggering(template, "RebuildFunction") == set()

    # When / Then
    assert trigger_loops(template) == {}


def _render_post_writes(template: dict[str, Any], resource: Any) -> dict[str, Any]:
    """The template with RenderPost's source-bucket writes (its reports) given `resource`."""
    statements = function_statements(template, "RenderPostFunction")
    (write,) = [s for s in statements if s.get("Sid") == "ReadWriteReports"]
    write["Resource"] = resource
    return template


@pytest.mark.parametrize(
    "resource",
    [
        {"Fn::Sub": "${SourceBucket.Arn}/*"},
        {"Fn::Sub": "${SourceBucket.Arn}/posts/*"},
        {"Fn::Sub": "${SourceBucket.Arn}/post?/*"},
        {"Fn::Sub": "${SourceBucket.Arn}/p*"},
        {"Fn::Sub": "${SourceBucket.Arn}/posts/2026-05-01-a.md"},
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::${SourceBucket}/posts/*"},
        {"Fn::GetAtt": ["SourceBucket", "Arn"]},
        "*",
        "arn:aws:s3:::*/posts/*",
    ],
    ids=str,
)
def test_recursion_check_catches_a_function_writing_its_trigger(
    template: dict[str, Any], resource: Any
) -> None:
    """Given RenderPost allowed to write keys of the source bucket that can fall under posts/,
    when the check runs, then it reports the loop (so the test above can fail)."""
    _render_post_writes(template, resource)

    assert trigger_loops(template) == {"RenderPostFunction": {"SourceBucket"}}


@pytest.mark.parametrize(
    "resource",
    [
        {"Fn::Sub": "${SourceBucket.Arn}/reports/*"},
        {"Fn::Sub": "${SourceBucket.Arn}/reports/posts/*"},
        {"Fn::Sub": "${SourceBucket.Arn}/postscript/*"},
        {"Fn::Sub": "${SourceBucket.Arn}/post/*"},
        {"Fn::Sub": "${SiteBucket.Arn}/posts/*"},
    ],
    ids=str,
)
def test_recursion_check_allows_writes_outside_the_notified_prefix(
    template: dict[str, Any], resource: Any
) -> None:
    """Given RenderPost writing keys of its triggering bucket that cannot start with posts/
    (or keys of another bucket), when the check runs, then it reports no loop."""
    _render_post_writes(template, resource)

    assert trigger_loops(template) == {}


@pytest.mark.parametrize(
    ("pattern", "prefix", "suffix", "overlaps"),
    [
        ("*", "posts/", "", True),
        ("reports/*", "posts/", "", False),
        ("posts/*", "posts/", ".md", True),
        ("posts/*.json", "posts/", ".md", False),
        ("posts/a.md", "posts/", ".md", True),
        ("posts/a.json", "posts/", ".md", False),
        ("p?sts/*", "posts/", "", True),
        ("*/x", "posts/", "", True),
        ("posts", "posts/", "", False),
        ("a*b*c", "ab", "c", True),
        ("a*b", "ac", "", True),
        ("a?b", "ac", "c", False),
        ("reports/*", "", "", True),
        ("posts/*", "posts/*", "", True),
        ("posts/x", "posts/*", "", False),
    ],
)
def test_key_patterns_meet_notification_filters(
    pattern: str, prefix: str, suffix: str, overlaps: bool
) -> None:
    """Given a written key pattern (IAM wildcards) and a notification's literal prefix and
    suffix, then they overlap exactly when some key matches both."""
    assert key_pattern_overlaps_filter(pattern, prefix, suffix) is overlaps


def test_source_bucket_notifies_the_ingest_queue_for_posts_only(template: dict[str, Any]) -> None:
    """Given the source bucket, then creations and removals under posts/ go to the ingest queue."""
    notifications = template["Resources"]["SourceBucket"]["Properties"]["NotificationConfiguration"]
    configs = notifications["QueueConfigurations"]

    assert sorted(c["Event"] for c in configs) == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]
    for config in configs:
        assert referenced_ids(config["Queue"]) == {"IngestQueue"}
        rules = config["Filter"]["S3Key"]["Rules"]
        assert [(r["Name"].lower(), r["Value"]) for r in rules] == [("prefix", "posts/")]
    assert set(notifications) == {"QueueConfigurations"}


def test_queue_policy_admits_only_the_source_bucket(template: dict[str, Any]) -> None:
    """Given the ingest queue policy, then only S3, for this account's source bucket, may send."""
    resources = template["Resources"]
    bucket_name = resources["SourceBucket"]["Properties"]["BucketName"]["Fn::Sub"]
    policy = resources["IngestQueuePolicy"]["Properties"]
    (statement,) = policy["PolicyDocument"]["Statement"]

    assert referenced_ids(policy["Queues"]) == {"IngestQueue"}
    assert "IngestQueuePolicy" in as_list(resources["SourceBucket"].get("DependsOn", []))
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert as_list(statement["Action"]) == ["sqs:SendMessage"]
    source_arn = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn == f"arn:${{AWS::Partition}}:s3:::{bucket_name}"
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}


# ---------------------------------------------------------------- 4: least privilege


def test_policies_grant_no_wildcards(template: dict[str, Any]) -> None:
    """Given every policy document written in the template,
    then no Allow statement has a wildcard action or an unneeded "*" resource."""
    assert privilege_findings(template) == []


def test_transformed_roles_are_least_privilege(template: dict[str, Any]) -> None:
    """Given the template after the SAM transform,
    then the generated roles carry only SAM's own managed policies
    and inline statements without wildcards."""
    translated = sam_translate(template)
    roles = resources_of_type(translated, "AWS::IAM::Role")
    assert set(roles) == {
        "RenderPostFunctionRole",
        "BuildIndexesFunctionRole",
        "RebuildFunctionRole",
        "PublicationSchedulerRole",
    }
    # the scheduler's role may only put due publications on the ingest queue
    (statement,) = roles["PublicationSchedulerRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}

    for role_id, role in roles.items():
        arns = role["Properties"].get("ManagedPolicyArns", [])
        names = {str(arn).rsplit("/", 1)[-1] for arn in arns}
        assert names <= SAM_IMPLICIT_MANAGED_POLICIES, (role_id, names)
    assert privilege_findings(translated) == []


def test_privilege_check_catches_wildcards(template: dict[str, Any]) -> None:
    """Given a statement widened to s3:* on "*", when checked, then both are reported."""
    statements = function_statements(template, "BuildIndexesFunction")
    statements[0]["Action"] = "s3:*"
    statements[0]["Resource"] = "*"

    findings = privilege_findings(template)

    assert any("wildcard action" in f for f in findings)
    assert any('"Resource": "*"' in f for f in findings)


def test_functions_have_the_permissions_they_need(template: dict[str, Any]) -> None:
    """Given each function's statements, then it holds exactly the grants the design needs."""

    def grants(function_id: str) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {}
        for statement in function_statements(template, function_id):
            resource = json.dumps(statement["Resource"], sort_keys=True)
            for action in as_list(statement["Action"]):
                result.setdefault(action, set()).add(resource)
        return result

    render = grants("RenderPostFunction")
    source_posts = json.dumps({"Fn::Sub": "${SourceBucket.Arn}/posts/*"})
    site_objects = json.dumps({"Fn::Sub": "${SiteBucket.Arn}/*"})
    assert render["s3:GetObjectVersion"] == {source_posts}
    # GetObject on the site and on reports: HeadObject reads the content hash that skips
    # unchanged writes, and whether there is a report to delete
    reports = json.dumps({"Fn::Sub": "${SourceBucket.Arn}/reports/*"})
    assert render["s3:GetObject"] == {source_posts, site_objects, reports}
    # the site's pages, and editor reports in the source bucket (never under posts/)
    for action in ("s3:PutObject", "s3:DeleteObject"):
        assert render[action] == {site_objects, reports}
    table = json.dumps({"Fn::GetAtt": ["PostsTable", "Arn"]}, sort_keys=True)
    for action in ("GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"):
        assert render[f"dynamodb:{action}"] == {table}

    indexes = grants("BuildIndexesFunction")
    assert indexes["dynamodb:GetItem"] == indexes["dynamodb:Query"] == {table}
    # BuildIndexes writes only the invalidation outbox (and the CDN's wildcard timer) and its
    # stale pages, by partition key
    writes = [
        statement
        for statement in function_statements(template, "BuildIndexesFunction")
        if {"dynamodb:PutItem", "dynamodb:DeleteItem"} & set(as_list(statement["Action"]))
    ]
    assert [set(as_list(statement["Action"])) for statement in writes] == [
        {"dynamodb:PutItem", "dynamodb:DeleteItem"}
    ] * 2
    assert [statement["Condition"] for statement in writes] == [
        {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": partitions}}
        for partitions in (["OUTBOX", "CDN"], ["STALE"])
    ]
    assert "dynamodb:BatchWriteItem" not in indexes
    assert not {"dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"} & set(indexes)
    # BuildIndexes never reads the source bucket: only the site's own objects (content hashes)
    assert {a for a in indexes if a.startswith("s3:Get")} == {"s3:GetObject"}
    assert indexes["s3:GetObject"] == {json.dumps({"Fn::Sub": "${SiteBucket.Arn}/*"})}
    (distribution,) = indexes["cloudfront:CreateInvalidation"]
    assert "SiteDistribution" in referenced_ids(json.loads(distribution))


# ---------------------------------------------------------------- 5: wiring and hardening


def test_ingest_queue_outlasts_the_function_and_has_a_dead_letter_queue(
    template: dict[str, Any],
) -> None:
    """Given the ingest queue and RenderPost,
    then a message stays invisible for 6 function timeouts and ends in the DLQ after retries."""
    resources = template["Resources"]
    queue = resources["IngestQueue"]["Properties"]
    dlq = resources["IngestDeadLetterQueue"]["Properties"]
    timeout = function_property(template, "RenderPostFunction", "Timeout")
    (event,) = resources["RenderPostFunction"]["Properties"]["Events"].values()
    window = event["Properties"].get("MaximumBatchingWindowInSeconds", 0)

    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["VisibilityTimeout"] >= timeout + window
    redrive = queue["RedrivePolicy"]
    assert referenced_ids(redrive["deadLetterTargetArn"]) == {"IngestDeadLetterQueue"}
    assert redrive["maxReceiveCount"] >= 1
    assert dlq["MessageRetentionPeriod"] > queue.get("MessageRetentionPeriod", 345600)
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True


def test_functions_report_partial_batch_failures(template: dict[str, Any]) -> None:
    """Given both functions' event sources, then each reports item failures and has a way out."""
    resources = template["Resources"]
    (ingest,) = resources["RenderPostFunction"]["Properties"]["Events"].values()
    (stream,) = resources["BuildIndexesFunction"]["Properties"]["Events"].values()

    assert ingest["Type"] == "SQS"
    assert referenced_ids(ingest["Properties"]["Queue"]) == {"IngestQueue"}
    assert stream["Type"] == "DynamoDB"
    assert stream["Properties"]["Stream"] == {"Fn::GetAtt": ["PostsTable", "StreamArn"]}
    for event in (ingest, stream):
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 <= stream["Properties"]["MaximumRetryAttempts"] <= 10_000
    on_failure = stream["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    assert referenced_ids(on_failure) == {"IndexesDeadLetterQueue"}


def test_table_streams_new_and_old_images(template: dict[str, Any]) -> None:
    """Given the posts table, then its stream carries new and old images and it is recoverable."""
    table = template["Resources"]["PostsTable"]["Properties"]

    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "PK": "HASH",
        "SK": "RANGE",
    }
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


@pytest.mark.parametrize("bucket_id", ["SourceBucket", "SiteBucket"])
def test_buckets_are_private_and_encrypted(template: dict[str, Any], bucket_id: str) -> None:
    """Given a bucket, then all public access is blocked and objects are encrypted at rest."""
    props = template["Resources"][bucket_id]["Properties"]

    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}


def test_source_bucket_is_versioned_and_expires_old_versions(template: dict[str, Any]) -> None:
    """Given the source bucket, then it keeps versions and expires noncurrent ones."""
    props = template["Resources"]["SourceBucket"]["Properties"]

    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    rules = props["LifecycleConfiguration"]["Rules"]
    assert any(
        r["Status"] == "Enabled" and r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays")
        for r in rules
    )


def test_distribution_reaches_the_site_bucket_only_through_oac_over_https(
    template: dict[str, Any],
) -> None:
    """Given the distribution and the site bucket policy,
    then CloudFront signs its requests with OAC, viewers are sent to HTTPS,
    and only this distribution may read the bucket, over TLS."""
    resources = template["Resources"]
    config = resources["SiteDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    behavior = config["DefaultCacheBehavior"]
    oac = resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]

    assert origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert referenced_ids(origin["OriginAccessControlId"]) == {"SiteOriginAccessControl"}
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")
    assert behavior["TargetOriginId"] == origin["Id"]
    assert behavior["ViewerProtocolPolicy"] in {"redirect-to-https", "https-only"}
    assert config["DefaultRootObject"] == "index.html"
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    for code in (403, 404):
        assert (errors[code]["ResponsePagePath"], errors[code]["ResponseCode"]) == (
            "/404.html",
            404,
        )

    statements = resources["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert as_list(allow["Action"]) == ["s3:GetObject"]
    assert referenced_ids(allow["Condition"]["StringEquals"]["AWS:SourceArn"]) == {
        "SiteDistribution"
    }
    assert any(
        s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for s in statements
    )


def test_functions_share_layers_and_environment(template: dict[str, Any]) -> None:
    """Given both functions, then they run the core and templates layers with the env they read."""
    for function_id in ("RenderPostFunction", "BuildIndexesFunction", "RebuildFunction"):
        layers = function_property(template, function_id, "Layers")
        env = function_environment(template, function_id)

        assert [referenced_ids(layer) for layer in layers] == [{"CoreLayer"}, {"TemplatesLayer"}]
        assert function_property(template, function_id, "Runtime") == "python3.11"
        assert env["TEMPLATES_DIR"] == "/opt/templates"
        assert {
            k: referenced_ids(env[k]) for k in ("SOURCE_BUCKET", "SITE_BUCKET", "POSTS_TABLE")
        } == {
            "SOURCE_BUCKET": {"SourceBucket"},
            "SITE_BUCKET": {"SiteBucket"},
            "POSTS_TABLE": {"PostsTable"},
        }
    assert function_environment(template, "BuildIndexesFunction")["DISTRIBUTION_ID"] == {
        "Ref": "SiteDistribution"
    }


def test_outputs_name_every_resource_other_code_looks_up(template: dict[str, Any]) -> None:
    """Given the outputs, then each name other code reads is there."""
    assert set(template["Outputs"]) >= {
        "SourceBucketName",
        "SiteBucketName",
        "IngestQueueUrl",
        "DeadLetterQueueUrl",
        "PostsTableName",
        "SiteDistributionId",
        "SiteUrl",
        "RenderPostFunctionName",
        "BuildIndexesFunctionName",
    }


def bucket_policy_statements(tpl: dict[str, Any], bucket_id: str) -> list[dict[str, Any]]:
    (policy,) = [
        res
        for res in resources_of_type(tpl, "AWS::S3::BucketPolicy").values()
        if referenced_ids(res["Properties"]["Bucket"]) == {bucket_id}
    ]
    return list(as_list(policy["Properties"]["PolicyDocument"]["Statement"]))


def denies(statement: dict[str, Any], action: str, bucket_id: str, objects: bool) -> bool:
    """Whether a statement denies everyone `action` on the bucket (objects: on all its keys)."""
    wanted = (
        {"Fn::Sub": f"${{{bucket_id}.Arn}}/*"} if objects else {"Fn::GetAtt": [bucket_id, "Arn"]}
    )
    return (
        statement["Effect"] == "Deny"
        and statement["Principal"] in ("*", {"AWS": "*"})
        and any(fnmatch.fnmatchcase(action, a) for a in as_list(statement["Action"]))
        and wanted in as_list(statement["Resource"])
    )


@pytest.mark.parametrize("bucket_id", ["SourceBucket", "SiteBucket"])
def test_bucket_policies_deny_plain_http(template: dict[str, Any], bucket_id: str) -> None:
    """Given a bucket's policy, then every request to the bucket or its objects without TLS
    is denied."""
    statements = bucket_policy_statements(template, bucket_id)

    (tls,) = [
        s for s in statements if "aws:SecureTransport" in s.get("Condition", {}).get("Bool", {})
    ]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert denies(tls, "s3:GetObject", bucket_id, objects=True)
    assert denies(tls, "s3:ListBucket", bucket_id, objects=False)


@pytest.mark.parametrize("bucket_id", ["SourceBucket", "SiteBucket"])
def test_bucket_policies_deny_uploads_asking_for_other_encryption(
    template: dict[str, Any], bucket_id: str
) -> None:
    """Given a bucket's policy and default encryption, then an upload that names another
    server-side encryption, or a customer-provided key, is denied, while an upload that names
    none (editors' tools, the functions) is left to default encryption."""
    statements = bucket_policy_statements(template, bucket_id)
    props = template["Resources"][bucket_id]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
    header = "s3:x-amz-server-side-encryption"
    sse_c = "s3:x-amz-server-side-encryption-customer-algorithm"

    # another algorithm: denied only when the header is present (Null "false") and differs;
    # StringNotEquals alone would also deny uploads without the header
    (other,) = [
        s for s in statements if header in s.get("Condition", {}).get("StringNotEquals", {})
    ]
    assert denies(other, "s3:PutObject", bucket_id, objects=True)
    assert other["Condition"] == {
        "StringNotEquals": {header: algorithm},
        "Null": {header: "false"},
    }
    # a customer-provided key: denied whenever one is given
    (customer,) = [s for s in statements if sse_c in s.get("Condition", {}).get("Null", {})]
    assert denies(customer, "s3:PutObject", bucket_id, objects=True)
    assert customer["Condition"] == {"Null": {sse_c: "false"}}


def test_every_queue_is_encrypted_and_keeps_messages_for_a_set_period(
    template: dict[str, Any],
) -> None:
    """Given every SQS queue, then it is encrypted with SQS managed keys or a KMS key, and its
    retention is stated (dead-letter queues: the 14-day maximum)."""
    queues = resources_of_type(template, "AWS::SQS::Queue")

    dead_letters = {"IngestDeadLetterQueue", "IndexesDeadLetterQueue", "RebuildDeadLetterQueue"}
    assert set(queues) == {"IngestQueue", "RebuildQueue", *dead_letters}
    for lid, queue in queues.items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), lid
        assert 60 <= props["MessageRetentionPeriod"] <= 1209600, lid
    for lid in dead_letters:
        assert queues[lid]["Properties"]["MessageRetentionPeriod"] == 1209600


def test_every_function_logs_to_a_group_kept_for_the_set_period(template: dict[str, Any]) -> None:
    """Given every function, then its log group (/aws/lambda/<function>) is in the template and
    keeps logs for LogRetentionInDays, whose choices are all finite."""
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    by_function = {}
    for lid, group in groups.items():
        props = group["Properties"]
        (function_id,) = referenced_ids(props["LogGroupName"])
        assert props["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function_id}}}"}
        assert props["RetentionInDays"] == {"Ref": "LogRetentionInDays"}, lid
        by_function[function_id] = lid

    assert set(by_function) == set(resources_of_type(template, FUNCTION_TYPE))
    retention = template["Parameters"]["LogRetentionInDays"]
    assert retention["Default"] in retention["AllowedValues"]
    assert all(isinstance(days, int) and days > 0 for days in retention["AllowedValues"])


def csp_directives(policy: str) -> dict[str, list[str]]:
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def response_headers_policy(tpl: dict[str, Any]) -> dict[str, Any]:
    """The ResponseHeadersPolicyConfig that the distribution's default behavior uses."""
    config = tpl["Resources"]["SiteDistribution"]["Properties"]["DistributionConfig"]
    (policy_id,) = referenced_ids(config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"])
    policy = tpl["Resources"][policy_id]
    assert policy["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"
    return dict(policy["Properties"]["ResponseHeadersPolicyConfig"])


def test_distribution_sends_security_headers(template: dict[str, Any]) -> None:
    """Given the distribution's default behavior, then it attaches the template's own response
    headers policy: HSTS for at least a year with subdomains, nosniff, no framing, a strict
    referrer policy and a Content-Security-Policy, each overriding the origin's."""
    security = response_headers_policy(template)["SecurityHeadersConfig"]

    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert hsts["IncludeSubdomains"] is True
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    for name in ("StrictTransportSecurity", "FrameOptions", "ReferrerPolicy"):
        assert security[name]["Override"] is True, name
    assert security["ContentSecurityPolicy"]["Override"] is True
    directives = csp_directives(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert directives["default-src"] == ["'none'"]
    for name in ("script-src", "object-src", "base-uri", "form-action", "frame-ancestors"):
        assert directives[name] == ["'none'"], name
    assert "'unsafe-inline'" not in directives["style-src"]
    assert not any("'unsafe-eval'" in sources for sources in directives.values())
    # style attributes of editors' post bodies (see the policy's comment in template.yaml)
    assert directives["style-src-attr"] == ["'unsafe-inline'"]
    assert set(directives["img-src"]) == {"'self'", "https:", "data:"}


def style_hash(css: str) -> str:
    return (
        "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode() + "'"
    )


def test_csp_style_hashes_are_those_of_the_pages_style_blocks(
    template: dict[str, Any], tmp_path: Path
) -> None:
    """Given the site built from the example posts (every kind of page), then the hashes that
    the CSP's style-src lists are exactly those of the <style> blocks of the layouts, as the
    pages carry them: a change of the stylesheet without a new hash fails here."""
    from pressroom_dev.folder import build_site

    policy = response_headers_policy(template)["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    listed = set(csp_directives(policy["ContentSecurityPolicy"])["style-src"])
    posts = sorted((REPO_ROOT / "examples" / "posts").glob("*.md"))
    build_site(
        [(f"posts/{p.name}", p.read_bytes()) for p in posts],
        REPO_ROOT / "templates",
        tmp_path,
        jobs=1,
    )
    pages = sorted(tmp_path.rglob("*.html"))
    kinds = {p.relative_to(tmp_path).parts[0] for p in pages}

    # Given: every kind of page is there (posts live under their category's folder)
    assert {"index.html", "404.html", "category", "tag"} <= kinds and len(kinds) > 4
    in_pages = set()
    for page in pages:
        blocks = re.findall(r"<style>(.*?)</style>", page.read_text(encoding="utf-8"), re.S)
        assert blocks, page  # base.html's stylesheet
        in_pages |= {style_hash(css) for css in blocks}
    in_layouts = {
        style_hash(css)
        for layout in (REPO_ROOT / "templates" / "layouts").glob("*.html")
        for css in re.findall(r"<style>(.*?)</style>", layout.read_text(encoding="utf-8"), re.S)
    }

    assert in_pages == in_layouts == listed


def test_layouts_need_nothing_the_csp_forbids() -> None:
    """Given the layouts, then they have no script, inline handler, style attribute, frame,
    form or external stylesheet: all that the CSP would block."""
    forbidden = re.compile(
        r"<script|<iframe|<object|<embed|<form|<base\b|\son[a-z]+=|\sstyle=|javascript:|"
        r"<link[^>]+rel=\"?stylesheet",
        re.I,
    )
    for layout in sorted((REPO_ROOT / "templates" / "layouts").glob("*.html")):
        assert not forbidden.findall(layout.read_text(encoding="utf-8")), layout.name


# ---------------------------------------------------------------- 6: the build
# `sam_build` (tests/integration/conftest.py): one `sam build` for the whole session.


@pytest.mark.slow
def test_templates_layer_holds_site_config_and_layouts(sam_build: Path) -> None:
    """Given the build, then the templates layer is site.yaml and layouts/ under templates/."""
    layer = sam_build / "TemplatesLayer"

    assert [p.name for p in layer.iterdir()] == ["templates"]
    assert (layer / "templates" / "site.yaml").is_file()
    assert sorted(p.name for p in (layer / "templates" / "layouts").glob("*.html"))
    assert not list(layer.rglob("Makefile"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "function_id", ["RenderPostFunction", "BuildIndexesFunction", "RebuildFunction"]
)
def test_built_function_imports_and_renders_from_the_layers(
    sam_build: Path, function_id: str
) -> None:
    """Given the built function and layers laid out as Lambda sees them,
    when a fresh interpreter imports the handler and renders the 404 page,
    then it works with the layers' code alone (plus the SDK that Lambda provides)."""
    function_dir = sam_build / function_id
    core_dir = sam_build / "CoreLayer" / "python"
    templates_dir = sam_build / "TemplatesLayer" / "templates"
    # The venv's site-packages comes last, for boto3 only (the Lambda runtime provides it).
    site_packages = sysconfig.get_paths()["purelib"]
    tpl = load_template()
    env = {
        key: value if isinstance(value, str) else PLACEHOLDER_ENV.get(key, "placeholder")
        for key, value in function_environment(tpl, function_id).items()
    }
    env.update(
        {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join([str(function_dir), str(core_dir), site_packages]),
            "PYTHONDONTWRITEBYTECODE": "1",
            "VENV_SITE_PACKAGES": site_packages,
            "TEMPLATES_DIR": str(templates_dir),
            "AWS_DEFAULT_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "SOURCE_BUCKET": "a",
            "SITE_BUCKET": "b",
            "POSTS_TABLE": "c",
        }
    )
    script = IMPORT_CHECK
    # -S: no `site`, so the venv's .pth files (the editable install of pressroom) stay off;
    # PYTHONPATH still applies (-E or -I would drop it). -P: no cwd/script dir on sys.path.
    result = subprocess.run(
        [sys.executable, "-S", "-P", "-c", script],
        cwd=function_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    *_, report_line, last = result.stdout.strip().splitlines()
    assert last == "ok"
    report = json.loads(report_line)
    assert report["app"].startswith(str(function_dir))
    assert report["pressroom"] and all(p.startswith(str(core_dir)) for p in report["pressroom"])
    assert report["render"].startswith(str(core_dir))
    # Only the SDK may come from outside the layers: anything else is missing from the layer.
    # The layer ships boto3 with the botocore its dependencies need, as one matched pair.
    assert report["boto3"].startswith(str(core_dir)) and report["botocore"].startswith(
        str(core_dir)
    )
    assert set(report["from_venv"]) <= LAMBDA_RUNTIME_MODULES, report["from_venv"]


# ---------------------------------------------------------------- 7: alarms and dashboard

ALARM_TYPE = "AWS::CloudWatch::Alarm"
FUNCTIONS_DIR = REPO_ROOT / "functions"
# Values the placeholders of a !Sub take in these checks (as a deployed stack would have them).
PSEUDO = {
    "AWS::StackName": "pressroom",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "111122223333",
    "AWS::Partition": "aws",
}


def alarms(tpl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every alarm's properties, by logical id."""
    return {lid: res["Properties"] for lid, res in resources_of_type(tpl, ALARM_TYPE).items()}


def alarms_on(
    tpl: dict[str, Any], namespace: str, metric: str, dimensions: dict[str, Any]
) -> list[dict[str, Any]]:
    """The alarms watching this metric with exactly these dimensions."""
    return [
        props
        for props in alarms(tpl).values()
        if props.get("Namespace") == namespace
        and props.get("MetricName") == metric
        and {d["Name"]: d["Value"] for d in props.get("Dimensions", [])} == dimensions
    ]


def fires_on_any(props: dict[str, Any]) -> bool:
    """Whether an alarm fires on the first data point above zero (a count over 5 minutes)."""
    return bool(
        props["Statistic"] == "Sum"
        and props["Threshold"] == 0
        and props["ComparisonOperator"] == "GreaterThanThreshold"
        and props["Period"] == 300
        and props["EvaluationPeriods"] == 1
        and props["TreatMissingData"] == "notBreaching"
    )


def substitute(text: str, values: dict[str, str]) -> str:
    """A !Sub string with its placeholders replaced; a placeholder without a value fails."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in values, f"${{{name}}} has no value"
        return values[name]

    return re.sub(r"\$\{([^}!]+)\}", value, text)


def sub_values(tpl: dict[str, Any]) -> dict[str, str]:
    """A value for every placeholder a !Sub of this template may name: the pseudo parameters,
    each resource (its Ref) and the attributes the tests below read."""
    values = dict(PSEUDO)
    for lid, res in tpl["Resources"].items():
        values[lid] = f"{lid.lower()}-name"
        if res["Type"] == ALARM_TYPE:
            name = substitute(res["Properties"]["AlarmName"]["Fn::Sub"], PSEUDO)
            region, account = PSEUDO["AWS::Region"], PSEUDO["AWS::AccountId"]
            values[f"{lid}.Arn"] = f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
        if res["Type"] == "AWS::SQS::Queue":
            values[f"{lid}.QueueName"] = f"{lid.lower()}-queue"
    return values


def evaluate(value: Any, parameters: dict[str, str]) -> Any:
    """A condition of the template (Fn::Not, Fn::Equals, Ref) evaluated for given parameters."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            return parameters[argument]
        if name == "Fn::Not":
            return not evaluate(argument[0], parameters)
        if name == "Fn::Equals":
            return evaluate(argument[0], parameters) == evaluate(argument[1], parameters)
        raise AssertionError(f"unexpected intrinsic in a condition: {name}")
    return value


def emitted_metric_names() -> set[str]:
    """The names of the custom metrics the handlers publish, read from their code: each
    `metrics.add_metric(name=...)` in functions/*/app.py. A name built from a post's outcome
    (f"Posts{outcome.result.title()}") stands for every value of pressroom.model.Result."""
    import ast
    import typing

    from pressroom.model import Result

    def expand(node: ast.expr) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.JoinedStr):
            names = {""}
            for part in node.values:
                if isinstance(part, ast.Constant):
                    names = {name + str(part.value) for name in names}
                    continue
                assert isinstance(part, ast.FormattedValue), ast.dump(part)
                source = ast.unparse(part.value)
                assert source.endswith(".result.title()"), f"cannot read a metric name: {source}"
                names = {n + r.title() for n in names for r in typing.get_args(Result)}
            return names
        raise AssertionError(f"cannot read a metric name: {ast.unparse(node)}")

    found: set[str] = set()
    for app in sorted(FUNCTIONS_DIR.glob("*/app.py")):
        for node in ast.walk(ast.parse(app.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_metric"
            ):
                (name,) = [k.value for k in node.keywords if k.arg == "name"] or node.args[:1]
                found |= expand(name)
    return found


def topic_key_findings(tpl: dict[str, Any]) -> list[str]:
    """Why CloudWatch alarms could not publish to AlarmTopic under its encryption, if they
    could not: the topic must be encrypted with a customer managed key of the template whose
    key policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey (AWS
    managed keys such as alias/aws/sns have a policy that does not), under no condition
    beyond the caller's account and alarm, and that the account can still administer."""
    topic = tpl["Resources"]["AlarmTopic"]["Properties"]
    key_ids = referenced_ids(topic.get("KmsMasterKeyId"))
    if not key_ids:
        return [
            f"AlarmTopic is not encrypted with a key of the stack: {topic.get('KmsMasterKeyId')}"
        ]
    (key_id,) = key_ids
    key = tpl["Resources"][key_id]
    if key["Type"] != "AWS::KMS::Key":
        return [f"{key_id} is a {key['Type']}, not a KMS key"]
    findings = []
    if key["Properties"].get("EnableKeyRotation") is not True:
        findings.append(f"{key_id}: key rotation is off")
    statements = as_list(key["Properties"]["KeyPolicy"]["Statement"])

    def principals(statement: dict[str, Any], kind: str) -> list[Any]:
        return as_list((statement.get("Principal") or {}).get(kind, []))

    def grants(statement: dict[str, Any], action: str) -> bool:
        patterns = [str(a).lower() for a in as_list(statement.get("Action", []))]
        return any(fnmatch.fnmatchcase(action.lower(), p) for p in patterns)

    allowed_conditions = {"aws:sourceaccount", "aws:sourcearn"}
    for action in ("kms:Decrypt", "kms:GenerateDataKey"):
        usable = [
            s
            for s in statements
            if s.get("Effect") == "Allow"
            and "cloudwatch.amazonaws.com" in principals(s, "Service")
            and grants(s, action)
            and {key.lower() for test in (s.get("Condition") or {}).values() for key in test}
            <= allowed_conditions
        ]
        denied = [s for s in statements if s.get("Effect") == "Deny" and grants(s, action)]
        if not usable or denied:
            findings.append(f"{key_id}: cloudwatch.amazonaws.com may not {action}")
    root = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    if not any(
        s.get("Effect") == "Allow"
        and root in principals(s, "AWS")
        and grants(s, "kms:PutKeyPolicy")
        for s in statements
    ):
        findings.append(f"{key_id}: the account cannot administer the key")
    return findings


def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears(
    template: dict[str, Any],
) -> None:
    """Given every alarm of the template, then each sends its state changes to ALARM and back
    to OK to AlarmTopic, and is named after the stack."""
    found = alarms(template)

    assert len(found) >= 11
    for lid, props in found.items():
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], lid
        assert props["OKActions"] == [{"Ref": "AlarmTopic"}], lid
        assert props["AlarmName"]["Fn::Sub"].startswith("${AWS::StackName}-"), lid
        assert len(props["AlarmDescription"].split()) >= 12, lid


def test_the_topic_admits_the_stacks_alarms_and_nothing_else(template: dict[str, Any]) -> None:
    """Given the topic policy, then cloudwatch.amazonaws.com may publish to AlarmTopic for
    alarms of this account and stack, and each alarm's ARN matches its aws:SourceArn (an alarm
    named otherwise would be refused by SNS, silently)."""
    policy = template["Resources"]["AlarmTopicPolicy"]["Properties"]
    assert policy["Topics"] == [{"Ref": "AlarmTopic"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Action"] == "sns:Publish"
    assert statement["Resource"] == {"Ref": "AlarmTopic"}
    assert statement["Condition"]["StringEquals"] == {
        "aws:SourceAccount": {"Ref": "AWS::AccountId"}
    }
    pattern = substitute(statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"], PSEUDO)
    assert pattern.startswith(f"arn:aws:cloudwatch:{PSEUDO['AWS::Region']}:111122223333:alarm:")

    values = sub_values(template)
    for lid in alarms(template):
        assert fnmatch.fnmatchcase(values[f"{lid}.Arn"], pattern), (lid, pattern)
    # and an alarm of another stack is not admitted
    other = values["IngestDeadLetterAlarm.Arn"].replace(":alarm:pressroom-", ":alarm:other-")
    assert not fnmatch.fnmatchcase(other, pattern)


def test_each_function_has_an_errors_and_a_throttles_alarm(template: dict[str, Any]) -> None:
    """Given each function, then one alarm fires on any failed invocation and one on any
    throttled invocation in 5 minutes."""
    functions = resources_of_type(template, FUNCTION_TYPE)

    assert set(functions) == {"RenderPostFunction", "BuildIndexesFunction", "RebuildFunction"}
    for function_id in functions:
        for metric in ("Errors", "Throttles"):
            (props,) = alarms_on(
                template, "AWS/Lambda", metric, {"FunctionName": {"Ref": function_id}}
            )
            assert fires_on_any(props), (function_id, metric)


def test_the_stream_consumer_alarms_when_it_falls_behind(template: dict[str, Any]) -> None:
    """Given the function reading the table's stream, then an alarm watches its Lambda
    IteratorAge (the age of the last record of each batch, the metric AWS documents for
    stream consumers) against a tunable threshold of one minute by default."""
    (consumer,) = [
        lid
        for lid in resources_of_type(template, FUNCTION_TYPE)
        if any(
            event["Type"] == "DynamoDB"
            for event in function_property(template, lid, "Events").values()
        )
    ]

    (props,) = alarms_on(template, "AWS/Lambda", "IteratorAge", {"FunctionName": {"Ref": consumer}})

    assert props["Statistic"] == "Maximum"
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["Threshold"] == {"Ref": "StreamIteratorAgeThresholdMs"}
    assert template["Parameters"]["StreamIteratorAgeThresholdMs"]["Default"] == 60000
    assert props["TreatMissingData"] == "notBreaching"


def test_the_ingest_queue_alarms_when_an_upload_waits_too_long(template: dict[str, Any]) -> None:
    """Given the queue RenderPost reads, then an alarm watches the age of its oldest message
    against a tunable threshold of 5 minutes by default."""
    (queue,) = [
        referenced_ids(event["Properties"]["Queue"])
        for event in function_property(template, "RenderPostFunction", "Events").values()
        if event["Type"] == "SQS"
    ]
    (queue_id,) = queue

    (props,) = alarms_on(
        template,
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        {"QueueName": {"Fn::GetAtt": [queue_id, "QueueName"]}},
    )

    assert props["Statistic"] == "Maximum"
    assert props["Threshold"] == {"Ref": "IngestQueueAgeThresholdSeconds"}
    assert template["Parameters"]["IngestQueueAgeThresholdSeconds"]["Default"] == 300
    assert props["TreatMissingData"] == "notBreaching"


def test_dead_letter_alarms_watch_both_dead_letter_queues(template: dict[str, Any]) -> None:
    """Given the ingest DLQ and BuildIndexes' on-failure queue, then each has an alarm that
    fires on its first visible message."""
    for queue_id in ("IngestDeadLetterQueue", "IndexesDeadLetterQueue"):
        (props,) = alarms_on(
            template,
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": [queue_id, "QueueName"]}},
        )
        assert props["Statistic"] == "Maximum" and props["Threshold"] == 0, queue_id


def test_posts_rejected_alarm_watches_the_metric_render_post_publishes(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given RenderPost's environment from the template, when Powertools serializes a
    PostsRejected metric as RenderPost adds it, then the alarm names the same namespace, metric
    and dimensions (a metric differing in one dimension is another metric, and the alarm would
    never fire)."""
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

    assert "PostsRejected" in emitted_metric_names()
    for name, value in function_environment(template, "RenderPostFunction").items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    provider = AmazonCloudWatchEMFProvider()
    provider.add_metric(name="PostsRejected", unit="Count", value=1)
    blob: dict[str, Any] = dict(provider.serialize_metric_set())
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    (dimension_names,) = directive["Dimensions"]
    dimensions = {name: blob[name] for name in dimension_names}

    (props,) = alarms_on(template, directive["Namespace"], "PostsRejected", dimensions)

    assert dimensions == {"service": "pressroom"}
    assert fires_on_any(props)


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(
    template: dict[str, Any],
) -> None:
    """Given the topic, then it is encrypted with the stack's customer managed key, rotated,
    with an alias, whose key policy lets CloudWatch alarms use it and the account administer
    it."""
    assert topic_key_findings(template) == []
    alias = template["Resources"]["AlarmTopicKeyAlias"]["Properties"]
    assert alias["TargetKeyId"] == {"Ref": "AlarmTopicKey"}
    assert substitute(alias["AliasName"]["Fn::Sub"], PSEUDO) == "alias/pressroom-alarms"


@pytest.mark.parametrize(
    "change",
    ["aws managed key", "no cloudwatch statement", "decrypt only", "via service", "no admin"],
)
def test_topic_key_check_catches_keys_cloudwatch_cannot_use(
    template: dict[str, Any], change: str
) -> None:
    """Given a topic key that would stop notifications, when checked, then it is reported."""
    resources = template["Resources"]
    statements = resources["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    (cloudwatch,) = [s for s in statements if s["Sid"] == "AllowCloudWatchAlarmsToPublishEncrypted"]
    if change == "aws managed key":
        resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] = "alias/aws/sns"
    elif change == "no cloudwatch statement":
        statements.remove(cloudwatch)
    elif change == "decrypt only":
        cloudwatch["Action"] = ["kms:Decrypt"]
    elif change == "via service":
        cloudwatch["Condition"]["StringEquals"]["kms:ViaService"] = "sns.eu-west-1.amazonaws.com"
    else:
        statements[:] = [s for s in statements if s["Sid"] != "AdministerKeyThroughIam"]

    assert topic_key_findings(template) != []


def test_the_email_subscription_exists_only_with_an_address(template: dict[str, Any]) -> None:
    """Given the AlarmEmail parameter, then its default is empty and creates no subscription,
    and an address creates an e-mail subscription of the topic to it."""
    parameter = template["Parameters"]["AlarmEmail"]
    subscription = template["Resources"]["AlarmEmailSubscription"]
    condition = template["Conditions"][subscription["Condition"]]

    assert parameter["Default"] == ""
    assert evaluate(condition, {"AlarmEmail": ""}) is False
    assert evaluate(condition, {"AlarmEmail": "ops@example.com"}) is True
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("") and pattern.fullmatch("ops@example.com")
    assert not pattern.fullmatch("ops") and not pattern.fullmatch("a@b.c d@e.f")
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    # nothing else depends on the conditional resource
    others = {
        lid: res for lid, res in template["Resources"].items() if lid != "AlarmEmailSubscription"
    }
    assert "AlarmEmailSubscription" not in referenced_ids(others)
    assert "AlarmEmailSubscription" not in referenced_ids(template["Outputs"])


def test_alarms_need_no_role_and_add_no_grant(template: dict[str, Any]) -> None:
    """Given the template after the SAM transform, then no role trusts CloudWatch (alarms
    notify SNS with no role: the topic policy and the key policy admit them) and the
    topic policy has no wildcard."""
    translated = sam_translate(template)

    for role_id, role in resources_of_type(translated, "AWS::IAM::Role").items():
        trust = json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
        assert "cloudwatch.amazonaws.com" not in trust, role_id
    for props in alarms(translated).values():
        assert not any("arn:aws:iam" in json.dumps(action) for action in props["AlarmActions"])
    assert [f for f in privilege_findings(translated) if "AlarmTopic" in f] == []


def dashboard_body(tpl: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's body as CloudWatch receives it, the placeholders substituted."""
    body = tpl["Resources"]["PipelineDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    parsed: dict[str, Any] = json.loads(substitute(body, sub_values(tpl)))
    return parsed


def dashboard_metrics(body: dict[str, Any]) -> list[tuple[str, str, str, dict[str, str]]]:
    """(widget region, namespace, metric, dimensions) of every metric graphed."""
    found = []
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        properties = widget["properties"]
        for entry in properties["metrics"]:
            fields = [field for field in entry if not isinstance(field, dict)]
            namespace, metric, *pairs = fields
            assert len(pairs) % 2 == 0, entry
            dims = dict(zip(pairs[::2], pairs[1::2], strict=True))
            found.append((properties["region"], namespace, metric, dims))
    return found


def test_the_dashboard_graphs_the_pipeline_from_metrics_that_exist(
    template: dict[str, Any],
) -> None:
    """Given the dashboard body with its placeholders substituted, then it is valid JSON on
    CloudWatch's 24-column grid; each custom metric it graphs is one a handler publishes
    (read from their code), under the namespace and service dimension Powertools gives it;
    and it shows uploads, functions, queues, dead letters, stream lag, index pages and
    CloudFront's requests and error rates (in us-east-1, Region=Global), and every alarm."""
    assert_dashboard_graphs_the_pipeline(template)


def assert_dashboard_graphs_the_pipeline(template: dict[str, Any]) -> None:
    body = dashboard_body(template)
    values = sub_values(template)
    environment = function_environment(template, "RenderPostFunction")
    namespace = environment["POWERTOOLS_METRICS_NAMESPACE"]
    service = {"service": environment["POWERTOOLS_SERVICE_NAME"]}
    region = PSEUDO["AWS::Region"]
    graphed = dashboard_metrics(body)

    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= 24, widget
    custom = {metric for r, ns, metric, dims in graphed if ns == namespace}
    assert custom <= emitted_metric_names(), custom - emitted_metric_names()
    assert {"PostsPublished", "PostsRejected", "IndexPagesWritten"} <= custom
    assert all(dims == service and r == region for r, ns, _, dims in graphed if ns == namespace)

    def graphs(namespace: str, metric: str, dims: dict[str, str], where: str = region) -> bool:
        return (where, namespace, metric, dims) in graphed

    for function_id in resources_of_type(template, FUNCTION_TYPE):
        for metric in ("Invocations", "Errors", "Duration", "Throttles"):
            assert graphs("AWS/Lambda", metric, {"FunctionName": values[function_id]}), metric
    ingest = {"QueueName": values["IngestQueue.QueueName"]}
    assert graphs("AWS/SQS", "ApproximateNumberOfMessagesVisible", ingest)
    assert graphs("AWS/SQS", "ApproximateAgeOfOldestMessage", ingest)
    for dlq in ("IngestDeadLetterQueue", "IndexesDeadLetterQueue"):
        assert graphs(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": values[f"{dlq}.QueueName"]},
        )
    assert graphs("AWS/Lambda", "IteratorAge", {"FunctionName": values["BuildIndexesFunction"]})
    distribution = {"DistributionId": values["SiteDistribution"], "Region": "Global"}
    for metric in ("Requests", "4xxErrorRate", "5xxErrorRate"):
        assert graphs("AWS/CloudFront", metric, distribution, where="us-east-1"), metric

    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(
        values[f"{lid}.Arn"] for lid in alarms(template)
    )


def test_the_dashboard_check_catches_a_metric_nobody_publishes(template: dict[str, Any]) -> None:
    """Given a dashboard graphing a custom metric no handler publishes, then the check fails."""
    properties = template["Resources"]["PipelineDashboard"]["Properties"]
    properties["DashboardBody"]["Fn::Sub"] = properties["DashboardBody"]["Fn::Sub"].replace(
        '"PostsPublished"', '"PostPublished"'
    )

    with pytest.raises(AssertionError, match="PostPublished"):
        assert_dashboard_graphs_the_pipeline(template)


def test_emitted_metric_names_are_read_from_the_handlers() -> None:
    """Given the handlers' code, then the metric names read from it are those each one adds:
    RenderPost one per outcome of a post, BuildIndexes and Rebuild one each."""
    names = emitted_metric_names()

    assert {"PostsPublished", "PostsRejected", "PostsDeleted", "PostsUnchanged"} <= names
    assert {"IndexPagesWritten", "PostsRepaired"} <= names
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", name) for name in names), names


def test_outputs_name_the_alarm_topic_and_the_dashboard(template: dict[str, Any]) -> None:
    """Given the outputs, then they name the topic to subscribe to and the dashboard's URL."""
    outputs = template["Outputs"]

    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    url = substitute(outputs["DashboardUrl"]["Value"]["Fn::Sub"], sub_values(template))
    assert url == (
        "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1"
        "#dashboards/dashboard/pipelinedashboard-name"
    )
