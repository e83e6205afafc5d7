"""`pressroom publish` of a whole folder against a running stack (moto's server on a free
loopback port): concurrent uploads, the problems of each file, the summary, and an upload S3
refuses."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pressroom_dev import cli, upload
from pressroom_dev.cli import main
from pressroom_dev.stack import LocalStack, local_name
from support.aws import CREDENTIALS, LOCAL_ENVIRONMENT, REGION
from support.paths import ROOT
from support.posts import post_text
from support.servers import as_an_editor, empty_bucket, moto_server

SOURCE_BUCKET = local_name("pressroom", "SourceBucket")
SITE = "http://site.test"


@dataclasses.dataclass
class Running:
    endpoint: str
    s3: Any

    def object_keys(self) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=SOURCE_BUCKET)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def sources(self) -> dict[str, bytes]:
        """Every object under posts/ and its bytes."""
        return {
            key: self.s3.get_object(Bucket=SOURCE_BUCKET, Key=key)["Body"].read()
            for key in self.object_keys()
            if key.startswith("posts/")
        }


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    with moto_server() as endpoint:
        session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
        stack = LocalStack(ROOT, session, endpoint_url=endpoint).create()
        yield Running(endpoint, stack.s3)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, running: Running) -> Iterator[Path]:
    """A folder outside the repository as cwd, the local credentials, an empty posts/."""
    as_an_editor(monkeypatch, tmp_path, LOCAL_ENVIRONMENT)
    yield tmp_path
    empty_bucket(running.s3, SOURCE_BUCKET, running.object_keys())


def write_posts(folder: Path, count: int) -> dict[str, bytes]:
    """`count` valid posts in `folder` (a tenth in subfolders by year), each a different
    size; {source key: bytes}."""
    written = {}
    for number in range(count):
        day = 1 + number % 28
        name = f"2025-{1 + number % 12:02d}-{day:02d}-post-{number:04d}.md"
        relative = f"{2024 + number % 10}/{name}" if number % 10 == 0 else name
        text = post_text(
            title=f"港口新闻 {number}",
            date=f"2025-{1 + number % 12:02d}-{day:02d} 08:00:00 +0800",
            body="<p>" + "吞吐量" * (1 + number % 50) + "</p>",
        )
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written[f"posts/{relative}"] = path.read_bytes()
    return written


def publish(running: Running, *args: str) -> int:
    return main(
        [
            "publish",
            *args,
            *("--project", str(ROOT), "--endpoint-url", running.endpoint, "--site-url", SITE),
        ]
    )


def test_a_folder_of_300_posts_lands_whole_with_its_problems_and_summary(
    workspace: Path, running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a folder of 300 files: 295 valid posts, 2 broken (a title with unescaped quotes,
    no title), 2 with published: false and 1 dated next century."""
    folder = workspace / "_posts"
    expected = write_posts(folder, 295)
    extra = {
        "2026-03-01-quotes.md": post_text(title='他说"好"了'),
        "2026-03-02-no-title.md": "---\ndate: 2026-03-02 08:00:00 +0800\n---\n<p>正文</p>\n",
        "2026-03-03-draft-a.md": post_text(title="草稿一", extra="published: false"),
        "2026-03-04-draft-b.md": post_text(title="草稿二", extra="published: false"),
        "2126-03-05-later.md": post_text(title="百年后", date="2126-03-05 08:00:00 +0800"),
    }
    for name, text in extra.items():
        (folder / name).write_text(text, encoding="utf-8")
        expected[f"posts/{name}"] = (folder / name).read_bytes()

    # When it is published with 8 uploads at once
    code = publish(running, "_posts", "--jobs", "8")

    # Then every file is in the source bucket under its key, with exactly its bytes
    assert running.sources() == expected
    out, err = capsys.readouterr()
    lines = out.splitlines()
    # And the broken two are reported with their problems, among the lines sorted by key
    assert "posts/2026-03-01-quotes.md: uploaded, but it will be rejected:" in lines
    assert "posts/2026-03-02-no-title.md: uploaded, but it will be rejected:" in lines
    assert "title" in out.split("posts/2026-03-02-no-title.md: uploaded")[1]
    per_file = [line.split(" ")[0].rstrip(":") for line in lines if line.startswith("posts/")]
    assert len(per_file) == 300
    assert per_file == sorted(per_file)
    assert "posts/2026-03-03-draft-a.md -> (published: false)" in lines
    assert (
        f"posts/2024/2025-01-01-post-0000.md -> {SITE}/xiamenribao/2025/01/01/post-0000.html"
        in (lines)
    )
    # And the summary counts them: uploaded, rejected, published: false, future, the site
    summary = lines[lines.index(next(line for line in lines if line.startswith("uploaded "))) :]
    size = sum(len(body) for body in expected.values())
    assert summary[0].startswith(f"uploaded 300 of 300 files ({size / 1000:.1f} KB) in ")
    assert summary[1].startswith(
        "2 will be rejected (listed above); 2 with published: false; 1 dated in the future"
    )
    assert summary[-1].startswith(f"the site: {SITE}/")
    # And it exits 1 because of the broken ones, and stderr holds no traceback or bar
    assert code == 1
    assert "Traceback" not in err
    assert "\r" not in err


def test_an_upload_s3_refuses_is_reported_and_the_others_land(
    workspace: Path,
    running: Running,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a folder of 40 valid posts, and S3 answering 500 for one of them (what the client
    raises after its retries)."""
    folder = workspace / "_posts"
    expected = write_posts(folder, 40)
    refused = "posts/2025-06-06-post-0005.md"
    resolve = cli.resolve_target

    def refusing_target(args: Any) -> cli.Target:
        target = resolve(args)
        return dataclasses.replace(target, s3=RefusingS3(target.s3, refused))

    monkeypatch.setattr(cli, "resolve_target", refusing_target)

    # When the folder is published
    code = publish(running, "_posts", "--jobs", "8")

    # Then the other 39 are in the bucket with their bytes, and the refused one is not
    expected.pop(refused)
    assert running.sources() == expected
    # And the refused one is listed with S3's reason on one line, and the summary says so
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert (
        f"{refused}: not uploaded: S3 refused it (HTTP 500): InternalError: "
        "We encountered an internal error. Please try again." in lines
    )
    assert any(line.startswith("uploaded 39 of 40 files") for line in lines)
    assert "1 failed to upload (listed above): publish them again" in lines
    # And the exit code is 1, with no traceback
    assert code == 1
    assert "Traceback" not in out + err


def test_a_missing_bucket_stops_the_run_with_one_sentence(
    workspace: Path,
    running: Running,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a target whose source bucket does not exist, when 40 posts are published, then
    nothing is uploaded, and it exits 3 with one sentence naming the bucket."""
    write_posts(workspace / "_posts", 40)
    resolve = cli.resolve_target
    monkeypatch.setattr(
        cli,
        "resolve_target",
        lambda args: dataclasses.replace(resolve(args), source_bucket="pressroom-missing"),
    )

    code = publish(running, "_posts")

    assert code == cli.EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pressroom publish: the stack's bucket is not at ")
    assert running.sources() == {}


class RefusingS3:
    """An S3 client whose PutObject of one key fails as S3's 500 does after the retries."""

    def __init__(self, client: Any, refused: str) -> None:
        self.client = client
        self.refused = refused

    def put_object(self, **params: Any) -> Any:
        if params["Key"] == self.refused:
            error = {"Code": "InternalError", "Message": "We encountered an internal error. "}
            error["Message"] += "Please try again."
            raise ClientError(
                {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 500}}, "PutObject"
            )
        return self.client.put_object(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


def test_over_the_limit_only_problems_get_a_line_unless_verbose(
    workspace: Path,
    running: Running,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Given a limit of 20 files for per-file lines and a folder of 30 posts, one broken."""
    monkeypatch.setattr(upload, "MANY_FILES", 20)
    folder = workspace / "_posts"
    write_posts(folder, 29)
    (folder / "2026-03-01-quotes.md").write_text(post_text(title='他说"好"了'), encoding="utf-8")

    # When the folder is published
    code = publish(running, "_posts")

    # Then the only per-file line is the broken post's, and the summary says why
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if line.startswith("posts/")] == [
        "posts/2026-03-01-quotes.md: uploaded, but it will be rejected:"
    ]
    assert (
        "over 20 files: only the files with problems are listed "
        "(--verbose lists every file and its URL)" in lines
    )
    assert code == 1

    # When it is published again with --verbose, then every file has its line
    code = publish(running, "_posts", "--verbose")

    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if line.startswith("posts/")]) == 30
    assert not any(line.startswith("over 20 files") for line in lines)
