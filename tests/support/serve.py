"""A running `pressroom serve` (the e2e tier): start it as a real process, wait until it has
published its start posts, drive it over HTTP, boto3 and the CLI, stop it; and the folders the
tier leaves its output in (the server's log, screenshots)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from support.aws import CREDENTIALS, REGION
from support.paths import ROOT, TEST_OUTPUT
from support.processes import free_ports, local_environment, log_tail, stop_process_group

OUTPUT = TEST_OUTPUT / "e2e"
SERVE_LOG = OUTPUT / "pressroom-serve.log"
START_TIMEOUT = 60.0
IDLE_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


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


def start(posts: Path, watch: Path) -> Pressroom:
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


def wait_ready(server: Pressroom, expected_posts: int) -> None:
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


def stop(server: Pressroom) -> None:
    stop_process_group(server.process, STOP_TIMEOUT)


def output_folder(node_name: str) -> Path:
    return OUTPUT / re.sub(r"[^\w.-]+", "_", node_name).strip("_")
