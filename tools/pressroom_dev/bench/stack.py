"""The local stack as `pressroom serve` runs it: a burst of uploads until idle, the status
endpoint over HTTP, and how soon one upload's page and listing are in the site bucket."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import statistics
import time
import urllib.request
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import botocore.client

from pressroom.content import parse_post
from pressroom.render import SiteRenderer
from pressroom.urls import key_for_url
from pressroom_dev.serve import STATUS_PATH, LocalSystem, start_local_system

# How often the burst polls the status endpoint, as `pressroom status --wait` does.
POLL_SECONDS = 0.2
TIMEOUT_SECONDS = 600.0
# Uploads timed one by one to their post page, for the p50.
PAGE_SAMPLES = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def counted_requests() -> Iterator[Counter[str]]:
    """Every AWS request any client of this process makes meanwhile, by operation."""
    counts: Counter[str] = Counter()
    original = getattr(botocore.client.BaseClient, "_make_api_call")  # noqa: B009  (untyped)

    def counting(client: Any, operation: str, params: Any) -> Any:
        counts[f"{client.meta.service_model.service_name}.{operation}"] += 1
        return original(client, operation, params)

    setattr(botocore.client.BaseClient, "_make_api_call", counting)  # noqa: B010
    try:
        yield counts
    finally:
        setattr(botocore.client.BaseClient, "_make_api_call", original)  # noqa: B010


def post_text(number: int) -> bytes:
    day = 1 + number % 28
    return (
        f"---\ntitle: 本地快讯{number}\ndate: 2026-01-{day:02d} 09:00:00 +0800\n"
        f"categories: kuaixun{number % 7}\ntags: 本地\n---\n<p>正文 {number}</p>\n"
    ).encode()


def _timed_status(url: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read()
    return time.perf_counter() - started, json.loads(body)


def _until(check: Callable[[], bool], started: float) -> float:
    while not check():
        if time.monotonic() - started > TIMEOUT_SECONDS:
            raise RuntimeError("the local stack did not finish in time")
        time.sleep(0.01)
    return time.monotonic() - started


def _wait_idle(url: str) -> list[float]:
    """Poll the status endpoint until the stack is idle; each call's seconds."""
    started = time.monotonic()
    seconds: list[float] = []
    while True:
        took, report = _timed_status(url)
        seconds.append(took)
        if report.get("idle"):
            return seconds
        if time.monotonic() - started > TIMEOUT_SECONDS:
            raise RuntimeError("the local stack did not become idle in time")
        time.sleep(POLL_SECONDS)


def measure_stack(project: Path, posts: int) -> dict[str, Any]:
    """A burst of `posts` uploads into the running local stack: posts per second until idle,
    the status endpoint's p50 over HTTP while busy and idle, the requests per post by
    operation, and the seconds from one more upload to its page and to its category page."""
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        warnings.filterwarnings("ignore", "No application metrics to publish")
        return _measure_quietly(project, posts)


def _measure_quietly(project: Path, posts: int) -> dict[str, Any]:
    # The functions' log lines and metrics go to stdout, as on Lambda; the bench prints a table.
    system: LocalSystem = start_local_system(project, "127.0.0.1", _free_port(), _free_port())
    system.open_site()
    try:
        stack = system.stack
        source, site = stack.name("SourceBucket"), stack.name("SiteBucket")
        url = system.endpoints["site"] + STATUS_PATH.lstrip("/")
        _wait_idle(url)
        with counted_requests() as counts:
            started = time.monotonic()
            for number in range(posts):
                key = f"posts/2026-01-{1 + number % 28:02d}-burst-{number}.md"
                stack.s3.put_object(Bucket=source, Key=key, Body=post_text(number))
            busy = _wait_idle(url)
            burst_seconds = time.monotonic() - started
        idle = [_timed_status(url)[0] for _ in range(20)]
        renderer = SiteRenderer.from_directory(project / "templates")

        def has(object_key: str, words: str = "") -> bool:
            try:
                body = stack.s3.get_object(Bucket=site, Key=object_key)["Body"].read()
            except stack.s3.exceptions.NoSuchKey:
                return False
            return words.encode() in body

        to_pages: list[float] = []
        for number in range(posts, posts + PAGE_SAMPLES):
            key, text = f"posts/2026-01-29-one-more-{number}.md", post_text(number)
            post = parse_post(key, text, renderer.config, renderer.post_layouts)
            page = key_for_url(post.url)
            listing = key_for_url(renderer.urls.landing("category", post.categories[0].slug))
            started = time.monotonic()
            stack.s3.put_object(Bucket=source, Key=key, Body=text)
            to_pages.append(_until(functools.partial(has, page), started))
        # The last one's listing: its batch waits out the stream's window.
        title = post.title
        to_listing = _until(lambda: has(listing, title), started)
        _wait_idle(url)
    finally:
        system.stop()
    return {
        "posts": posts,
        "posts_per_second": posts / burst_seconds,
        "status_busy_seconds": statistics.median(busy),
        "status_idle_seconds": statistics.median(idle),
        "requests_per_post": {name: count / posts for name, count in counts.most_common()},
        "to_page_seconds": statistics.median(to_pages),
        "to_listing_seconds": to_listing,
    }
