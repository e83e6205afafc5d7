"""Full folder builds: `pressroom build` against Hugo on the same generated corpus."""

from __future__ import annotations

import cProfile
import os
import shutil
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pressroom_dev.bench import corpus
from pressroom_dev.bench.process import TreeRun, profile_text, run_tree

HUGO = "hugo"


def hugo_path() -> str | None:
    return shutil.which(HUGO)


def hugo_version() -> str:
    found = hugo_path()
    if found is None:
        return ""
    run = run_tree([found, "version"])
    return run.stdout.split("+")[0].split()[-1] if run.returncode == 0 else ""


def _checked(run: TreeRun, what: str) -> TreeRun:
    if run.returncode != 0:
        raise RuntimeError(f"{what} failed ({run.returncode}): {run.stderr.strip()[-400:]}")
    return run


def measure_build(
    posts: int, work: Path, project: Path, runs: int = 0, cores: int = 2
) -> dict[str, Any]:
    """Wall time and peak RSS of `pressroom build` and of `hugo` on `posts` generated posts
    (median of `runs`, default 3 at up to 2,000 posts and 1 above; peak RSS the largest run's),
    each on `cores` CPUs: pressroom with as many workers, Hugo with GOMAXPROCS set to it."""
    runs = runs or (3 if posts <= 2000 else 1)
    hugo_env = {**os.environ, "GOMAXPROCS": str(cores)}
    made = corpus.generate(posts)
    sources = corpus.write_jekyll(made, work / "_posts")
    hugo_site = corpus.write_hugo(made, work / "hugo")
    pressroom = [Path(sys.executable).with_name("pressroom")]
    result: dict[str, Any] = {"posts": posts, "runs": runs}
    ours: list[TreeRun] = []
    theirs: list[TreeRun] = []
    hugo = hugo_path()
    for _ in range(runs):
        out = work / "site"
        command = [str(pressroom[0]), "build", str(sources), "--out", str(out), "--jobs"]
        command += [str(cores), "--project", str(project)]
        ours.append(_checked(run_tree(command, cores=cores), "pressroom build"))
        result["pages"] = sum(1 for path in out.rglob("*") if path.is_file())
        shutil.rmtree(out)
        if hugo is not None:
            hugo_out = work / "hugo-out"
            command = [hugo, "--quiet", "-d", str(hugo_out)]
            hugo_run = run_tree(command, cwd=hugo_site, env=hugo_env, cores=cores)
            theirs.append(_checked(hugo_run, "hugo"))
            result["hugo_pages"] = sum(1 for path in hugo_out.rglob("*") if path.is_file())
            shutil.rmtree(hugo_out)
    result["seconds"] = statistics.median(run.seconds for run in ours)
    result["peak_rss"] = max(run.peak_rss for run in ours)
    if theirs:
        result["hugo_seconds"] = statistics.median(run.seconds for run in theirs)
        result["hugo_peak_rss"] = max(run.peak_rss for run in theirs)
    shutil.rmtree(work / "_posts")
    shutil.rmtree(work / "hugo")
    return result


def build_profile(posts: int, work: Path, project: Path, top: int = 12) -> str:
    """Where a one-process build of `posts` posts spends its time: the functions of most
    cumulative time under cProfile (the worker pool off, so that every call is seen)."""
    from pressroom_dev.folder import build_site

    made = corpus.generate(posts)
    sources = [("posts/" + post.file_name, post.jekyll()) for post in made]
    profile = cProfile.Profile()
    profile.enable()
    build_site(sources, project / "templates", work / "profiled", jobs=1, now=datetime.now(UTC))
    profile.disable()
    shutil.rmtree(work / "profiled", ignore_errors=True)
    return profile_text(profile, top)
