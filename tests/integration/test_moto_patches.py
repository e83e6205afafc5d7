"""Each patch of pressroom_dev.moto_patches, checked against moto itself.

Every patch has a shape test (what it replaces or relies on is still where it expects, with the
parameters and the data it uses) and a strict expected failure: a scenario run on pristine moto
in a fresh interpreter that asserts what AWS does. It fails while moto has the defect; the day
moto fixes it, the test passes unexpectedly, strict xfail reports that, and the patch can go. The
same scenario with the patches installed passes, showing the patch takes effect.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from pressroom_dev.moto_patches import (
    PATCHES,
    MotoPatch,
    Target,
    _TablesByReference,
    install_moto_fidelity,
    patched_by,
    plain_attribute_value,
)

REGION = "us-east-1"
BY_NAME = {patch.name: patch for patch in PATCHES}
DEFECT = 1  # the scenario's script: moto behaved unlike AWS (an assertion failed)
BROKEN = 2  # the scenario's script could not run its scenario at all

# -- scenarios, each run in a fresh interpreter -----------------------------------------------
PRELUDE = """
import os, sys, threading, traceback
import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

if PATCHED:
    from pressroom_dev.moto_patches import install_moto_fidelity

    install_moto_fidelity()


def posts_table(dynamodb):
    # A table "posts" keyed by the strings pk and sk.
    dynamodb.create_table(
        TableName="posts",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def notified_queue(sqs, s3, bucket, events):
    queue = sqs.create_queue(QueueName=f"{bucket}-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn["Attributes"]["QueueArn"], "Events": events}
            ]
        },
    )
    return queue


def records(sqs, queue):
    import json

    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            found.extend(json.loads(message["Body"]).get("Records", []))
"""

RUN = """
try:
    with mock_aws():
        scenario()
except AssertionError:
    traceback.print_exc()
    sys.exit(DEFECT)
except BaseException:
    traceback.print_exc()
    sys.exit(BROKEN)
"""

VERSION_AND_SEQUENCER = """
def scenario():
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    queue = notified_queue(sqs, s3, "source", ["s3:ObjectCreated:*"])
    first = s3.put_object(Bucket="source", Key="posts/a.md", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket="source", Key="posts/a.md", Body=b"two")["VersionId"]
    objects = [record["s3"]["object"] for record in records(sqs, queue)]
    assert len(objects) == 2, objects
    for obj in objects:
        assert "versionId" in obj and "sequencer" in obj, f"no versionId or sequencer: {obj}"
    later = sorted(objects, key=lambda obj: int(obj["sequencer"], 16))
    assert [obj["versionId"] for obj in later] == [first, second], objects
"""

DELETE_MARKER = """
def scenario():
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    queue = notified_queue(sqs, s3, "source", ["s3:ObjectRemoved:*"])
    s3.put_object(Bucket="source", Key="posts/a.md", Body=b"one")
    deleted = s3.delete_object(Bucket="source", Key="posts/a.md")
    assert deleted["DeleteMarker"], deleted
    found = records(sqs, queue)
    names = [record["eventName"] for record in found]
    assert names == ["ObjectRemoved:DeleteMarkerCreated"], f"notifications: {names}"
    obj = found[0]["s3"]["object"]
    assert obj["key"] == "posts/a.md" and obj.get("versionId") == deleted["VersionId"], obj
"""

CONCURRENT_TRANSACTIONS = """
THREADS, ROUNDS = 4, 30


def scenario():
    # Switch threads as often as the interpreter can, so unsynchronised code interleaves.
    sys.setswitchinterval(1e-6)
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.create_table(
        TableName="counters",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    for pk in "AB":
        dynamodb.put_item(TableName="counters", Item={"pk": {"S": pk}, "n": {"N": "0"}})
    applied, errors = [], []
    start = threading.Barrier(THREADS)

    def increment_both(client):
        start.wait()
        for _ in range(ROUNDS):
            try:
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Update": {
                                "TableName": "counters",
                                "Key": {"pk": {"S": pk}},
                                "UpdateExpression": "SET n = n + :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}},
                            }
                        }
                        for pk in "AB"
                    ]
                )
                applied.append(1)
            except ClientError as error:
                # DynamoDB may cancel a conflicting transaction; it then changes nothing.
                if error.response["Error"]["Code"] != "TransactionCanceledException":
                    errors.append(repr(error))
            except Exception as error:
                errors.append(repr(error))

    workers = [
        threading.Thread(target=increment_both, args=(boto3.client("dynamodb"),))
        for _ in range(THREADS)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, f"concurrent transactions raised: {errors[:3]}"
    counters = {
        pk: int(dynamodb.get_item(TableName="counters", Key={"pk": {"S": pk}})["Item"]["n"]["N"])
        for pk in "AB"
    }
    assert counters == {"A": len(applied), "B": len(applied)}, (
        f"{len(applied)} transactions applied, counters {counters}"
    )
    streams = boto3.client("dynamodbstreams")
    arn = table["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    numbers = []
    while True:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            break
        numbers += [record["dynamodb"]["SequenceNumber"] for record in page["Records"]]
        iterator = page["NextShardIterator"]
    assert len(numbers) == 2 + 2 * len(applied), f"{len(numbers)} stream records"
    assert len(set(numbers)) == len(numbers), (
        f"{len(numbers) - len(set(numbers))} stream records share a sequence number"
    )
"""

HALF_A_TRANSACTION = """
def scenario():
    from moto.dynamodb.models.table import StreamShard

    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="pair",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    for pk in "AB":
        dynamodb.put_item(TableName="pair", Item={"pk": {"S": pk}, "n": {"N": "0"}})
    halfway, resume = threading.Event(), threading.Event()
    seen, errors = {}, []
    append = StreamShard.add

    def add(self, *args, **kwargs):
        # Each write of the transaction appends its stream record once the item is stored:
        # after the first, hold the writer until the reader has read (or five seconds pass,
        # when the reader cannot get in while the transaction runs).
        append(self, *args, **kwargs)
        if threading.current_thread() is writer and not halfway.is_set():
            halfway.set()
            resume.wait(5)

    StreamShard.add = add
    write_client, read_client = boto3.client("dynamodb"), boto3.client("dynamodb")

    def write():
        try:
            write_client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": "pair", "Item": {"pk": {"S": pk}, "n": {"N": "1"}}}}
                    for pk in "AB"
                ]
            )
        except Exception as error:
            errors.append(repr(error))

    def read():
        try:
            if not halfway.wait(30):
                errors.append("the transaction never reached its second item")
                return
            for pk in "AB":
                item = read_client.get_item(
                    TableName="pair", Key={"pk": {"S": pk}}, ConsistentRead=True
                )["Item"]
                seen[pk] = int(item["n"]["N"])
        except Exception as error:
            errors.append(repr(error))
        finally:
            resume.set()

    writer, reader = threading.Thread(target=write), threading.Thread(target=read)
    writer.start()
    reader.start()
    writer.join(60)
    reader.join(60)
    if errors or writer.is_alive() or reader.is_alive():
        raise RuntimeError(f"the scenario did not run: {errors}")
    assert seen in ({"A": 0, "B": 0}, {"A": 1, "B": 1}), (
        f"a reader saw half a transaction: {seen}"
    )
"""

CANCELLED_TRANSACTION = """
def scenario():
    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    table = dynamodb.create_table(
        TableName="posts",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]
    dynamodb.put_item(TableName="posts", Item={"pk": {"S": "taken"}})
    arn = table["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST"
    )["ShardIterator"]
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "posts", "Item": {"pk": {"S": "fresh"}}}},
                {
                    "Put": {
                        "TableName": "posts",
                        "Item": {"pk": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    except ClientError as error:
        assert error.response["Error"]["Code"] == "TransactionCanceledException", error
    else:
        raise RuntimeError("the transaction was not cancelled")
    dynamodb.put_item(TableName="posts", Item={"pk": {"S": "later"}})
    seen = [
        (record["eventName"], record["dynamodb"]["Keys"]["pk"]["S"])
        for record in streams.get_records(ShardIterator=iterator)["Records"]
    ]
    assert seen == [("INSERT", "later")], f"the reader from before the transaction saw {seen}"
    assert "Item" not in dynamodb.get_item(TableName="posts", Key={"pk": {"S": "fresh"}})
"""

PARTITION_QUERY = """
class Watched(dict):
    \"\"\"A partition of moto's table storage that records being read.\"\"\"

    touched = set()

    def _read(self):
        Watched.touched.add(self.partition)

    def values(self):
        self._read()
        return super().values()

    def items(self):
        self._read()
        return super().items()

    def keys(self):
        self._read()
        return super().keys()

    def __iter__(self):
        self._read()
        return super().__iter__()

    def __getitem__(self, key):
        self._read()
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._read()
        return super().get(key, default)


def scenario():
    from moto.dynamodb.models import dynamodb_backends

    dynamodb = boto3.client("dynamodb")
    posts_table(dynamodb)
    items = [("wanted", sk) for sk in "312"]
    items += [(f"other-{p:02}", str(sk)) for p in range(20) for sk in range(5)]
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={
                "posts": [
                    {"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": sk}}}}
                    for pk, sk in items[start : start + 25]
                ]
            }
        )
    storage = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table("posts").items
    for partition in list(storage):
        if partition.value != "wanted":
            watched = Watched(storage[partition])
            watched.partition = partition.value
            storage[partition] = watched
    found = dynamodb.query(
        TableName="posts",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "wanted"}},
    )["Items"]
    assert [item["sk"]["S"] for item in found] == ["1", "2", "3"], found
    assert not Watched.touched, (
        f"a query of one partition read {len(Watched.touched)} other partitions"
    )
"""

QUERY_RANGE = """
class Counted(dict):
    \"\"\"A partition of moto's table storage that counts the items read from it.\"\"\"

    read = 0

    def values(self):
        Counted.read += len(self)
        return super().values()

    def items(self):
        Counted.read += len(self)
        return super().items()

    def __iter__(self):
        Counted.read += len(self)
        return super().__iter__()

    def __getitem__(self, key):
        Counted.read += 1
        return super().__getitem__(key)


def scenario():
    from moto.dynamodb.models import dynamodb_backends

    dynamodb = boto3.client("dynamodb")
    posts_table(dynamodb)
    for start in range(0, 2000, 25):
        dynamodb.batch_write_item(
            RequestItems={
                "posts": [
                    {"PutRequest": {"Item": {"pk": {"S": "big"}, "sk": {"S": f"{n:05}"}}}}
                    for n in range(start, start + 25)
                ]
            }
        )

    def newest(low, high, limit, start=None):
        request = dict(
            TableName="posts",
            KeyConditionExpression="pk = :pk AND sk BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": {"S": "big"}, ":low": {"S": low}, ":high": {"S": high}
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        if start:
            request["ExclusiveStartKey"] = start
        response = dynamodb.query(**request)
        return [i["sk"]["S"] for i in response["Items"]], response.get("LastEvaluatedKey")

    newest("00000", "99999", 1)  # the first query may read the whole partition once
    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table("posts")
    for key in list(table.items):
        table.items[key] = Counted(table.items[key])
    dynamodb.put_item(TableName="posts", Item={"pk": {"S": "big"}, "sk": {"S": "00500x"}})
    dynamodb.delete_item(TableName="posts", Key={"pk": {"S": "big"}, "sk": {"S": "00499"}})
    Counted.read = 0
    found, last = newest("00400", "00500y", 3)
    assert found == ["00500x", "00500", "00498"], found
    assert last == {"pk": {"S": "big"}, "sk": {"S": "00498"}}, last
    found, _ = newest("00400", "00500y", 2, last)
    assert found == ["00497", "00496"], found
    prefix = dynamodb.query(
        TableName="posts",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": "big"}, ":p": {"S": "0150"}},
    )["Items"]
    assert [i["sk"]["S"] for i in prefix] == [f"0150{n}" for n in range(10)], prefix
    assert Counted.read <= 30, f"three queries read {Counted.read} items of a 2,000-item partition"
"""


CLOUDFRONT = """
def distribution(cloudfront):
    config = {
        "CallerReference": "site",
        "Comment": "",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "site",
                    "DomainName": "site.s3.us-east-1.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def invalidate(cloudfront, distribution_id, paths, reference):
    return cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": reference,
        },
    )["Invalidation"]


def refused(call, code):
    try:
        call()
    except ClientError as error:
        assert error.response["Error"]["Code"] == code, error.response["Error"]
    else:
        raise AssertionError(f"accepted where CloudFront answers {code}")


if PATCHED:
    from pressroom_dev import moto_patches

    moto_patches.INVALIDATION_SECONDS = 1.0
"""

CALLER_REFERENCE = """
def scenario():
    cloudfront = boto3.client("cloudfront")
    site = distribution(cloudfront)
    first = invalidate(cloudfront, site, ["/a.html", "/b/index.html"], "batch-1")
    again = invalidate(cloudfront, site, ["/a.html", "/b/index.html"], "batch-1")
    assert again["Id"] == first["Id"], f"a retried request made a second invalidation: {again}"
    listed = cloudfront.list_invalidations(DistributionId=site)["InvalidationList"]
    assert listed["Quantity"] == 1, listed
    refused(lambda: invalidate(cloudfront, site, ["/c.html"], "batch-1"), "InvalidArgument")
    other = invalidate(cloudfront, site, ["/a.html", "/b/index.html"], "batch-2")
    assert other["Id"] != first["Id"], other
"""

IN_PROGRESS = """
def scenario():
    import time

    cloudfront = boto3.client("cloudfront")
    site = distribution(cloudfront)
    created = invalidate(cloudfront, site, ["/a.html"], "batch-1")
    assert created["Status"] == "InProgress", created
    got = cloudfront.get_invalidation(DistributionId=site, Id=created["Id"])["Invalidation"]
    assert got["Status"] == "InProgress", got
    running = cloudfront.get_distribution(Id=site)["Distribution"]
    assert running["InProgressInvalidationBatches"] == 1, running
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = cloudfront.get_invalidation(DistributionId=site, Id=created["Id"])["Invalidation"]
        if got["Status"] != "InProgress":
            break
        time.sleep(0.2)
    assert got["Status"] == "Completed", got
    (summary,) = cloudfront.list_invalidations(DistributionId=site)["InvalidationList"]["Items"]
    assert summary["Status"] == "Completed", summary
    done = cloudfront.get_distribution(Id=site)["Distribution"]
    assert done["InProgressInvalidationBatches"] == 0, done
"""

LIMITS = """
def scenario():
    import time

    cloudfront = boto3.client("cloudfront")
    site = distribution(cloudfront)
    files = [f"/posts/{n}.html" for n in range(3000)]
    invalidate(cloudfront, site, files[:2000], "files-1")
    invalidate(cloudfront, site, files[2000:], "files-2")
    too_many = "TooManyInvalidationsInProgress"
    refused(lambda: invalidate(cloudfront, site, ["/one-more.html"], "files-3"), too_many)
    # Wildcards have a quota of their own, 15 paths in progress.
    invalidate(cloudfront, site, [f"/category/{n}/*" for n in range(14)], "wild-1")
    invalidate(cloudfront, site, ["/*"], "wild-2")
    refused(lambda: invalidate(cloudfront, site, ["/tag/*"], "wild-3"), too_many)
    # Once they complete, there is room again.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = cloudfront.list_invalidations(DistributionId=site)["InvalidationList"]
        if all(item["Status"] == "Completed" for item in listed["Items"]):
            break
        time.sleep(0.2)
    invalidate(cloudfront, site, ["/one-more.html", "/tag/*"], "later")
"""


class ScenarioBroken(Exception):
    """The scenario did not get as far as asserting AWS's behaviour: not an expected failure."""


def run_scenario(scenario: str, *, patched: bool) -> None:
    """Run `scenario` (source defining `scenario()`) in a fresh interpreter, on pristine moto
    or with the patches installed first; assert that it saw what AWS does."""
    script = "\n".join(
        [
            f"PATCHED, DEFECT, BROKEN = {patched}, {DEFECT}, {BROKEN}",
            PRELUDE,
            textwrap.dedent(scenario),
            RUN,
        ]
    )
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path for path in sys.path if path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if result.returncode not in (0, DEFECT):
        raise ScenarioBroken(f"exit status {result.returncode}\n{result.stderr}")
    assert result.returncode == 0, f"moto behaves unlike AWS:\n{result.stderr}"


def defect(name: str, what: str) -> pytest.MarkDecorator:
    """Strictly expected to fail while moto has `what`; only an assertion failure counts."""
    assert name in BY_NAME, name
    return pytest.mark.xfail(
        strict=True,
        raises=AssertionError,
        reason=f"moto {what}; pressroom_dev.moto_patches.{name} corrects it",
    )


# -- shape: what each patch replaces or relies on ---------------------------------------------
@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def assert_targets(patch: MotoPatch) -> None:
    """Every target exists; a callable one takes the parameters the patch calls it with; once
    the patches are installed, every replaced one is the patch's own."""
    for target in patch.targets:
        original = target.original()
        if target.parameters is not None:
            assert callable(original), target
            names = list(inspect.signature(original).parameters)
            assert names[: len(target.parameters)] == list(target.parameters), (target, names)
    install_moto_fidelity()
    for target in patch.targets:
        if target.replaced:
            assert patch.name in patched_by(target.current()), target
            assert target.current() is not target.original(), target


def names_used(target: Target) -> tuple[str, ...]:
    """The global and attribute names moto's own `target` function refers to."""
    code: Any = target.original().__code__
    return tuple(code.co_names)


def test_every_patch_is_covered_here() -> None:
    """Given the registry of patches, then each has its shape test and defect tests in this
    module, and the names are unique."""
    assert len(BY_NAME) == len(PATCHES)
    assert set(BY_NAME) == {
        "s3_event_fields",
        "s3_delete_marker_event",
        "dynamodb_transaction_rollback",
        "dynamodb_atomic_writes",
        "dynamodb_partition_query",
        "dynamodb_query_range",
        "cloudfront_invalidation_limits",
        "cloudfront_invalidation_in_progress",
        "cloudfront_invalidation_caller_reference",
        "s3_key_length",
        "s3_metadata_size",
        "dynamodb_transaction_size",
        "s3_url_module_once",
        "moto_modules_listed_once",
        "dynamodb_attribute_values_as_is",
    }


def test_install_is_idempotent() -> None:
    """Given the patches installed, when installed again, then nothing is wrapped twice."""
    install_moto_fidelity()
    before = [target.current() for patch in PATCHES for target in patch.targets]
    install_moto_fidelity()
    assert [target.current() for patch in PATCHES for target in patch.targets] == before


def test_s3_event_fields_shape(aws: None) -> None:
    """Given moto's S3 notifications, then `_get_s3_event(event_name, bucket, key,
    notification_id)` is looked up by `send_event` at each call (so replacing it takes
    effect), event names carry the `s3:` prefix the patch strips, and the bucket and key it is
    given have the name, region, ARN, versioning, size, ETag and version id the event reads."""
    patch = BY_NAME["s3_event_fields"]
    assert_targets(patch)
    from moto.s3 import notifications
    from moto.s3.models import s3_backends

    assert "_get_s3_event" in names_used(Target("moto.s3.notifications", "send_event"))
    assert notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT.value.startswith("s3:")
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="source")
    s3.put_bucket_versioning(Bucket="source", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="source", Key="posts/a b.md", Body=b"one")["VersionId"]
    bucket = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_bucket("source")
    assert (bucket.name, bucket.region_name, bucket.is_versioned) == ("source", REGION, True)
    assert bucket.arn == "arn:aws:s3:::source"
    key = bucket.keys.getlist("posts/a b.md")[-1]
    assert (key.name, key.size, str(key.version_id)) == ("posts/a b.md", 3, version)
    assert str(key.etag).strip('"')


def test_s3_delete_marker_event_shape(aws: None) -> None:
    """Given moto's own S3Backend.delete_object(self, bucket_name, key_name, version_id,
    bypass), when a versioned object is deleted without a version id, then it returns
    (True, meta) with meta's `delete-marker` "true" and the marker last in `bucket.keys
    .getlist(key)`, carrying the returned version id; DeleteObjects goes through it; and
    `send_event` and `OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT` are there to announce it."""
    patch = BY_NAME["s3_delete_marker_event"]
    assert_targets(patch)
    from moto.s3 import notifications
    from moto.s3.models import FakeDeleteMarker, s3_backends

    event = notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT
    assert event.value == "s3:ObjectRemoved:DeleteMarkerCreated"
    assert "delete_object" in names_used(Target("moto.s3.models", "S3Backend.delete_objects"))
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="source")
    s3.put_bucket_versioning(Bucket="source", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="source", Key="posts/a.md", Body=b"one")
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    assert backend.account_id == DEFAULT_ACCOUNT_ID
    original_delete = BY_NAME["s3_delete_marker_event"].targets[0].original()
    result = original_delete(backend, "source", "posts/a.md", None, False)
    assert isinstance(result, tuple) and result[0] is True
    meta = result[1]
    assert meta.get("delete-marker") == "true"
    marker = backend.get_bucket("source").keys.getlist("posts/a.md")[-1]
    assert isinstance(marker, FakeDeleteMarker)
    assert (marker.name, str(marker.version_id)) == ("posts/a.md", meta["version-id"])


def test_dynamodb_transaction_rollback_shape(aws: None) -> None:
    """Given moto's own transact_write_items(self, transact_items), then it backs tables up
    with the module's `copy.deepcopy` (so replacing `models.copy` reaches it) from
    `self.tables`; and tables keep items as `items[DynamoType(hash)][DynamoType(range)]` (an
    Item directly without a range key), their key attribute names, and their stream records in
    the list `stream_shard.items` that the backup truncates."""
    patch = BY_NAME["dynamodb_transaction_rollback"]
    assert_targets(patch)
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table

    transaction = Target("moto.dynamodb.models", "DynamoDBBackend.transact_write_items")
    assert {"copy", "deepcopy", "tables"} <= set(names_used(transaction))
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for name, schema in (("ranged", ["pk", "sk"]), ("flat", ["pk"])):
        dynamodb.create_table(
            TableName=name,
            KeySchema=[
                {"AttributeName": attribute, "KeyType": kind}
                for attribute, kind in zip(schema, ["HASH", "RANGE"], strict=False)
            ],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in schema],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        dynamodb.put_item(TableName=name, Item={a: {"S": a} for a in schema})
    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables
    ranged, flat = tables["ranged"], tables["flat"]
    assert isinstance(ranged, Table) and _TablesByReference().deepcopy(ranged) is ranged
    assert (ranged.hash_key_attr, ranged.range_key_attr) == ("pk", "sk")
    assert (flat.hash_key_attr, flat.range_key_attr) == ("pk", None)
    assert isinstance(ranged.items[DynamoType({"S": "pk"})][DynamoType({"S": "sk"})], Item)
    assert isinstance(flat.items[DynamoType({"S": "pk"})], Item)
    assert isinstance(ranged.stream_shard.items, list) and len(ranged.stream_shard.items) == 1


def test_dynamodb_atomic_writes_shape() -> None:
    """Given moto's DynamoDB backend, then its reads and writes are the methods the lock wraps,
    a transaction writes each item through them (so the lock must be, and is, reentrant), and
    tables append stream records through StreamShard.add, which stream readers read through
    StreamShard.get(start, quantity)."""
    patch = BY_NAME["dynamodb_atomic_writes"]
    assert_targets(patch)
    transaction = Target("moto.dynamodb.models", "DynamoDBBackend.transact_write_items")
    assert {"put_item", "update_item", "delete_item", "get_item"} <= set(names_used(transaction))
    for method in ("put_item", "delete_item"):
        writes = names_used(Target("moto.dynamodb.models.table", f"Table.{method}"))
        assert {"stream_shard", "add"} <= set(writes), method
    read = Target("moto.dynamodbstreams.models", "ShardIterator.get")
    assert {"stream_shard", "get"} <= set(names_used(read))
    get = Target("moto.dynamodb.models.table", "StreamShard.get").original()
    assert list(inspect.signature(get).parameters) == ["self", "start", "quantity"]


def test_dynamodb_partition_query_shape() -> None:
    """Given moto's own Table.query, then `index_name` is its seventh parameter after
    `hash_key` (where the patch looks for it), it gathers a base-table query's candidates from
    `all_items()`, and the backend's query calls it; Item has the `range_key` the patched
    all_items sorts by."""
    patch = BY_NAME["dynamodb_partition_query"]
    assert_targets(patch)
    from moto.dynamodb.models.dynamo_type import Item

    query = Target("moto.dynamodb.models.table", "Table.query")
    parameters = list(inspect.signature(query.original()).parameters)
    assert parameters.index("index_name") - parameters.index("hash_key") - 1 == 6
    assert "all_items" in names_used(query)
    assert "query" in names_used(Target("moto.dynamodb.models", "DynamoDBBackend.query"))
    assert "range_key" in inspect.signature(Item).parameters


def test_dynamodb_query_range_shape() -> None:
    """Given moto's own Table.query, then it takes the arguments the patch reads by name, it
    gathers a base-table query's candidates from `all_items()`; put_item and delete_item take
    the keys the patch keeps in order, and DynamoType compares for bisection."""
    patch = BY_NAME["dynamodb_query_range"]
    assert_targets(patch)
    from moto.dynamodb.models.dynamo_type import DynamoType

    query = Target("moto.dynamodb.models.table", "Table.query")
    parameters = set(inspect.signature(query.original()).parameters)
    assert {
        "hash_key",
        "range_comparison",
        "range_objs",
        "limit",
        "exclusive_start_key",
        "scan_index_forward",
        "index_name",
        "filter_kwargs",
        "range_key_conditions",
    } <= parameters
    assert "all_items" in names_used(query)
    assert DynamoType({"S": "a"}) < DynamoType({"S": "b"})


def _moto_distribution() -> tuple[Any, str]:
    """A distribution in moto's CloudFront: its backend and id."""
    from moto.cloudfront.models import cloudfront_backends

    cloudfront = boto3.client("cloudfront", region_name=REGION)
    distribution_id = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "site",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": "site.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "allow-all"},
        }
    )["Distribution"]["Id"]
    return cloudfront_backends[DEFAULT_ACCOUNT_ID]["aws"], distribution_id


def test_cloudfront_invalidation_caller_reference_shape(aws: None) -> None:
    """Given moto's CloudFront, then the backend's create_invalidation(self, dist_id, paths,
    caller_ref) is what the CreateInvalidation response calls, it keeps each distribution's
    invalidations in the list `invalidations[dist_id]` with the request's `caller_ref` and
    `paths` (in order), and CloudFrontException(code, message) is answered as that error."""
    patch = BY_NAME["cloudfront_invalidation_caller_reference"]
    assert_targets(patch)
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.cloudfront.models import Invalidation

    create = Target("moto.cloudfront.responses", "CloudFrontResponse.create_invalidation")
    assert "create_invalidation" in names_used(create)
    backend, distribution_id = _moto_distribution()
    made = patch.targets[0].original()(backend, distribution_id, ["/b", "/a"], "ref")
    (kept,) = backend.invalidations[distribution_id]
    assert isinstance(kept, Invalidation) and kept is made
    assert (kept.caller_ref, list(kept.paths)) == ("ref", ["/b", "/a"])
    error = CloudFrontException("InvalidArgument", "why")
    assert (error.code, error.message) == ("InvalidArgument", "why")


def test_cloudfront_invalidation_in_progress_shape(aws: None) -> None:
    """Given moto's CloudFront, then an Invalidation's `status` attribute is what
    GetInvalidation and ListInvalidations answer, and a distribution's
    `in_progress_invalidation_batches` what GetDistribution answers as
    InProgressInvalidationBatches (through moto's own backend methods)."""
    patch = BY_NAME["cloudfront_invalidation_in_progress"]
    assert_targets(patch)
    backend, distribution_id = _moto_distribution()
    made = patch.targets[0].original()(backend, distribution_id, ["/a"], "ref")
    made.status, backend.distributions[distribution_id].in_progress_invalidation_batches = "X", 7
    cloudfront = boto3.client("cloudfront", region_name=REGION)
    # The patched methods recompute status from the time; moto's own report what is set.
    with pytest.MonkeyPatch.context() as monkey:
        for target in patch.targets:
            if target.replaced:
                monkey.setattr(target.owner(), target.attribute.split(".")[-1], target.original())
        got = cloudfront.get_invalidation(DistributionId=distribution_id, Id=made.id)
        listed = cloudfront.list_invalidations(DistributionId=distribution_id)
        distribution = cloudfront.get_distribution(Id=distribution_id)["Distribution"]
    assert got["Invalidation"]["Status"] == "X"
    assert listed["InvalidationList"]["Items"][0]["Status"] == "X"
    assert distribution["InProgressInvalidationBatches"] == 7


def test_cloudfront_invalidation_limits_shape(aws: None) -> None:
    """Given moto's CloudFront, then create_invalidation keeps the request's paths as given,
    wildcards included, where the limits count them."""
    patch = BY_NAME["cloudfront_invalidation_limits"]
    assert_targets(patch)
    backend, distribution_id = _moto_distribution()
    made = patch.targets[0].original()(backend, distribution_id, ["/a", "/b/*"], "ref")
    assert backend.invalidations[distribution_id][-1] is made
    assert list(made.paths) == ["/a", "/b/*"]


# -- defects: pristine moto (strict expected failures), then patched --------------------------
@defect("s3_event_fields", "S3 notifications lack versionId and sequencer")
def test_moto_notifications_carry_version_and_sequencer() -> None:
    """Given a versioned bucket notifying an SQS queue on pristine moto, when an object is put
    twice, then each message's s3.object has its versionId and a sequencer ordering them."""
    run_scenario(VERSION_AND_SEQUENCER, patched=False)


def test_patched_notifications_carry_version_and_sequencer() -> None:
    """Given the patches installed, the same scenario sees versionId and sequencer."""
    run_scenario(VERSION_AND_SEQUENCER, patched=True)


@defect("s3_delete_marker_event", "does not announce a delete marker")
def test_moto_announces_a_delete_marker() -> None:
    """Given a versioned bucket notifying an SQS queue of ObjectRemoved:* on pristine moto,
    when an object is deleted without a version id, then ObjectRemoved:DeleteMarkerCreated
    arrives with the marker's version id."""
    run_scenario(DELETE_MARKER, patched=False)


def test_patched_moto_announces_a_delete_marker() -> None:
    """Given the patches installed, the same delete announces its delete marker."""
    run_scenario(DELETE_MARKER, patched=True)


@defect("dynamodb_atomic_writes", "lets a reader in halfway through a transaction")
def test_moto_a_transaction_is_seen_whole_or_not_at_all() -> None:
    """Given two items on pristine moto, when a transaction writing both is held after its
    first write and another thread reads both meanwhile, then the reader sees both old values
    or both new ones, never half the transaction.

    Deterministic (moto's StreamShard.add holds the writer); free-running threads show the
    same defect only as often as the interpreter happens to switch inside moto's writes,
    which a loaded machine makes rare."""
    run_scenario(HALF_A_TRANSACTION, patched=False)


def test_patched_a_transaction_is_seen_whole_or_not_at_all() -> None:
    """Given the patches installed, the same reader waits for the whole transaction."""
    run_scenario(HALF_A_TRANSACTION, patched=True)


def test_patched_concurrent_transactions_all_count_once() -> None:
    """Given two counters with the patches installed, when four threads each run thirty
    transactions incrementing both, then every applied transaction counts on both (none lost
    or half applied), and the stream's records have distinct sequence numbers."""
    run_scenario(CONCURRENT_TRANSACTIONS, patched=True)


@defect("dynamodb_transaction_rollback", "swaps a copy of the table in on a cancelled transaction")
def test_moto_a_cancelled_transaction_leaves_stream_readers_on_the_live_shard() -> None:
    """Given a stream reader's iterator on pristine moto, when a transaction is cancelled by
    its condition and then an item is put, then the reader sees the put and nothing of the
    cancelled transaction."""
    run_scenario(CANCELLED_TRANSACTION, patched=False)


def test_patched_cancelled_transaction_leaves_stream_readers_on_the_live_shard() -> None:
    """Given the patches installed, the same reader sees exactly the later put."""
    run_scenario(CANCELLED_TRANSACTION, patched=True)


@defect("dynamodb_partition_query", "reads every partition for a base-table query")
def test_moto_a_query_reads_only_its_partition() -> None:
    """Given a table of twenty-one partitions on pristine moto, when one partition is queried,
    then its items come back in order and no other partition's storage is read."""
    run_scenario(PARTITION_QUERY, patched=False)


def test_patched_query_reads_only_its_partition() -> None:
    """Given the patches installed, the same query reads its partition alone."""
    run_scenario(PARTITION_QUERY, patched=True)


@defect("dynamodb_query_range", "reads a whole partition for a query of a key range with Limit")
def test_moto_a_query_reads_its_key_range_up_to_the_limit() -> None:
    """Given a partition of 2,000 items on pristine moto, when key ranges are queried with a
    Limit (newest first, then the next page) and by prefix, then the right items come back and
    at most 30 items of the partition are read."""
    run_scenario(QUERY_RANGE, patched=False)


def test_patched_query_reads_its_key_range_up_to_the_limit() -> None:
    """Given the patches installed, the same queries read only what they return (and one past
    the limit), after a put and a delete kept the key order up to date."""
    run_scenario(QUERY_RANGE, patched=True)


@defect("cloudfront_invalidation_caller_reference", "makes a new invalidation per CallerReference")
def test_moto_a_repeated_caller_reference_returns_the_invalidation_it_made() -> None:
    """Given a distribution on pristine moto, when an invalidation is requested twice with one
    CallerReference and the same paths, then the second answer is the first invalidation (one
    in the list); the same reference with other paths is refused with InvalidArgument."""
    run_scenario(CLOUDFRONT + CALLER_REFERENCE, patched=False)


def test_patched_a_repeated_caller_reference_returns_the_invalidation_it_made() -> None:
    """Given the patches installed, the retried request is idempotent, the changed one
    refused."""
    run_scenario(CLOUDFRONT + CALLER_REFERENCE, patched=True)


@defect("cloudfront_invalidation_in_progress", "completes an invalidation at once")
def test_moto_an_invalidation_is_in_progress_before_it_completes() -> None:
    """Given a distribution on pristine moto, when an invalidation is created, then it is
    InProgress (and counted by GetDistribution) until it is Completed."""
    run_scenario(CLOUDFRONT + IN_PROGRESS, patched=False)


def test_patched_an_invalidation_is_in_progress_before_it_completes() -> None:
    """Given the patches installed, the invalidation runs, then completes."""
    run_scenario(CLOUDFRONT + IN_PROGRESS, patched=True)


@defect("cloudfront_invalidation_limits", "has no limit on invalidations in progress")
def test_moto_invalidations_in_progress_are_limited() -> None:
    """Given a distribution on pristine moto with 3,000 paths being invalidated, when one more
    is asked for, then TooManyInvalidationsInProgress; wildcards have their own 15, and
    completed invalidations free their room."""
    run_scenario(CLOUDFRONT + LIMITS, patched=False)


def test_patched_invalidations_in_progress_are_limited() -> None:
    """Given the patches installed, the same requests meet CloudFront's limits."""
    run_scenario(CLOUDFRONT + LIMITS, patched=True)


# -- AWS's hard limits: what moto lacks (patched), and what it enforces itself -----------------
KEY_TOO_LONG = """
def scenario():
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="source")
    s3.put_object(Bucket="source", Key="k" * 1024, Body=b"1,024 bytes: the longest key")
    too_long = "长" * 341 + "kk"  # 1,025 bytes of UTF-8
    try:
        s3.put_object(Bucket="source", Key=too_long, Body=b"one byte over")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "KeyTooLongError", error.response
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
    else:
        raise AssertionError("S3 stored a key of 1,025 bytes")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="source")["Contents"]]
    assert keys == ["k" * 1024], [len(key.encode()) for key in keys]
"""

METADATA_TOO_LARGE = """
def scenario():
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="fits", Body=b"x", Metadata={"a": "v" * 2047})
    try:
        s3.put_object(Bucket="site", Key="over", Body=b"x", Metadata={"ab": "v" * 2047})
    except ClientError as error:
        assert error.response["Error"]["Code"] == "MetadataTooLarge", error.response
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400, error.response
    else:
        raise AssertionError("S3 stored 2,049 bytes of user-defined metadata")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="site")["Contents"]]
    assert keys == ["fits"], keys
"""

TRANSACTION_TOO_LARGE = """
def scenario():
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="big",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    value = "z" * 390_000

    def puts(count):
        # each item: 2 + 3 bytes of key, 1 + 390,000 bytes of value (under 400 KB)
        return [
            {"Put": {"TableName": "big", "Item": {"pk": {"S": f"p{n:02}"}, "v": {"S": value}}}}
            for n in range(count)
        ]

    dynamodb.transact_write_items(TransactItems=puts(10))  # 3.9 MB: within 4 MB
    for n in range(10):
        dynamodb.delete_item(TableName="big", Key={"pk": {"S": f"p{n:02}"}})
    try:
        dynamodb.transact_write_items(TransactItems=puts(11))  # 4.29 MB
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ValidationException", error.response
        assert "4 MB" in error.response["Error"]["Message"], error.response
    else:
        raise AssertionError("DynamoDB applied a transaction of 4,290,066 bytes")
    assert dynamodb.scan(TableName="big")["Count"] == 0, "part of the refused transaction stayed"
"""


def test_s3_key_length_shape() -> None:
    """Given moto's S3, then S3Backend.put_object(self, bucket_name, key_name, value, ...) is
    the one way its PutObject and CopyObject store an object, and S3ClientError(code, message)
    is the error its responses serialise with the code."""
    patch = BY_NAME["s3_key_length"]
    assert_targets(patch)
    from moto.s3.exceptions import S3ClientError

    assert "put_object" in names_used(Target("moto.s3.responses", "S3Response.put_object"))
    assert "copy_object" in names_used(Target("moto.s3.responses", "S3Response.copy_object"))
    assert "put_object" in names_used(Target("moto.s3.models", "S3Backend.copy_object"))
    error = S3ClientError("KeyTooLongError", "Your key is too long")
    assert (error.code, error.message) == ("KeyTooLongError", "Your key is too long")


def test_s3_metadata_size_shape() -> None:
    """Given moto's S3Response.put_object(self), then it reads user-defined metadata from
    `self.headers` (through metadata_from_headers), where the patch measures it."""
    patch = BY_NAME["s3_metadata_size"]
    assert_targets(patch)
    used = names_used(Target("moto.s3.responses", "S3Response.put_object"))
    assert {"metadata_from_headers", "headers"} <= set(used)


def test_dynamodb_transaction_size_shape() -> None:
    """Given moto's DynamoDBBackend.transact_write_items(self, transact_items), then it gets the
    request's actions in wire format (`{"Put": {"Item": ...}}`, the others with `Key`), as the
    patch measures them, and MockValidationException(message) is a ValidationException."""
    patch = BY_NAME["dynamodb_transaction_size"]
    assert_targets(patch)
    from moto.dynamodb.exceptions import MockValidationException

    responses = Target("moto.dynamodb.responses", "DynamoHandler.transact_write_items")
    assert {"body", "transact_write_items"} <= set(names_used(responses))
    assert MockValidationException("m").error_type.endswith("ValidationException")
    assert patched_by(BY_NAME["dynamodb_transaction_size"].targets[0].current())[-1] == (
        "dynamodb_transaction_size"
    ), "the size check must wrap the other transaction patches, to check first"


@defect("s3_key_length", "stores an object key over 1,024 bytes")
def test_moto_refuses_a_key_over_1024_bytes() -> None:
    """Given a bucket on pristine moto, when an object key of 1,024 bytes and one of 1,025 are
    put, then the first is stored and the second refused with KeyTooLongError (HTTP 400)."""
    run_scenario(KEY_TOO_LONG, patched=False)


def test_patched_moto_refuses_a_key_over_1024_bytes() -> None:
    """Given the patches installed, the same 1,025-byte key is refused and nothing stored."""
    run_scenario(KEY_TOO_LONG, patched=True)


@defect("s3_metadata_size", "stores user-defined metadata over 2 KB")
def test_moto_refuses_metadata_over_2_kb() -> None:
    """Given a bucket on pristine moto, when objects with 2,048 and 2,049 bytes of user-defined
    metadata are put, then the first is stored and the second refused with MetadataTooLarge."""
    run_scenario(METADATA_TOO_LARGE, patched=False)


def test_patched_moto_refuses_metadata_over_2_kb() -> None:
    """Given the patches installed, the same 2,049 bytes of metadata are refused."""
    run_scenario(METADATA_TOO_LARGE, patched=True)


@defect("dynamodb_transaction_size", "applies a transaction over 4 MB")
def test_moto_refuses_a_transaction_over_4_mb() -> None:
    """Given a table on pristine moto, when a transaction of ten 390 KB items and one of eleven
    are written, then the first is applied and the second refused (ValidationException), with
    nothing of it written."""
    run_scenario(TRANSACTION_TOO_LARGE, patched=False)


def test_patched_moto_refuses_a_transaction_over_4_mb() -> None:
    """Given the patches installed, the same 4.29 MB transaction is refused whole."""
    run_scenario(TRANSACTION_TOO_LARGE, patched=True)


def limits_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName="limits",
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


def refused(call: Any) -> dict[str, Any]:
    """The error a call was refused with (the test fails if it was accepted)."""
    try:
        call()
    except ClientError as error:
        return dict(error.response["Error"])
    raise AssertionError("accepted")


def test_moto_itself_refuses_oversized_keys_items_and_transactions(aws: None) -> None:
    """Given moto's own DynamoDB (no patch of ours touches these checks), when a partition key
    over 2,048 bytes, a sort key over 1,024 bytes (in a Put, an Update, and a transaction's
    Update, as the posts table's counters are written), an item over 400 KB and a transaction
    of 101 actions are written, then each is refused with a ValidationException, as DynamoDB
    does; a moto release that stops enforcing one fails here."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    limits_table(dynamodb)
    table = "limits"
    long_pk, long_sk = "P" * 2049, "S" * 1025
    increment = {
        "UpdateExpression": "ADD #count :one",
        "ExpressionAttributeNames": {"#count": "count"},
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    calls = {
        "partition key": lambda: dynamodb.put_item(
            TableName=table, Item={"PK": {"S": long_pk}, "SK": {"S": "META"}}
        ),
        "sort key": lambda: dynamodb.put_item(
            TableName=table, Item={"PK": {"S": "ALL"}, "SK": {"S": long_sk}}
        ),
        "sort key (update)": lambda: dynamodb.update_item(
            TableName=table, Key={"PK": {"S": "TAGS"}, "SK": {"S": long_sk}}, **increment
        ),
        "sort key (transaction)": lambda: dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"PK": {"S": "TAGS"}, "SK": {"S": long_sk}},
                        **increment,
                    }
                }
            ]
        ),
        "item": lambda: dynamodb.put_item(
            TableName=table,
            Item={"PK": {"S": "POST#a"}, "SK": {"S": "META"}, "v": {"S": "z" * 410_000}},
        ),
        "101 actions": lambda: dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"PK": {"S": f"P{n}"}, "SK": {"S": "A"}}}}
                for n in range(101)
            ]
        ),
    }
    codes = {what: refused(call)["Code"] for what, call in calls.items()}
    assert codes == dict.fromkeys(calls, "ValidationException")
    assert dynamodb.scan(TableName=table)["Count"] == 0
    # and the largest that fit are stored
    dynamodb.put_item(TableName=table, Item={"PK": {"S": "P" * 2048}, "SK": {"S": "S" * 1024}})
    assert dynamodb.scan(TableName=table)["Count"] == 1


# -- request dispatch: what every request costs --------------------------------------------------
S3_URL_MODULE = """
import moto.s3.models as s3_models

reloaded = []
reload_module = s3_models.reload


def counting_reload(module):
    reloaded.append(module.__name__)
    return reload_module(module)


def scenario():
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="site")
    s3_models.reload = counting_reload
    for n in range(5):
        s3.put_object(Bucket="site", Key=f"page-{n}.html", Body=b"<p>page</p>")
    assert s3.get_object(Bucket="site", Key="page-4.html")["Body"].read() == b"<p>page</p>"
    assert len(reloaded) <= 1, f"moto.s3.urls reloaded {len(reloaded)} times for 6 requests"
    if PATCHED:  # a change of the custom endpoints it reads still takes effect
        os.environ["MOTO_S3_CUSTOM_ENDPOINTS"] = "http://storage.example:9000"
        backend = s3_models.s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
        assert "http://storage.example:9000" in backend.url_bases, backend.url_bases
        del os.environ["MOTO_S3_CUSTOM_ENDPOINTS"]
        assert "http://storage.example:9000" not in backend.url_bases, backend.url_bases
"""

MOTO_MODULES = """
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

listed = []
listdir = os.listdir


def counting_listdir(path="."):
    listed.append(path)
    return listdir(path)


def scenario():
    dispatcher = DomainDispatcherApplication(create_backend_app)
    os.listdir = counting_listdir
    try:
        found = [dispatcher.get_backend_for_host(host) for host in ["s3", "dynamodb", "sqs"] * 5]
    finally:
        os.listdir = listdir
    assert found == ["s3", "dynamodb", "sqs"] * 5, found
    assert dispatcher.get_backend_for_host("dynamodb.us-east-1.amazonaws.com") == "dynamodb"
    assert not listed, f"moto's package folder listed {len(listed)} times for 15 requests"
"""

ATTRIBUTE_VALUES = """
import moto.core.serialize as serialize

picked = []
get_value = serialize.ResponseSerializer.get_value


def counting_get_value(self, value, key, shape):
    picked.append(key)
    return get_value(self, value, key, shape)


ITEM = {
    "pk": {"S": "posts"},
    "sk": {"S": "2026-12-01#厦门日报"},
    "title": {"S": "标题 <b>&amp;</b> \\u2028 \\"quoted\\""},
    "count": {"N": "-12.50"},
    "live": {"BOOL": False},
    "gone": {"NULL": True},
    "raw": {"B": b"\\x00\\xffbytes"},
    "raws": {"BS": [b"one", b"\\x01"]},
    "tags": {"SS": ["c++", "C#"]},
    "sizes": {"NS": ["1", "2.5"]},
    "parts": {"L": [{"S": "a"}, {"N": "1"}, {"M": {"deep": {"L": [{"BOOL": True}]}}}]},
    "meta": {"M": {"url": {"S": "/a/b.html"}, "bin": {"B": b"\\x02"}, "empty": {"L": []}}},
}


def scenario():
    dynamodb = boto3.client("dynamodb")
    posts_table(dynamodb)
    dynamodb.put_item(TableName="posts", Item=ITEM)
    for n in range(100):
        dynamodb.put_item(
            TableName="posts",
            Item={"pk": {"S": "posts"}, "sk": {"S": f"{n:03d}"}, "title": {"S": f"t{n}"}},
        )
    key = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    assert dynamodb.get_item(TableName="posts", Key=key)["Item"] == ITEM
    serialize.ResponseSerializer.get_value = counting_get_value
    items = dynamodb.query(
        TableName="posts",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "posts"}},
    )["Items"]
    serialize.ResponseSerializer.get_value = get_value
    assert len(items) == 101 and items[-1] == ITEM, items[-1]
    assert items[0] == {"pk": {"S": "posts"}, "sk": {"S": "000"}, "title": {"S": "t0"}}
    assert len(picked) < 400, f"{len(picked)} values picked to serialize 101 items"
"""


def test_s3_url_module_once_shape() -> None:
    """Given moto's S3Backend, then `_url_module` is a property that reloads moto.s3.urls (so
    the url bases follow MOTO_S3_CUSTOM_ENDPOINTS), BaseBackend.urls reads it, and the
    in-process stubber looks a backend's urls up at every request."""
    patch = BY_NAME["s3_url_module_once"]
    assert_targets(patch)
    url_module = patch.targets[0].original()
    assert isinstance(url_module, property)
    assert "reload" in url_module.fget.__code__.co_names
    urls = Target("moto.core.base_backend", "BaseBackend.urls").original()
    assert {"url_bases", "_url_module"} <= set(urls.fget.__code__.co_names)
    assert "urls" in names_used(patch.targets[1])


def test_moto_modules_listed_once_shape() -> None:
    """Given moto's server, then its dispatcher's get_backend_for_host(self, host) asks
    `backends.list_of_moto_modules()` whether a host names a service."""
    patch = BY_NAME["moto_modules_listed_once"]
    assert_targets(patch)
    assert "list_of_moto_modules" in names_used(patch.targets[1])


def test_dynamodb_attribute_values_as_is_shape(aws: None) -> None:
    """Given moto's JSON serializer, then it dispatches on `_serialize_type_<type>`, DynamoDB's
    model names its attribute value structure `AttributeValue` with the ten members the wire
    carries, and moto's results turn binary values into bytes (which the patch leaves to the
    serializer, which base64-encodes them)."""
    patch = BY_NAME["dynamodb_attribute_values_as_is"]
    assert_targets(patch)
    import base64

    import botocore.session
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import dynamo_to_dict

    serialize = Target("moto.core.serialize", "ResponseSerializer._serialize").original()
    assert "getattr" in serialize.__code__.co_names
    model = botocore.session.get_session().get_service_model("dynamodb")
    shape = model.shape_for("AttributeValue")
    assert shape.type_name == "structure"
    assert set(shape.members) == {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"}
    encoded = base64.b64encode(b"\x00").decode()
    assert dynamo_to_dict(DynamoType({"B": encoded})) == {"B": b"\x00"}
    assert dynamo_to_dict(DynamoType({"S": "s"})) == {"S": "s"}


def test_plain_attribute_values_are_wire_values() -> None:
    """Given attribute values as moto hands them over, then only strings, booleans and lists
    and maps of them count as plain; bytes anywhere inside do not."""
    assert plain_attribute_value({"S": "标题"})
    assert plain_attribute_value({"L": [{"N": "1"}, {"M": {"a": {"BOOL": True}}}]})
    assert not plain_attribute_value({"B": b"x"})
    assert not plain_attribute_value({"M": {"a": {"BS": [b"x"]}}})
    assert not plain_attribute_value({"N": 1})


@defect("s3_url_module_once", "reloads moto.s3.urls for every in-process S3 request")
def test_moto_reloads_its_s3_urls_once() -> None:
    """Given pristine moto in-process, when six S3 requests are made, then moto.s3.urls is
    reloaded at most once."""
    run_scenario(S3_URL_MODULE, patched=False)


def test_patched_moto_reloads_its_s3_urls_once() -> None:
    """Given the patches installed, the same requests reload it at most once, and a change of
    MOTO_S3_CUSTOM_ENDPOINTS still changes the url bases."""
    run_scenario(S3_URL_MODULE, patched=True)


@defect("moto_modules_listed_once", "lists its package folder for every request to its server")
def test_moto_server_lists_its_modules_once() -> None:
    """Given pristine moto's server dispatcher, when 15 requests' hosts are dispatched, then
    moto's package folder is not listed again."""
    run_scenario(MOTO_MODULES, patched=False)


def test_patched_moto_server_lists_its_modules_once() -> None:
    """Given the patches installed, the same hosts dispatch to the same services without a
    listing."""
    run_scenario(MOTO_MODULES, patched=True)


@defect("dynamodb_attribute_values_as_is", "walks every attribute's shape to serialize items")
def test_moto_serializes_items_without_walking_every_attribute() -> None:
    """Given pristine moto, when a query returns 101 items (one with every attribute type,
    binary and CJK included), then the items come back as they were written and the
    serializer picks fewer than 400 values."""
    run_scenario(ATTRIBUTE_VALUES, patched=False)


def test_patched_moto_serializes_items_without_walking_every_attribute() -> None:
    """Given the patches installed, the same items come back identical, binary values
    included, and only the response's own members are picked."""
    run_scenario(ATTRIBUTE_VALUES, patched=True)
