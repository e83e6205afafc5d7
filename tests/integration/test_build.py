"""`pressroom build` is the oracle: the same pages, byte for byte, as the pipeline on moto."""

from __future__ import annotations

import os
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressroom_dev.cli import main
from pressroom_dev.folder import build_site, source_files, source_times
from support.harness import Harness
from support.paths import CORPUS, ROOT
from support.posts import PostFactory

NAME = "2026-03-20-café.md"
NFC, NFD = unicodedata.normalize("NFC", NAME), unicodedata.normalize("NFD", NAME)
PAGE = unicodedata.normalize("NFC", "xiamenribao/2026/03/20/café.html")


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def assert_same_site(built: Path, pipeline: Path) -> None:
    left, right = files(built), files(pipeline)
    differences = [
        f"{key}: " + ("only in pipeline" if key not in left else "only in build")
        if key not in left or key not in right
        else f"{key}: differs"
        for key in sorted(left.keys() | right.keys())
        if left.get(key) != right.get(key)
    ]
    assert not differences, "\n".join(differences)


@pytest.mark.parametrize(
    "posts",
    [
        ROOT / "examples" / "posts",
        pytest.param(CORPUS, marks=pytest.mark.skipif(not CORPUS.is_dir(), reason="no corpus")),
    ],
    ids=["examples", "corpus"],
)
def test_a_full_build_equals_the_pipeline_byte_for_byte(posts: Path, tmp_path: Path) -> None:
    # Given the same folder of posts
    # When it is built whole, and published one upload at a time through the pipeline on moto
    assert (
        main(["build", str(posts), "--out", str(tmp_path / "built"), "--project", str(ROOT)]) == 0
    )
    assert (
        main(["demo", "--posts", str(posts), "--out", str(tmp_path / "pipeline"), "--no-serve"])
        == 0
    )
    # Then both sites hold the same files with the same bytes
    assert_same_site(tmp_path / "built", tmp_path / "pipeline")


def test_build_uses_worker_processes_and_reports_rejections(tmp_path: Path) -> None:
    # Given the examples plus one broken file
    src = tmp_path / "posts"
    src.mkdir()
    for _, path in source_files(ROOT / "examples" / "posts"):
        (src / path.name).write_bytes(path.read_bytes())
    (src / "2026-03-30-broken.md").write_text("---\ntitle: \n---\nbody\n", encoding="utf-8")
    sources = [(key, path.read_bytes()) for key, path in source_files(src)]
    # When it is built with two worker processes and with one
    parallel = build_site(sources, ROOT / "templates", tmp_path / "parallel", jobs=2)
    serial = build_site(sources, ROOT / "templates", tmp_path / "serial", jobs=1)
    # Then both agree, and the broken file is reported with its reason
    assert files(tmp_path / "parallel") == files(tmp_path / "serial")
    assert len(parallel.published) == len(serial.published) == 12
    assert [r.source_key for r in parallel.rejected] == ["posts/2026-03-30-broken.md"]
    assert "title" in parallel.rejected[0].message


def test_build_leaves_out_posts_dated_in_the_future(tmp_path: Path) -> None:
    sources = [(key, path.read_bytes()) for key, path in source_files(ROOT / "examples" / "posts")]
    # Given "now" between the examples' first and last dates
    report = build_site(
        sources, ROOT / "templates", tmp_path, jobs=1, now=datetime(2026, 2, 1, tzinfo=UTC)
    )
    # Then only the January posts are built; the rest wait for their date
    assert len(report.published) == 4 and len(report.scheduled) == 8
    assert not list(tmp_path.glob("category/*/2026-02.html"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_contested_url_shows_the_post_that_keeps_it_whichever_is_rendered_last(
    tmp_path: Path, post_text: PostFactory, jobs: int
) -> None:
    # Given two files claiming one permalink, the one rendered last (the later key) dated later
    permalink = "permalink: /special/port.html"
    earlier = post_text(title="先到", date="2026-03-01 09:00:00 +0800", extra=permalink)
    later = post_text(title="后到", date="2026-03-02 09:00:00 +0800", extra=permalink)
    fillers = [(f"posts/2026-03-1{n}-f{n}.md", post_text(f"填{n}").encode()) for n in range(6)]
    sources = [("posts/2026-03-01-a.md", earlier.encode()), *fillers]
    sources.append(("posts/2026-03-02-z.md", later.encode()))
    # When the folder is built
    report = build_site(sources, ROOT / "templates", tmp_path, jobs=jobs)
    # Then the page at the URL is the earlier post's, and the later one waits
    page = (tmp_path / "special" / "port.html").read_text(encoding="utf-8")
    assert "先到" in page and "后到" not in page
    assert [record.source_key for record in report.waiting] == ["posts/2026-03-02-z.md"]


def write_site(local: Harness, folder: Path) -> None:
    """The pipeline's site bucket, as files under `folder`."""
    for key, body in local.site().items():
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


def folder_with_both_spellings(
    root: Path, post_text: PostFactory, nfd_later_by: int
) -> tuple[Path, str, str]:
    """A posts folder holding café.md as NFC (title 第一版) and as NFD (title 第二版), the NFD
    file's mtime `nfd_later_by` seconds after the NFC one's."""
    src = root / "posts"
    src.mkdir()
    first, second = post_text(title="第一版"), post_text(title="第二版")
    (src / NFC).write_text(first, encoding="utf-8")
    (src / NFD).write_text(second, encoding="utf-8")
    os.utime(src / NFC, (1_780_000_000, 1_780_000_000))
    os.utime(src / NFD, (1_780_000_000 + nfd_later_by, 1_780_000_000 + nfd_later_by))
    return src, first, second


@pytest.mark.parametrize(("nfd_later_by", "live"), [(1, "第二版"), (0, "第一版"), (-1, "第一版")])
def test_a_folder_build_merges_two_spellings_of_a_name_as_the_pipeline_does(
    local: Harness, post_text: PostFactory, tmp_path: Path, nfd_later_by: int, live: str
) -> None:
    # Given café.md as NFC and as NFD in one folder, the NFD file modified later, at the same
    # second, or earlier
    src, first, second = folder_with_both_spellings(tmp_path, post_text, nfd_later_by)
    files_ = list(source_files(src))
    sources = [(key, path.read_bytes()) for key, path in files_]
    # When the folder is built, and the same two files are uploaded to the pipeline on moto
    # with the same order of LastModified
    report = build_site(
        sources, ROOT / "templates", tmp_path / "built", jobs=1, modified=source_times(files_)
    )
    older, newer = (NFC, first), (NFD, second)
    if nfd_later_by < 0:
        older, newer = (NFD, second), (NFC, first)
    assert local.s3_clock is not None
    local.s3_clock.hold()  # "the same second" must not straddle a second of the real clock
    local.upload(*older)
    local.drain()
    if nfd_later_by:
        local.upload_a_second_later(*newer)
    else:
        local.upload(*newer)
    local.drain()
    # Then the build publishes one post under the NFC key, from the spelling modified last
    # (within one second, NFC), with the pipeline's warning naming both spellings
    assert [record.source_key for record in report.published] == [f"posts/{NFC}"]
    page = (tmp_path / "built" / PAGE).read_text(encoding="utf-8")
    assert live in page and ({"第一版", "第二版"} - {live}).pop() not in page
    record = local.state(NFC).record
    assert record is not None
    assert report.warnings[f"posts/{NFC}"] == list(record.warnings)
    assert "one file name written with different Unicode code points" in record.warnings[0]
    # And the site is the pipeline's, byte for byte
    write_site(local, tmp_path / "pipeline")
    assert_same_site(tmp_path / "built", tmp_path / "pipeline")


def test_a_broken_spelling_uploaded_last_leaves_the_other_one_live_as_in_the_pipeline(
    local: Harness, tmp_path: Path, post_text: PostFactory
) -> None:
    # Given the NFD spelling, modified later, is broken, and the NFC one is valid
    src, first, _ = folder_with_both_spellings(tmp_path, post_text, 1)
    broken = "---\ntitle: \n---\nbody\n"
    (src / NFD).write_text(broken, encoding="utf-8")
    os.utime(src / NFD, (1_780_000_001, 1_780_000_001))
    # When the folder is built through the command and with build_site, and the same two
    # files are uploaded to the pipeline in that order
    assert main(["build", str(src), "--out", str(tmp_path / "out"), "--project", str(ROOT)]) == 0
    files_ = list(source_files(src))
    report = build_site(
        [(key, path.read_bytes()) for key, path in files_],
        ROOT / "templates",
        tmp_path / "again",
        jobs=1,
        modified=source_times(files_),
    )
    local.upload(NFC, first)
    local.drain()
    local.upload_a_second_later(NFD, broken)
    local.drain()
    # Then the one post (NFC key) is rejected for its title, naming both spellings, and the
    # valid spelling stays live, saying so in its warning
    (rejection,) = report.rejected
    assert rejection.source_key == f"posts/{NFC}"
    assert [problem.field for problem in rejection.problems] == ["title", "file name"]
    assert f"the one uploaded last is the post: posts/{NFD}" in rejection.message
    assert "第一版" in (tmp_path / "out" / PAGE).read_text(encoding="utf-8")
    assert [record.source_key for record in report.published] == [f"posts/{NFC}"]
    state = local.state(NFC)
    assert state.rejection is not None and state.record is not None and state.record.live
    assert [problem.field for problem in state.rejection.problems] == ["title", "file name"]
    shown = f"it is invalid, so the site shows the last valid one: posts/{NFC}"
    assert shown in state.record.warnings[0]
    assert report.warnings[f"posts/{NFC}"] == list(state.record.warnings)
    # And the site is the pipeline's, byte for byte
    write_site(local, tmp_path / "pipeline")
    assert_same_site(tmp_path / "again", tmp_path / "pipeline")
