"""`make bench` end to end at small sizes: every measure runs and gives a figure beside its
reference, and a missed goal comes with where the time goes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pressroom_dev.bench.build import hugo_path

ROOT = Path(__file__).resolve().parents[2]


def test_the_bench_prints_every_measure_beside_its_reference() -> None:
    # Given the smallest sizes each measure takes
    environ = {
        **os.environ,
        "BENCH_POSTS": "20",
        "BENCH_RENDER_RUNS": "5",
        "BENCH_COLD_START_ROUNDS": "1",
        "BENCH_UPLOAD_SMALL": "3",
        "BENCH_UPLOAD_POSTS": "30",
        "BENCH_STACK_POSTS": "5",
    }
    # When the bench runs as `make bench` runs it
    command = [sys.executable, "-m", "pressroom_dev.bench"]
    done = subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True)
    # Then it ends well, with no traceback, and a row for each measure with its figures
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    rows = {
        cells[0]: cells[1:]
        for line in done.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| -")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    build = rows["full build, 20 posts, 2 cores"]
    assert re.fullmatch(r"\d+\.\d\d s, \d+ MB", build[0])
    if hugo_path() is not None:
        assert re.fullmatch(r"\d+\.\d\d s, \d+ MB \(Hugo v[\d.]+\)", build[1])
        assert re.fullmatch(r"\d+\.\d\dx", build[2])
    else:
        assert build[1].startswith("hugo not installed")
    assert re.fullmatch(r"\d+\.\d{3} ms", rows["parse + render of one post"][0])
    handlers = [name for name in rows if name.startswith("cold start: import ")]
    assert {name.split()[3] for name in handlers} == {"build_indexes", "rebuild", "render_post"}
    assert all(re.fullmatch(r"\d+ ms", rows[name][0]) for name in handlers)
    uploads = [name for name in rows if name.startswith("one upload, ")]
    assert len(uploads) == 5
    assert all(re.fullmatch(r"[\d,]+( B| us)?", rows[name][0]) for name in uploads)
    stack = {name.removeprefix("local stack: "): cells for name, cells in rows.items()}
    assert re.fullmatch(r"\d+\.\d posts/s", stack["burst of 5 uploads until idle"][0])
    status = stack["status over HTTP, p50 while busy / idle"]
    assert re.fullmatch(r"\d+\.\d / \d+\.\d ms", status[0])
    assert re.fullmatch(r"\d+\.\d\d s", stack["one upload to its post page"][0])
    listing = stack["one upload to its category page"]
    assert re.fullmatch(r"\d+\.\d\d s", listing[0]) and listing[1].startswith("6 s")
    # And each missed goal is followed by its profile
    for name, cells in rows.items():
        if cells[-1] == "MISSED":
            assert f"where the time goes: {name}\n" in done.stdout
