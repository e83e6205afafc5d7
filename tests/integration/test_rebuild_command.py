"""`pressroom rebuild` against a served local stack (moto's server, the event source mappings
on threads as `pressroom serve` runs them): it reconciles, starts the job on the rebuild queue
and waits until its last part is done."""

from __future__ import annotations

import time
from collections.abc import Iterator

import boto3
import pytest

from pressroom_dev import cli
from pressroom_dev.cli import main
from pressroom_dev.delivery import EventSourceMappings
from pressroom_dev.stack import LocalStack
from support.aws import LOCAL_ENVIRONMENT, REGION
from support.paths import ROOT
from support.posts import post_text
from support.servers import moto_server


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, LocalStack]]:
    for name, value in LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(cli.PROJECT_ENV, str(ROOT))
    with moto_server() as endpoint:
        session = boto3.session.Session(region_name=REGION)
        stack = LocalStack(ROOT, session, endpoint_url=endpoint).create()
        engine = EventSourceMappings(stack, poll_seconds=0.05).start()
        try:
            yield endpoint, stack
        finally:
            engine.stop()


def wait_idle(engine_stack: LocalStack, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    delivery = EventSourceMappings(engine_stack)
    while time.monotonic() < deadline:
        if delivery.status()["idle"]:
            return
        time.sleep(0.2)
    raise AssertionError("the local stack did not become idle")


def test_rebuild_starts_the_job_and_waits_for_its_last_part(
    served: tuple[str, LocalStack], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a served stack with three published posts
    endpoint, stack = served
    source = stack.settings().source_bucket
    for day in (18, 19, 20):
        text = post_text(title=f"第{day}条", date=f"2026-03-{day} 16:12:47 +0800")
        stack.s3.put_object(Bucket=source, Key=f"posts/2026-03-{day}-p.md", Body=text.encode())
    wait_idle(stack)
    capsys.readouterr()
    # When `pressroom rebuild` runs
    code = main(["rebuild", "--endpoint-url", endpoint])
    # Then it waited until every part of the job was done
    out = capsys.readouterr().out.splitlines()
    assert code == 0, out
    assert out[-1].startswith("rebuild ") and out[-1].endswith("parts done")
    done, parts = out[-1].split(": ")[1].split(" ")[0].split("/")
    assert done == parts and int(parts) >= 2  # a part of posts, a part of index pages
