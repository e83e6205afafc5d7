"""End-to-end tier: `pressroom serve` as a real process, driven over HTTP, boto3 and the CLI.

One server runs for the whole session (starting it and draining its first posts costs several
seconds); every test works on posts of its own. The server's stdout and stderr go to
`test-output/e2e/pressroom-serve.log`; when a test fails, the log's tail is added to the report
and the whole log is copied into that test's output folder.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from serving import free_ports, local_environment, log_tail, stop_process_group

CHROMIUM = Path("/usr/bin/chromium")
# No network beyond loopback: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "e2e"
SERVE_LOG = OUTPUT / "pressroom-serve.log"
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
START_TIMEOUT = 60.0
IDLE_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# The posts `serve --posts` publishes at start. All three share the tag; POST_NEWEST is the
# newest post of the session (the other tests' posts are older), so it heads the home page.
TAG = "端到端新闻"
POST_NEWEST = "2026-05-03-harbour-night-shift.md"
NEWEST_TITLE = "厦门港夜间作业效率提升 集装箱船平均在港时间缩短"
NEWEST_BODY = "今年以来厦门港推行夜间集中作业模式"
NEWEST_CATEGORY = "hangyun"
NEWEST_PATH = "/hangyun/2026/05/03/harbour-night-shift.html"
START_POSTS = {
    POST_NEWEST: f"""---
layout: post
title: "{NEWEST_TITLE}"
date: 2026-05-03 09:30:00 +0800
categories: {NEWEST_CATEGORY}
tags: {TAG}
---
<p>记者从港口管理部门获悉，{NEWEST_BODY}，集装箱船平均在港时间缩短约三小时。</p>
<p>港口管理部门表示，下一步将扩大夜间作业的码头范围。</p><p class="em_media">（来源：厦门日报）</p>

<http://news.example.com/a/20260503/50001.html>

[返回航运新闻](/category/hangyun.html)｜[返回首页](/)
""",
    "2026-05-02-lng-bunkering.md": f"""---
layout: post
title: "首艘液化天然气加注船在厦门港完成首航"
date: 2026-05-02 14:00:00 +0800
categories: [hangyun, nengyuan]
tags: {TAG}
---
<p>首艘液化天然气加注船昨日在厦门港完成首航加注作业，单次加注量约五千立方米。</p>

<http://news.example.com/a/20260502/50002.html>

[返回首页](/)
""",
    "2026-05-01-cny-fixing.md": f"""---
layout: post
title: "人民币兑美元中间价小幅上调 报7.0188"
date: 2026-05-01 09:16:00 +0800
categories: jinrong
tags: {TAG}
---
<p>中国外汇交易中心数据显示，人民币对美元汇率中间价报7.0188，较前一交易日上调27个基点。</p>

<http://news.example.com/a/20260501/50003.html>

[返回首页](/)
""",
}


@dataclass
class Pressroom:
    """A running `pressroom serve`: its endpoints, buckets, and ways to act on it."""

    process: subprocess.Popen[bytes]
    site: str  # http://127.0.0.1:<port>, no trailing slash
    aws: str  # http://127.0.0.1:<aws port>
    site_port: int
    aws_port: int
    source_bucket: str
    site_bucket: str
    watch_dir: Path
    log: Path
    s3: Any = field(repr=False)
    last_status: dict[str, Any] = field(default_factory=dict, repr=False)

    # status -----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.site}/_pressroom/status", timeout=10) as response:
            return dict(json.loads(response.read().decode("utf-8")))

    def wait_idle(self, timeout: float = IDLE_TIMEOUT) -> float | None:
        """Seconds until the status endpoint says idle, or None if it did not within timeout
        (the last status is kept in `last_status`)."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            self.last_status = self.status()
            if self.last_status["idle"]:
                return time.monotonic() - started
            time.sleep(0.1)
        return None

    def assert_idle(self, timeout: float = IDLE_TIMEOUT) -> float:
        elapsed = self.wait_idle(timeout)
        assert elapsed is not None, (
            f"pressroom serve not idle within {timeout:.0f} s; last status: {self.last_status}"
        )
        return elapsed

    # source bucket ----------------------------------------------------------------------
    def upload(self, name: str, text: str) -> str:
        """PUT posts/<name> into the source bucket, wait until idle; the new version id."""
        response = self.s3.put_object(
            Bucket=self.source_bucket, Key=f"posts/{name}", Body=text.encode("utf-8")
        )
        self.assert_idle()
        return str(response["VersionId"])

    def delete(self, name: str) -> None:
        """DELETE posts/<name> from the source bucket, wait until idle."""
        self.s3.delete_object(Bucket=self.source_bucket, Key=f"posts/{name}")
        self.assert_idle()

    # site -------------------------------------------------------------------------------
    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        """GET a site path (already percent-encoded): status, headers, body text."""
        try:
            with urllib.request.urlopen(self.site + path, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode("utf-8")

    def wait_for(
        self, path: str, condition: Callable[[int, str], bool], timeout: float = 15.0
    ) -> float | None:
        """Seconds until GET `path` satisfies condition(status, body), or None after timeout."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            status, _, body = self.get(path)
            if condition(status, body):
                return time.monotonic() - started
            time.sleep(0.1)
        return None

    # CLI --------------------------------------------------------------------------------
    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """Run `pressroom <args>` from the repository root."""
        return subprocess.run(
            [sys.executable, "-m", "pressroom_dev.cli", *args],
            cwd=ROOT,
            env=local_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


_running: list[Pressroom] = []


def _start(posts: Path, watch: Path) -> Pressroom:
    site_port, aws_port = free_ports(2)
    SERVE_LOG.parent.mkdir(parents=True, exist_ok=True)
    with SERVE_LOG.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pressroom_dev.cli",
                "serve",
                "--posts",
                str(posts),
                "--watch",
                str(watch),
                "--port",
                str(site_port),
                "--aws-port",
                str(aws_port),
                "--host",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=local_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    site, aws = f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{aws_port}"
    s3 = boto3.client("s3", endpoint_url=aws, region_name=REGION, **CREDENTIALS)
    return Pressroom(process, site, aws, site_port, aws_port, "", "", watch, SERVE_LOG, s3)


def _wait_ready(server: Pressroom, expected_posts: int) -> None:
    """Until the start folder is uploaded and processed: the status endpoint answers before
    `--posts` is uploaded, so wait for the banner (printed after the upload), then for idle."""
    deadline = time.monotonic() + START_TIMEOUT
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"pressroom serve exited with {server.process.returncode}:\n{log_tail(server.log)}"
            )
        banner = "pressroom is running" in server.log.read_text(encoding="utf-8", errors="replace")
        try:
            status = server.status()
        except OSError:
            status = {}
        if banner and status.get("idle") and status.get("published") == expected_posts:
            server.source_bucket = status["buckets"]["source"]
            server.site_bucket = status["buckets"]["site"]
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"pressroom serve not ready and idle within {START_TIMEOUT:.0f} s; last status: {status}"
        f"\n{log_tail(server.log)}"
    )


def _stop(server: Pressroom) -> None:
    stop_process_group(server.process, STOP_TIMEOUT)


@pytest.fixture(scope="session")
def pressroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pressroom]:
    """`pressroom serve` with three posts, watching an empty folder; stopped at session end."""
    posts = tmp_path_factory.mktemp("posts")
    for name, text in START_POSTS.items():
        (posts / name).write_text(text, encoding="utf-8")
    watch = tmp_path_factory.mktemp("watch")
    server = _start(posts, watch)
    _running.append(server)
    try:
        _wait_ready(server, expected_posts=len(START_POSTS))
        yield server
    finally:
        _stop(server)
        _running.remove(server)


def output_folder(node_name: str) -> Path:
    return OUTPUT / re.sub(r"[^\w.-]+", "_", node_name).strip("_")


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """test-output/e2e/<test name>/, emptied."""
    folder = output_folder(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On failure: the tail of the server's log in the report, the whole log next to the
    test's other output."""
    report = yield
    if report.failed and _running:
        log = _running[-1].log
        report.sections.append((f"pressroom serve log (tail of {log})", log_tail(log)))
        if log.is_file():
            folder = output_folder(item.name)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, folder / "pressroom-serve.log")
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        yield page
    finally:
        context.close()
