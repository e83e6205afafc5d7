"""A soak through the local stack: 1,000 operations from 8 concurrent writers through
`pressroom serve`, then no lost post, no broken generated link, and the site byte for byte what
`pressroom build` makes of the final source bucket.

Collected only with PRESSROOM_SOAK=1 (`make soak`). The operations are drawn from a seeded
random.Random (printed; PRESSROOM_SOAK_SEED=<n> replays a seed's choices, though not the
writers' interleaving). Every operation, with the text it uploaded, goes to
test-output/soak/operations.jsonl, and the server's output to test-output/soak/pressroom-serve.log.

PRESSROOM_SOAK_OPERATIONS (default 1000) and PRESSROOM_SOAK_WRITERS (default 8) make a shorter or
longer soak. While it waits for idle it prints progress every 30 s, and it stops early if the
server grows past PRESSROOM_SOAK_MAX_RSS_MB (default 8192), so a leak cannot exhaust the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

import boto3
import pytest

from pressroom.urls import key_for_url, slugify
from pressroom_dev.cli import broken_generated_links
from pressroom_dev.folder import build_site
from support import processes
from support.processes import free_ports, local_environment, stop_process_group

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "soak"
SERVE_LOG = OUTPUT / "pressroom-serve.log"
OPERATIONS_LOG = OUTPUT / "operations.jsonl"
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

WRITERS = int(os.environ.get("PRESSROOM_SOAK_WRITERS") or 8)
OPERATIONS = int(os.environ.get("PRESSROOM_SOAK_OPERATIONS") or 1000)
MAX_RSS_MB = int(os.environ.get("PRESSROOM_SOAK_MAX_RSS_MB") or 8192)
POOL_SIZE = 150
START_TIMEOUT = 60.0
IDLE_TIMEOUT = 1800.0
STOP_TIMEOUT = 10.0
PROGRESS_SECONDS = 30.0

TITLES = [
    "厦门港集装箱吞吐量突破1300万标箱",
    "地铁6号线开通运营 早高峰客流平稳",
    "人民币兑美元中间价上调 报7.0188",
    "银行年报: 净利润同比增长8.2%",
    "财联社快讯 A股三大指数集体高开",
    "「新能源」汽车出口创新高",
    "港口&物流 'Belt and Road' 新航线开通",
    "证券时报 北向资金净流入<50亿>",
]
# Case variants (one category, two spellings), a space-separated pair and a YAML list.
CATEGORIES = [
    "xiamenribao",
    "cailianshe",
    "CaiLianShe",
    "CaiLianShe kuaixun",
    "[zhengquanshibao, shichang]",
    "shichang",
    "",
]
TAGS = ["厦门日报新闻", "财联社新闻", "快讯 市场", "[厦门日报新闻, 快讯]", ""]
OFFSETS = ["+0800", "+0800", "+0000", "-0500", "+0930"]
# A few posts set one of a small pool of permalinks, so files contest a URL: the one dated
# earlier keeps it, the others wait (and a rename keeps the URL under the new name).
SHARED_PERMALINKS = [f"/special/{n}.html" for n in range(5)]


def pool_names() -> list[str]:
    """File names shared by every writer, each with its own slug (so its own URL). Most carry
    a date prefix (their date may come from it); every tenth is a Chinese name without one."""
    names = []
    for i in range(POOL_SIZE):
        if i % 10 == 0:
            names.append(f"港口快讯-{i:03d}.md")
        else:
            month, day = 1 + i % 4, 1 + (i * 7) % 28
            names.append(f"2026-{month:02d}-{day:02d}-soak-{i:03d}.md")
    return names


NAMES = pool_names()


@dataclass(frozen=True)
class Variant:
    title: str
    date: str | None
    categories: str
    tags: str
    published: bool
    permalink: str | None = None


def random_date(rng: random.Random, name: str) -> str | None:
    """A date in 2026-01..2026-04, written every way the format allows (or left to the name)."""
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(120))
    clock = f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
    offset = rng.choice(OFFSETS)
    forms = ["offset", "offset", "naive", "iso", "utc", "bare"]
    if name[:1].isdigit():
        forms.append("from the name")
    form = rng.choice(forms)
    if form == "offset":
        return f"{day} {clock} {offset}"
    if form == "naive":
        return f"{day} {clock}"
    if form == "iso":
        return f"{day}T{clock}{offset[:3]}:{offset[3:]}"
    if form == "utc":
        return f"{day}T{clock}Z"
    if form == "bare":
        return str(day)
    return None


def random_variant(rng: random.Random, name: str) -> Variant:
    return Variant(
        title=f"{rng.choice(TITLES)} {rng.randrange(10_000)}",
        date=random_date(rng, name),
        categories=rng.choice(CATEGORIES),
        tags=rng.choice(TAGS),
        published=rng.random() >= 0.1,
        permalink=rng.choice(SHARED_PERMALINKS) if rng.random() < 0.08 else None,
    )


def first_category(categories: str) -> str | None:
    values = categories.strip("[]").split(",") if categories.startswith("[") else categories.split()
    values = [value.strip() for value in values if value.strip()]
    return values[0] if values else None


def post_text(variant: Variant) -> str:
    lines = ["---", "layout: post", f'title: "{variant.title}"']
    if variant.date:
        lines.append(f"date: {variant.date}")
    if variant.categories:
        lines.append(f"categories: {variant.categories}")
    if variant.tags:
        lines.append(f"tags: {variant.tags}")
    if not variant.published:
        lines.append("published: false")
    if variant.permalink:
        lines.append(f"permalink: {variant.permalink}")
    links = ["[返回首页](/)"]
    category = first_category(variant.categories)
    if category:
        links.insert(0, f"[返回栏目](/category/{slugify(category)}.html)")
    return "\n".join(
        [
            *lines,
            "---",
            f"<p>{escape(variant.title)}。记者从有关部门获悉，相关工作正在推进。</p>",
            "",
            "<http://news.example.com/a/20260106/10001.html>",
            "",
            "｜".join(links),
            "",
        ]
    )


@dataclass
class Operation:
    writer: int
    number: int
    kind: str  # upload, delete, retitle, rename
    name: str
    started: float
    ended: float
    text: str | None = None


def writer_loop(
    writer: int,
    count: int,
    rng: random.Random,
    s3: Any,
    bucket: str,
    start: threading.Barrier,
    origin: float,
) -> list[Operation]:
    """One writer's `count` operations: ~65 % uploads, ~17 % deletes, ~8 % renames by copy and
    delete in either order (`aws s3 mv`, of whatever the key holds then), ~10 % title-only
    re-uploads (of a version this writer uploaded; other writers may have changed the key since)."""
    mine: dict[str, Variant] = {}
    done: list[Operation] = []
    start.wait()
    for number in range(count):
        roll = rng.random()
        name = rng.choice(NAMES)
        text: str | None = None
        if roll < 0.65 or (roll >= 0.9 and not mine):
            kind, variant = "upload", random_variant(rng, name)
        elif roll < 0.82:
            kind, variant = "delete", None
        elif roll < 0.9:
            kind, variant = "rename", None
        else:
            name = rng.choice(sorted(mine))
            kind = "retitle"
            variant = replace(mine[name], title=f"{rng.choice(TITLES)} {rng.randrange(10_000)}")
        key = f"posts/{name}"
        started = time.monotonic()
        if kind == "rename":
            target = f"posts/{rng.choice(NAMES)}"
            text = f"to {target}"
            with contextlib.suppress(s3.exceptions.ClientError):  # the key is gone meanwhile
                version = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
                copy = {"Bucket": bucket, "Key": key, "VersionId": version}
                if rng.random() < 0.5:
                    s3.copy_object(Bucket=bucket, Key=target, CopySource=copy)
                    s3.delete_object(Bucket=bucket, Key=key)
                else:
                    s3.delete_object(Bucket=bucket, Key=key)
                    s3.copy_object(Bucket=bucket, Key=target, CopySource=copy)
            mine.pop(name, None)
            mine.pop(target.removeprefix("posts/"), None)
        elif variant is None:
            s3.delete_object(Bucket=bucket, Key=key)
            mine.pop(name, None)
        else:
            text = post_text(variant)
            s3.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
            mine[name] = variant
        ended = time.monotonic()
        done.append(Operation(writer, number, kind, name, started - origin, ended - origin, text))
    return done


# the server --------------------------------------------------------------------------------


def log_tail(lines: int = 60) -> str:
    return processes.log_tail(SERVE_LOG, lines)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    site: str
    aws: str
    source_bucket: str = ""
    site_bucket: str = ""

    def status(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.site}/_pressroom/status", timeout=30) as response:
            return dict(json.loads(response.read().decode("utf-8")))

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.site + path, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def rss_mb(self) -> int:
        """Resident memory of the server's process group, in MiB (0 once it has exited)."""
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.process.pid:
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        return total >> 20

    def s3(self) -> Any:
        session = boto3.session.Session()  # one per client: clients go to different threads
        return session.client("s3", endpoint_url=self.aws, region_name=REGION, **CREDENTIALS)


@pytest.fixture
def server() -> Iterator[Server]:
    """`pressroom serve` with no posts, on free ports; its process group stopped afterwards."""
    site_port, aws_port = free_ports(2)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with SERVE_LOG.open("wb") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "pressroom_dev.cli", "serve"),
                *("--port", str(site_port), "--aws-port", str(aws_port), "--host", "127.0.0.1"),
            ],
            cwd=ROOT,
            env=local_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(process, f"http://127.0.0.1:{site_port}", f"http://127.0.0.1:{aws_port}")
    try:
        deadline = time.monotonic() + START_TIMEOUT
        status: dict[str, Any] = {}
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"pressroom serve exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"pressroom serve not idle in {START_TIMEOUT:.0f} s: {status}")
            banner = "pressroom is running" in SERVE_LOG.read_text(errors="replace")
            try:
                status = running.status()
            except OSError:
                status = {}
            if banner and status.get("idle"):
                running.source_bucket = status["buckets"]["source"]
                running.site_bucket = status["buckets"]["site"]
                break
            time.sleep(0.2)
        yield running
    finally:
        stop_process_group(process, STOP_TIMEOUT)


# the checks --------------------------------------------------------------------------------


def bucket_objects(s3: Any, bucket: str, prefix: str = "") -> dict[str, bytes]:
    """The current objects of a bucket (a versioned bucket's deleted keys are left out)."""
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
    ]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    lines = []
    for key in sorted(expected.keys() | actual.keys()):
        if key not in actual:
            lines.append(f"{key}: missing from the site bucket")
        elif key not in expected:
            lines.append(f"{key}: in the site bucket, not in the full build")
        elif expected[key] != actual[key]:
            lines.append(f"{key}: differs")
    return lines


def latencies(operations: list[Operation]) -> str:
    rows = []
    for kind in ("upload", "delete", "retitle"):
        times = sorted(1000 * (op.ended - op.started) for op in operations if op.kind == kind)
        if times:
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            rows.append(
                f"  {kind:8} {len(times):4d} ops  median {statistics.median(times):6.1f} ms"
                f"  p95 {p95:6.1f} ms  max {times[-1]:6.1f} ms"
            )
    return "\n".join(rows)


def test_soak(server: Server, tmp_path: Path) -> None:
    seed = int(os.environ.get("PRESSROOM_SOAK_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nsoak seed {seed} (PRESSROOM_SOAK_SEED={seed} replays its operations)")
    master = random.Random(seed)
    rngs = [random.Random(master.getrandbits(64)) for _ in range(WRITERS)]
    counts = [OPERATIONS // WRITERS + (w < OPERATIONS % WRITERS) for w in range(WRITERS)]
    clients = [server.s3() for _ in range(WRITERS)]
    start = threading.Barrier(WRITERS + 1)

    # write phase ----------------------------------------------------------------------------
    origin = time.monotonic()
    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [
            pool.submit(
                writer_loop, w, counts[w], rngs[w], clients[w], server.source_bucket, start, origin
            )
            for w in range(WRITERS)
        ]
        start.wait()
        began = time.monotonic()
        operations = [op for future in futures for op in future.result()]
    write_seconds = max(op.ended for op in operations) - (began - origin)
    written = time.monotonic()
    operations.sort(key=lambda op: op.started)
    with OPERATIONS_LOG.open("w", encoding="utf-8") as log:
        log.write(json.dumps({"seed": seed, "writers": WRITERS}) + "\n")
        for op in operations:
            log.write(json.dumps(asdict(op), ensure_ascii=False) + "\n")
    kinds = {
        kind: sum(op.kind == kind for op in operations)
        for kind in ("upload", "delete", "rename", "retitle")
    }
    print(
        f"write phase: {len(operations)} operations from {WRITERS} writers in "
        f"{write_seconds:.1f} s = {len(operations) / write_seconds:.1f} ops/s ({kinds})"
    )
    print(latencies(operations))

    # wait for idle ------------------------------------------------------------------------
    status: dict[str, Any] = {}
    progress = written
    while time.monotonic() - written < IDLE_TIMEOUT:
        status = server.status()
        if status["idle"]:
            break
        rss = server.rss_mb()
        if time.monotonic() - progress >= PROGRESS_SECONDS:
            progress = time.monotonic()
            print(
                f"  {progress - written:5.0f} s: queue {status['queue']}, stream lag "
                f"{status['stream']['lag']}, published {status['published']}, "
                f"invocations {status['invocations']}, server RSS {rss} MiB"
            )
        assert rss <= MAX_RSS_MB, (
            f"the server grew to {rss} MiB (> {MAX_RSS_MB}) {time.monotonic() - written:.0f} s "
            f"after the writes, not idle (seed {seed}); last status: "
            f"{json.dumps(status, ensure_ascii=False)}"
        )
        time.sleep(1.0)  # a status report scans the table: do not starve the pump
    to_idle = time.monotonic() - written
    assert status.get("idle"), (
        f"not idle {IDLE_TIMEOUT:.0f} s after the writes (seed {seed}); last status: "
        f"{json.dumps(status, ensure_ascii=False)}\n{log_tail()}"
    )
    print(f"idle {to_idle:.1f} s after the last write")

    # the final state ----------------------------------------------------------------------
    s3 = server.s3()
    sources = bucket_objects(s3, server.source_bucket, "posts/")
    site = bucket_objects(s3, server.site_bucket)
    downloaded = tmp_path / "site"
    for key, body in site.items():
        (downloaded / key).parent.mkdir(parents=True, exist_ok=True)
        (downloaded / key).write_bytes(body)
    built = tmp_path / "build"
    report = build_site(sorted(sources.items()), ROOT / "templates", built, jobs=0)
    expected = files_under(built)
    live = {key for key, body in sources.items() if b"\npublished: false\n" not in body}
    urls = {record.source_key: record.url for record in report.published}
    waiting = {record.source_key for record in report.waiting}

    problems: list[str] = []
    queue = status["queue"]
    if queue["dead_letters"] or queue["failed_index_batches"]:
        problems.append(f"status at idle: {queue}")
    if status["rejected"]:
        problems.append(f"rejected posts: {json.dumps(status['rejected'], ensure_ascii=False)}")
    if report.rejected:
        problems.append(f"the full build rejected: {[r.message for r in report.rejected]}")

    # (1) zero lost posts: each published file is online or waits for a URL a post dated
    # earlier keeps, as in the full build
    shown = urls.keys() | waiting
    lost = sorted(live - shown) + sorted(shown - live)
    problems += [f"{key}: live in the source bucket xor in the full build" for key in lost]
    pipeline_waiting = {item["source_key"] for item in status.get("waiting", [])}
    if pipeline_waiting != waiting:
        problems.append(
            f"waiting: {sorted(pipeline_waiting)} in the pipeline, {sorted(waiting)} in the build"
        )
    for key, url in sorted(urls.items()):
        if key_for_url(url) not in site:
            problems.append(f"lost post: {key} has no page at {url}")
            continue
        code, body = server.get(urllib.parse.quote(url))
        if code != 200 or body != site[key_for_url(url)]:
            problems.append(f"lost post: GET {url} answered {code}")
    if not status["published"] == len(live) - len(waiting) == len(urls):
        problems.append(
            f"published counts: status {status['published']}, source bucket {len(live)} "
            f"of which {len(waiting)} wait, full build {len(urls)}"
        )

    # (2) zero broken links
    broken = list(broken_generated_links(downloaded))
    problems += [f"broken link: {page} -> {link}" for page, link in broken]

    # (3) convergence to `pressroom build`
    diff = differences(expected, site)
    problems += [f"not converged: {line}" for line in diff]

    after = server.status()
    if not after["idle"] or after["invocations"] != status["invocations"]:
        problems.append(
            f"work after idle: invocations {status['invocations']} at idle, "
            f"{after['invocations']} after the checks (idle now: {after['idle']})"
        )

    print(
        "\n".join(
            [
                "soak report",
                f"  seed:            {seed}",
                f"  operations:      {len(operations)} ({kinds})",
                f"  writers:         {WRITERS}",
                f"  write phase:     {write_seconds:.1f} s, "
                f"{len(operations) / write_seconds:.1f} ops/s",
                f"  time to idle:    {to_idle:.1f} s",
                f"  server RSS:      {server.rss_mb()} MiB",
                f"  source objects:  {len(sources)}",
                f"  posts live:      {len(live)} ({len(waiting)} waiting for a URL)",
                f"  pages:           {len(site)} in the site bucket, {len(expected)} built",
                f"  invocations:     {status['invocations']}",
                f"  failed invocations: {status['failed_invocations']}",
                f"  broken links:    {len(broken)}",
                f"  differing pages: {len(diff)}",
            ]
        )
    )
    assert not problems, (
        f"soak failed (seed {seed}; operations in {OPERATIONS_LOG}):\n"
        + "\n".join(problems)
        + f"\n{log_tail()}"
    )
