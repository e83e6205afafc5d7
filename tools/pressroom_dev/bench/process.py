"""A command's wall time and the peak resident memory of its whole process tree."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class TreeRun:
    seconds: float
    peak_rss: int  # bytes: the largest sum of VmRSS over the process and its descendants
    returncode: int
    stdout: str
    stderr: str


def _parents() -> dict[int, int]:
    """pid → parent pid of every process (from /proc/<pid>/stat)."""
    found = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = (PROC / entry.name / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: fields follow the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        found[int(entry.name)] = int(fields[1])
    return found


def _rss(pid: int) -> int:
    """A process's proportional set size (Pss: pages shared with other processes, such as a
    forked worker's copy-on-write pages, counted as a share), else its VmRSS."""
    for name, field in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in (PROC / str(pid) / name).read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        except OSError:
            continue
    return 0


def tree_rss(root: int) -> int:
    """The memory of `root` and every process below it, in bytes (their Pss summed: shared
    pages once in all)."""
    parents = _parents()
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo.extend(children.get(pid, []))
    return total


def allowed_cores(cores: int) -> set[int]:
    """The first `cores` CPUs this process may run on (all of them when it has fewer)."""
    return set(sorted(os.sched_getaffinity(0))[:cores])


def run_tree(
    args: list[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    cores: int = 0,
) -> TreeRun:
    """Run `args` to its end, sampling the process tree's memory (`tree_rss`) every 50 ms, so a
    peak shorter than that can be missed. With `cores`, the tree runs on that many CPUs only."""
    pinned = allowed_cores(cores) if cores else None

    def pin() -> None:
        if pinned is not None:
            os.sched_setaffinity(0, pinned)

    started = time.perf_counter()
    process = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=pin if pinned is not None else None,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return TreeRun(seconds, peak, process.returncode, stdout, stderr)


def profile_text(profile: cProfile.Profile, top: int, sort: str = "cumulative") -> str:
    """The `top` functions of a profile as pstats prints them, from its column header on."""
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats(sort).print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[start:])
