"""`make bench`: every figure beside its reference from the same run, and where the time goes
when a goal is missed. No measure ever ends the run with a traceback: one that cannot run says
why on its row."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressroom_dev.bench import build, coldstart, render, stack, upload


@dataclass(frozen=True)
class Row:
    measure: str
    ours: str
    reference: str
    ratio: float | None
    goal: str
    met: bool | None  # None: no goal, or nothing to compare with


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)

    def add(self, row: Row, profile: Callable[[], str] | None = None) -> None:
        self.rows.append(row)
        if row.met is False and profile is not None:
            self.profiles[row.measure] = _safely(profile)


@dataclass(frozen=True)
class BenchSettings:
    build_posts: list[int]
    render_runs: int
    upload_posts: tuple[int, int]
    cold_start_rounds: int
    stack_posts: int
    cores: int
    sam_build: bool
    only: frozenset[str]
    work_dir: Path | None  # where builds write (None: .bench/ in the project)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> BenchSettings:
        def number(name: str, default: int, low: int = 1) -> int:
            text = environ.get(name, "").strip() or str(default)
            try:
                value = int(text.replace("_", ""))
            except ValueError:
                raise BenchError(f"{name}={text!r}: a whole number is needed") from None
            if value < low:
                raise BenchError(f"{name}={text!r}: at least {low}")
            return value

        posts = environ.get("BENCH_POSTS", "").strip() or "1000"
        try:
            build_posts = [int(part.replace("_", "")) for part in posts.split(",") if part.strip()]
        except ValueError:
            raise BenchError(f"BENCH_POSTS={posts!r}: numbers separated by commas") from None
        if not build_posts or min(build_posts) < 1:
            raise BenchError(f"BENCH_POSTS={posts!r}: at least one post")
        small = number("BENCH_UPLOAD_SMALL", 150, low=3)
        large = number("BENCH_UPLOAD_POSTS", 10_000, low=small)
        only = environ.get("BENCH_ONLY", "").strip()
        measures = frozenset(part.strip() for part in only.split(",") if part.strip())
        unknown = measures - set(MEASURES)
        if unknown:
            names = ", ".join(MEASURES)
            raise BenchError(f"BENCH_ONLY={only!r}: unknown {', '.join(sorted(unknown))} ({names})")
        return cls(
            build_posts=build_posts,
            render_runs=number("BENCH_RENDER_RUNS", 300),
            upload_posts=(small, large),
            cold_start_rounds=number("BENCH_COLD_START_ROUNDS", 5),
            stack_posts=number("BENCH_STACK_POSTS", 200),
            cores=number("BENCH_CORES", 2),
            sam_build=environ.get("BENCH_SAM_BUILD", "") not in ("", "0"),
            only=measures or frozenset(MEASURES),
            work_dir=Path(environ["BENCH_WORK_DIR"]) if environ.get("BENCH_WORK_DIR") else None,
        )

    def work(self, project: Path) -> tempfile.TemporaryDirectory[str]:
        """A folder for one measure's files, removed after it."""
        parent = self.work_dir or project / ".bench"
        parent.mkdir(parents=True, exist_ok=True)
        return tempfile.TemporaryDirectory(prefix="pressroom-bench-", dir=parent)


class BenchError(Exception):
    """A setting the bench cannot run with."""


def ratio(ours: float, reference: float) -> float | None:
    return ours / reference if reference > 0 else None


def _safely(work: Callable[[], str]) -> str:
    try:
        return work()
    except Exception as error:  # a profile that fails costs its section only
        return f"could not profile: {_reason(error)}"


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def _mb(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


def measure_builds(settings: BenchSettings, project: Path, report: Report) -> None:
    version = build.hugo_version()
    for posts in settings.build_posts:
        name = f"full build, {posts:,} posts, {settings.cores} cores"
        with settings.work(project) as work:
            found = build.measure_build(posts, Path(work), project, cores=settings.cores)
        ours = f"{found['seconds']:.2f} s, {_mb(found['peak_rss'])}"
        goal = "<= 1.0x Hugo, < 500 MB"
        if "hugo_seconds" not in found:
            report.add(Row(name, ours, "hugo not installed (make bench-deps)", None, goal, None))
            continue
        reference = f"{found['hugo_seconds']:.2f} s, {_mb(found['hugo_peak_rss'])} (Hugo {version})"
        times = ratio(found["seconds"], found["hugo_seconds"])
        met = times is not None and times <= 1.0 and found["peak_rss"] < 500 * 2**20

        def profile(posts: int = posts) -> str:
            with settings.work(project) as work:
                return build.build_profile(min(posts, 1000), Path(work), project)

        report.add(Row(name, ours, reference, times, goal, met), profile)


def measure_render(settings: BenchSettings, project: Path, report: Report) -> None:
    found = render.measure_render(project, runs=settings.render_runs)
    ours, theirs = found["seconds"], found["reference_seconds"]
    times = ratio(ours, theirs)
    row = Row(
        "parse + render of one post",
        f"{ours * 1e3:.3f} ms",
        f"{theirs * 1e3:.3f} ms (PyYAML C + markdown-it-py + Jinja2)",
        times,
        "<= 1.3x",
        times is not None and times <= 1.3,
    )
    report.add(row, lambda: render.render_profile(project))


def measure_cold_start(settings: BenchSettings, project: Path, report: Report) -> None:
    if settings.sam_build:
        coldstart.sam_build(project)
    found = coldstart.measure_cold_start(project, settings.cold_start_rounds)
    layer = found["layer"]
    assert isinstance(layer, coldstart.Layer)
    reference = found["reference"]
    assert isinstance(reference, dict)
    where = "built layer" if layer.built else "layers/core, not from sam build (make build)"
    for name, measured in found.items():
        if name in ("layer", "reference") or not isinstance(measured, dict):
            continue
        seconds = float(measured["seconds"])
        modules = measured["modules"]

        def slowest(modules: Any = modules) -> str:
            return "\n".join(
                f"{module.self_us / 1e3:8.1f} ms  {module.name}"
                for module in coldstart.slowest_modules(modules, 8)
            )

        row = Row(
            f"cold start: import {name} ({where})",
            f"{seconds * 1e3:.0f} ms",
            f"{float(reference['seconds']) * 1e3:.0f} ms (import boto3)",
            ratio(seconds, float(reference["seconds"])),
            "< 400 ms",
            seconds < 0.4,
        )
        report.add(row, slowest)


def measure_upload(settings: BenchSettings, project: Path, report: Report) -> None:
    small_posts, large_posts = settings.upload_posts
    found = upload.measure_upload(project, small_posts, large_posts)
    small, large = found["small"], found["large"]
    units = [
        ("AWS requests", "requests", "{:,.0f}"),
        ("DynamoDB bytes read", "dynamodb bytes read", "{:,.0f} B"),
        ("S3 objects written", "s3.PutObject", "{:,.0f}"),
        ("S3 bytes written", "s3 bytes written", "{:,.0f} B"),
        ("BuildIndexes time", "build indexes microseconds", "{:,.0f} us"),
    ]
    for label, unit, shown in units:
        times = ratio(large[unit], small[unit])
        row = Row(
            f"one upload, {label}: {large_posts:,} vs {small_posts:,} posts in its month",
            shown.format(large[unit]),
            shown.format(small[unit]),
            times,
            "<= 1.2x",
            times is not None and times <= 1.2,
        )
        report.add(row, lambda: str(found["profile"]))


def measure_stack(settings: BenchSettings, project: Path, report: Report) -> None:
    found = stack.measure_stack(project, settings.stack_posts)
    window = _batching_window(project)

    def where() -> str:
        lines = [f"{share:6.1f}  {name}" for name, share in found["requests_per_post"].items()]
        return "AWS requests per post during the burst, by operation:\n" + "\n".join(lines)

    rate = found["posts_per_second"]
    busy, idle = found["status_busy_seconds"], found["status_idle_seconds"]
    to_page, to_listing = found["to_page_seconds"], found["to_listing_seconds"]
    rows = [
        Row(
            f"local stack: burst of {found['posts']:,} uploads until idle",
            f"{rate:.1f} posts/s",
            "",
            None,
            ">= 50 posts/s",
            rate >= 50,
        ),
        Row(
            "local stack: status over HTTP, p50 while busy / idle",
            f"{busy * 1e3:.1f} / {idle * 1e3:.1f} ms",
            "",
            None,
            "< 20 ms",
            max(busy, idle) < 0.02,
        ),
        Row(
            "local stack: one upload to its post page",
            f"{to_page:.2f} s",
            "",
            None,
            "p50 < 0.3 s",
            to_page < 0.3,
        ),
        Row(
            "local stack: one upload to its category page",
            f"{to_listing:.2f} s",
            f"{window + 1:.0f} s (the stream's batching window + 1 s)",
            ratio(to_listing, window + 1),
            "<= 1.0x",
            to_listing <= window + 1,
        ),
    ]
    for row in rows:
        report.add(row, where)


def _batching_window(project: Path) -> float:
    """BuildIndexes' stream batching window, from template.yaml."""
    from pressroom_dev.stack import load_template

    function = load_template(project / "template.yaml")["Resources"]["BuildIndexesFunction"]
    for source in function["Properties"]["Events"].values():
        if source.get("Type") == "DynamoDB":
            return float(source["Properties"].get("MaximumBatchingWindowInSeconds", 0))
    return 0.0


MEASURES: dict[str, Callable[[BenchSettings, Path, Report], None]] = {
    "build": measure_builds,
    "render": measure_render,
    "coldstart": measure_cold_start,
    "upload": measure_upload,
    "stack": measure_stack,
}


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table, with a verdict column (met, MISSED or blank)."""
    header = ["measure", "pressroom", "reference", "ratio", "goal", ""]
    cells = [
        [
            row.measure,
            row.ours,
            row.reference,
            f"{row.ratio:.2f}x" if row.ratio is not None else "-",
            row.goal,
            {True: "met", False: "MISSED", None: ""}[row.met],
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    lines = [header, ["-" * width for width in widths], *cells]
    padded = ([cell.ljust(w) for cell, w in zip(line, widths, strict=True)] for line in lines)
    return "\n".join("| " + " | ".join(cells) + " |" for cells in padded)


def run(settings: BenchSettings, project: Path) -> Report:
    report = Report()
    for name, measure in MEASURES.items():
        if name not in settings.only:
            continue
        print(f"measuring {name} ...", file=sys.stderr, flush=True)
        try:
            measure(settings, project, report)
        except Exception as error:
            report.add(Row(name, f"could not run: {_reason(error)}", "", None, "", None))
    return report


def main(environ: Mapping[str, str] | None = None, project: Path | None = None) -> int:
    """Run the measures the environment asks for; 0 when every one ran, 1 when one could not
    (a missed goal is a figure, not a failure), 2 for a setting it cannot run with."""
    try:
        settings = BenchSettings.from_environ(os.environ if environ is None else environ)
    except BenchError as error:
        print(f"pressroom bench: {error}", file=sys.stderr)
        return 2
    report = run(settings, project or Path.cwd())
    print(table(report.rows))
    for measure, profile in report.profiles.items():
        print(f"\nwhere the time goes: {measure}\n{profile}")
    return 1 if any(row.ours.startswith("could not run") for row in report.rows) else 0
