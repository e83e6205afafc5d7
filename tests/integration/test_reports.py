"""Editor reports: every rejected upload leaves a private report object in the source bucket
(outside `posts/`), a structured log line and a metric; a corrected upload or a delete clears it."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from pressroom.errors import TransientError
from pressroom_dev.cli import Target, deployed_status, status_text
from support.events import sqs_event
from support.harness import Harness
from support.posts import PostFactory

BROKEN_TITLE = '---\ntitle: "港口"创新"高"\ndate: 2026-03-20 16:12:47 +0800\n---\n<p>正文</p>\n'


def report(harness: Harness, name: str) -> dict[str, Any] | None:
    key = f"reports/posts/{name}.json"
    bucket = harness.settings.source_bucket
    listed = harness.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    if not listed:
        return None
    return json.loads(harness.s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_rejected_upload_leaves_a_report_naming_line_field_and_fix(local: Harness) -> None:
    """Given a post whose title has an unescaped quote, when it is uploaded and processed,
    then a JSON report for that file and version says which line, what is wrong and the fix."""
    version = local.upload("2026-03-20-port.md", BROKEN_TITLE)
    local.drain()

    found = report(local, "2026-03-20-port.md")
    assert found is not None
    assert found["source_key"] == "posts/2026-03-20-port.md"
    assert found["version_id"] == version
    assert found["rejected_at"].endswith("Z")
    (problem,) = found["problems"]
    assert problem["field"] == "front matter" and problem["line"] == 2
    assert "double quote" in problem["message"] and "single quotes" in problem["hint"]
    assert "line 2" in found["summary"]
    assert local.site() == {}


def test_writing_a_report_triggers_nothing(local: Harness) -> None:
    """Given a rejected upload, when its report is written, then no notification reaches the
    pipeline for it (reports/ is outside the notified prefix)."""
    local.upload("2026-03-20-port.md", BROKEN_TITLE)
    local.drain()

    assert report(local, "2026-03-20-port.md") is not None
    assert local.take_messages() == []


def test_a_corrected_upload_clears_the_report(local: Harness, post_text: PostFactory) -> None:
    """Given a rejected post with its report, when the corrected file is uploaded,
    then the post is published and the report and the table's rejection are gone."""
    local.upload("2026-03-20-port.md", BROKEN_TITLE)
    local.drain()
    assert report(local, "2026-03-20-port.md") is not None

    local.upload("2026-03-20-port.md", post_text(title="港口“创新”高"))
    local.drain()

    assert report(local, "2026-03-20-port.md") is None
    assert local.state("2026-03-20-port.md").rejection is None
    assert "港口“创新”高" in (local.page("xiamenribao/2026/03/20/port.html") or "")


def test_deleting_a_rejected_file_clears_its_report(local: Harness) -> None:
    """Given a rejected post, when the editor deletes the file, then its report goes too."""
    local.upload("2026-03-20-port.md", BROKEN_TITLE)
    local.drain()

    local.delete("2026-03-20-port.md")
    local.drain()

    assert report(local, "2026-03-20-port.md") is None
    assert local.state("2026-03-20-port.md").rejection is None


def test_a_bad_new_version_keeps_the_published_page_and_reports(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a published post, when a broken version of it is uploaded, then its page stays
    byte for byte, the report names the new version, and a late redelivery of the older good
    version changes nothing (the newest upload is the rejected one)."""
    local.upload("2026-03-20-port.md", post_text())
    good = local.take_messages()
    local.deliver(*good)
    before = local.site()

    version = local.upload("2026-03-20-port.md", BROKEN_TITLE)
    local.drain()
    local.deliver(*good)

    assert local.site() == before
    found = report(local, "2026-03-20-port.md")
    assert found is not None and found["version_id"] == version
    state = local.state("2026-03-20-port.md")
    assert state.rejection is not None and state.record is not None


def test_a_url_conflict_is_reported_against_the_second_file(
    local: Harness, post_text: PostFactory
) -> None:
    """Given two files claiming one permalink, then the second one's report names the url
    field, the first file and how to fix it."""
    local.upload("2026-03-20-port.md", post_text(extra="permalink: /port.html"))
    local.drain()
    local.upload("2026-03-21-copy.md", post_text(extra="permalink: /port.html"))
    local.drain()

    found = report(local, "2026-03-21-copy.md")
    assert found is not None
    (problem,) = found["problems"]
    assert problem["field"] == "url" and "posts/2026-03-20-port.md" in problem["message"]
    assert "permalink" in problem["hint"]
    assert report(local, "2026-03-20-port.md") is None


def test_a_rejection_is_logged_as_one_structured_line_and_counted(
    local: Harness,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Given metrics enabled, when a broken post is processed by RenderPost, then the function
    logs one JSON line "post rejected" with every problem and the report key, and emits the
    metric PostsRejected = 1."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    Metrics().clear_metrics()  # the metric set is shared by every Metrics in the process
    local.upload("2026-03-20-port.md", BROKEN_TITLE)
    capsys.readouterr()

    with caplog.at_level(logging.WARNING, logger="pressroom"):
        local.drain()

    (record,) = [r for r in caplog.records if r.getMessage() == "post rejected"]
    formatter = logging.getLogger("pressroom").handlers[0].formatter
    assert formatter is not None
    logged = json.loads(formatter.format(record))
    assert logged["level"] == "WARNING"
    assert logged["source_key"] == "posts/2026-03-20-port.md"
    assert logged["report_key"] == "reports/posts/2026-03-20-port.md.json"
    assert logged["problems"][0]["field"] == "front matter"
    assert logged["problems"][0]["line"] == 2
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert [m["PostsRejected"] for m in printed if "PostsRejected" in m] == [[1.0]]


def test_status_of_a_deployed_stack_lists_its_reports(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a stack with one rejected and one published post, when `status --stack` reads it
    from outside (queues and report objects), then it is idle and lists exactly the rejected
    post with its problems and report; after a corrected upload it lists none."""
    urls = local.stack.queue_urls
    target = Target(
        local.s3,
        local.stack.sqs,
        local.settings.source_bucket,
        urls["IngestQueue"],
        urls["IngestDeadLetterQueue"],
        "https://example.cloudfront.net",
        urls["IndexesDeadLetterQueue"],
    )
    local.upload("2026-03-20-port.md", BROKEN_TITLE)
    local.upload("2026-03-21-metro.md", post_text())
    local.drain()
    bucket = local.settings.source_bucket
    local.s3.put_object(Bucket=bucket, Key="reports/README.txt", Body=b"not a report")

    status = deployed_status(target)

    assert status["idle"] and status["queue"]["dead_letters"] == 0
    (rejected,) = status["rejected"]
    assert rejected["source_key"] == "posts/2026-03-20-port.md"
    assert rejected["report"].endswith("/reports/posts/2026-03-20-port.md.json")
    assert rejected["problems"][0].startswith("line 2, front matter: title contains")
    assert "rejected posts/2026-03-20-port.md:" in status_text(status)

    local.upload("2026-03-20-port.md", post_text(title="港口创新高"))
    local.drain()

    assert deployed_status(target)["rejected"] == []


# ---------------------------------------------------------------- races and retries
BROKEN_DATE = "---\ntitle: 港口\ndate: 2026-02-30 16:12:47 +0800\n---\n<p>正文</p>\n"


def held(local: Harness, text: str) -> tuple[str, dict[str, Any]]:
    """Upload the port post and hold back its notification: (version id, message)."""
    version = local.upload("2026-03-20-port.md", text)
    (message,) = local.take_messages()
    return version, message


def invoking_first(local: Harness, message: dict[str, Any]) -> Callable[..., Any]:
    """A wrapper that, the first time it is called, lets another instance process `message`."""
    fired: list[bool] = []

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            if not fired:
                fired.append(True)
                local.invoke("RenderPostFunction", sqs_event([message]))
            return real(*args)

        return call

    return wrap


def test_a_rejection_landing_during_a_newer_commit_is_cleared(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a broken upload and a newer valid one processed at once, when the rejection lands
    between the valid commit's read and its commit, then the commit notices, retries and
    clears it: the post is published and no report is left."""
    _, bad = held(local, BROKEN_TITLE)
    _, good = held(local, post_text())
    repository = local.pipeline.publish.repository
    real = repository.commit
    repository.commit = invoking_first(local, bad)(real)  # type: ignore[method-assign]

    local.invoke("RenderPostFunction", sqs_event([good]))
    repository.commit = real  # type: ignore[method-assign]
    local.drain()

    state = local.state("2026-03-20-port.md")
    assert state.record is not None and state.record.status == "published"
    assert state.rejection is None and report(local, "2026-03-20-port.md") is None


def test_an_older_rejection_never_replaces_a_newer_one(
    local: Harness, post_text: PostFactory
) -> None:
    """Given three uploads (broken, valid, broken again), when the first rejection is written
    after the newest one and the valid one arrives last, then the newest rejection and its
    report stay, and the valid version (the newest valid one) is published."""
    _, old = held(local, BROKEN_TITLE)
    good_version, good = held(local, post_text(title="好版本"))
    newest, new = held(local, BROKEN_DATE)
    repository = local.pipeline.publish.repository
    real = repository.reject
    repository.reject = invoking_first(local, new)(real)  # type: ignore[method-assign]

    local.invoke("RenderPostFunction", sqs_event([old]))
    repository.reject = real  # type: ignore[method-assign]
    local.invoke("RenderPostFunction", sqs_event([good]))
    local.drain()

    state = local.state("2026-03-20-port.md")
    assert state.rejection is not None and state.rejection.source_version == newest
    assert state.record is not None and state.record.source_version == good_version
    found = report(local, "2026-03-20-port.md")
    assert found is not None and found["version_id"] == newest
    assert "impossible" in found["summary"]
    assert "好版本" in (local.page("xiamenribao/2026/03/20/port.html") or "")


def test_a_report_written_by_a_failed_try_is_removed_on_retry(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a broken upload whose report write succeeds only after a newer valid upload was
    committed, and whose try then times out, when SQS retries it, then the stale report goes."""
    _, bad = held(local, BROKEN_TITLE)
    _, good = held(local, post_text(title="好版本"))
    reports = local.pipeline.publish.reports
    assert reports is not None
    real = reports.put_report

    def put_then_time_out(key: str, body: dict[str, Any]) -> None:
        reports.put_report = real  # type: ignore[method-assign]
        local.invoke("RenderPostFunction", sqs_event([good]))
        real(key, body)
        raise TransientError("timed out after the write")

    reports.put_report = put_then_time_out  # type: ignore[method-assign]
    with pytest.raises(BatchProcessingError):
        local.invoke("RenderPostFunction", sqs_event([bad]))
    assert report(local, "2026-03-20-port.md") is not None  # the failed try left it

    local.invoke("RenderPostFunction", sqs_event([bad]))

    assert local.state("2026-03-20-port.md").rejection is None
    assert report(local, "2026-03-20-port.md") is None
