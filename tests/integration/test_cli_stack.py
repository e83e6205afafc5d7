"""The `pressroom` command against a running stack (moto's server on a free loopback port, with
template.yaml's resources): what it does with folders, unknown keys, unknown stacks and missing
queues, run from a folder that is not the repository."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pressroom_dev import cli
from pressroom_dev.cli import main
from pressroom_dev.stack import LocalStack, local_name
from support.aws import REGION
from support.servers import as_an_editor, empty_bucket, moto_server

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
SOURCE_BUCKET = local_name("pressroom", "SourceBucket")


def post(title: str, day: int, category: str = "port") -> str:
    return (
        f"---\ntitle: {title}\ndate: 2026-03-{day:02d} 16:12:47 +0800\n"
        f"categories: {category}\n---\n正文\n"
    )


@dataclass
class Running:
    endpoint: str
    s3: Any

    def source_keys(self) -> set[str]:
        listing = self.s3.list_objects_v2(Bucket=SOURCE_BUCKET, Prefix="posts/")
        return {item["Key"] for item in listing.get("Contents", [])}

    def exists(self, key: str) -> bool:
        try:
            self.s3.head_object(Bucket=SOURCE_BUCKET, Key=key)
        except ClientError:
            return False
        return True


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    with moto_server() as endpoint:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        stack = LocalStack(ROOT, session, endpoint_url=endpoint).create()
        yield Running(endpoint, stack.s3)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, running: Running) -> Iterator[Path]:
    """A folder outside the repository as cwd, the local credentials, an empty posts/."""
    as_an_editor(monkeypatch, tmp_path, CREDENTIALS)
    yield tmp_path
    empty_bucket(running.s3, SOURCE_BUCKET, running.source_keys())


def stderr_line(capsys: pytest.CaptureFixture[str], command: str) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"pressroom {command}: ")
    return lines[0]


def test_publish_a_folder_uploads_each_of_its_files(
    workspace: Path, running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a folder of two posts (one in a subfolder), when it is published, then each is
    uploaded under posts/ with its path in the folder, and each URL is printed."""
    folder = workspace / "drafts"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026-03-20-port.md").write_text(post("港口吞吐量创新高", 20), encoding="utf-8")
    (folder / "2026" / "2026-03-21-ferry.md").write_text(post("轮渡", 21), encoding="utf-8")
    site = "--site-url", "http://site.test"

    code = main(
        ["publish", "drafts", "--project", str(ROOT), "--endpoint-url", running.endpoint, *site]
    )

    assert code == 0
    assert running.source_keys() == {"posts/2026-03-20-port.md", "posts/2026/2026-03-21-ferry.md"}
    out = capsys.readouterr().out.splitlines()
    assert "posts/2026-03-20-port.md -> http://site.test/port/2026/03/20/port.html" in out
    assert "posts/2026/2026-03-21-ferry.md -> http://site.test/port/2026/03/21/ferry.html" in out


def test_publish_with_a_missing_file_uploads_nothing(
    workspace: Path, running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a good post and a mistyped name, when both are published, then exit 2 naming the
    missing one, and the good one was not uploaded either."""
    (workspace / "2026-03-20-port.md").write_text(post("港口", 20), encoding="utf-8")

    code = main(
        [
            *("publish", "2026-03-20-port.md", "missing.md", "--project", str(ROOT)),
            *("--endpoint-url", running.endpoint),
        ]
    )

    assert code == 2
    assert stderr_line(capsys, "publish").endswith("missing.md: no such file or folder")
    assert running.source_keys() == set()


def test_publish_of_a_post_that_will_be_rejected_is_exit_1(
    workspace: Path, running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a post without a title, when published, then it is uploaded and exit 1 says why."""
    (workspace / "2026-03-20-bad.md").write_text(
        "---\ndate: 2026-03-20\n---\nx\n", encoding="utf-8"
    )

    code = main(
        ["publish", "2026-03-20-bad.md", "--project", str(ROOT), "--endpoint-url", running.endpoint]
    )

    assert code == 1
    assert "posts/2026-03-20-bad.md: uploaded, but it will be rejected:" in capsys.readouterr().out
    assert running.source_keys() == {"posts/2026-03-20-bad.md"}


def test_unpublish_deletes_a_key_that_exists(
    workspace: Path, running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a published post, when it is unpublished by its local path, then it is deleted."""
    running.s3.put_object(Bucket=SOURCE_BUCKET, Key="posts/2026-03-20-port.md", Body=b"x")

    code = main(["unpublish", "drafts/2026-03-20-port.md", "--endpoint-url", running.endpoint])

    assert code == 0
    assert (
        capsys.readouterr().out
        == "posts/2026-03-20-port.md: deleted; its pages will be taken down\n"
    )
    assert not running.exists("posts/2026-03-20-port.md")


def test_unpublish_of_an_unknown_key_deletes_nothing_and_is_exit_4(
    workspace: Path, running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given one published post, when it and a mistyped key are unpublished, then exit 4 names
    the unknown key, and the published post is still there."""
    running.s3.put_object(Bucket=SOURCE_BUCKET, Key="posts/2026-03-20-port.md", Body=b"x")

    code = main(
        ["unpublish", "2026-03-20-port.md", "no-such-post.md", "--endpoint-url", running.endpoint]
    )

    assert code == 4
    line = stderr_line(capsys, "unpublish")
    assert line.startswith(
        f"pressroom unpublish: posts/no-such-post.md: not in the source bucket {SOURCE_BUCKET}"
    )
    assert "nothing was deleted" in line
    assert "deleted; its pages" not in capsys.readouterr().out
    assert running.exists("posts/2026-03-20-port.md")


def test_unpublish_of_an_unknown_key_in_a_subprocess(workspace: Path, running: Running) -> None:
    """Given a key that was never uploaded, when `pressroom unpublish` runs as a process, then
    its stderr is the one sentence and its status 4."""
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pressroom_dev.cli", "unpublish", "no-such-post.md"),
            *("--endpoint-url", running.endpoint),
        ],
        cwd=workspace,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr.startswith("pressroom unpublish: posts/no-such-post.md: not in the")
    assert len(result.stderr.splitlines()) == 1


@dataclass(frozen=True)
class Case:
    command: str
    situation: str
    argv: tuple[str, ...]
    code: int
    says: str
    env: tuple[tuple[str, str], ...] = ()

    @property
    def id(self) -> str:
        return f"{self.command}: {self.situation}"


AT_MOTO = (("AWS_ENDPOINT_URL", "{endpoint}"),)
NO_STACK = "no CloudFormation stack named nope in us-east-1: check --stack"
CASES = [
    Case("status", "an unknown stack", ("status", "--stack", "nope"), 3, NO_STACK, AT_MOTO),
    Case("rebuild", "an unknown stack", ("rebuild", "--stack", "nope"), 3, NO_STACK, AT_MOTO),
    Case(
        "publish",
        "an unknown stack",
        ("publish", "{post}", "--project", "{root}", "--stack", "nope"),
        3,
        NO_STACK,
        AT_MOTO,
    ),
    Case(
        "unpublish",
        "an unknown stack",
        ("unpublish", "x.md", "--stack", "nope"),
        3,
        NO_STACK,
        AT_MOTO,
    ),
    Case(
        "redrive",
        "no stack in the region",
        ("redrive", "--endpoint-url", "{endpoint}"),
        3,
        "the stack's queues are not at {endpoint}: start `pressroom serve`",
        (("AWS_DEFAULT_REGION", "eu-west-1"),),
    ),
    Case(
        "unpublish",
        "an unknown key",
        ("unpublish", "posts/no-such-post.md", "--endpoint-url", "{endpoint}"),
        4,
        "posts/no-such-post.md: not in the source bucket",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_what_the_stack_lacks_is_one_sentence(
    case: Case,
    workspace: Path,
    running: Running,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a stack, a queue or a key that is not there, then the command exits with the
    case's code and one sentence saying what is missing."""
    (workspace / "2026-03-20-port.md").write_text(post("港口", 20), encoding="utf-8")
    values = {"endpoint": running.endpoint, "root": str(ROOT), "post": "2026-03-20-port.md"}
    for name, value in case.env:
        monkeypatch.setenv(name, value.format(**values))

    code = main([arg.format(**values) for arg in case.argv])

    assert code == case.code
    assert case.says.format(**values) in stderr_line(capsys, case.command)
    assert running.source_keys() == set()


def test_rebuild_of_the_running_stack_succeeds_from_another_folder(
    workspace: Path,
    running: Running,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given the running stack and PRESSROOM_PROJECT naming the site, when rebuild runs from a
    folder outside it, then it reconciles and exits 0."""
    monkeypatch.setenv(cli.PROJECT_ENV, str(ROOT))

    code = main(["rebuild", "--reconcile-only", "--endpoint-url", running.endpoint])

    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out.splitlines()[-1].startswith("reconcile: 0 posts")


def test_unreachable_is_not_confused_with_unknown(
    workspace: Path, running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a port where nothing listens, then unpublish is exit 3 (cannot reach), not 4."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"

    code = main(["unpublish", "no-such-post.md", "--endpoint-url", dead])

    assert code == 3
    assert f"cannot reach the AWS endpoint {dead}" in stderr_line(capsys, "unpublish")
