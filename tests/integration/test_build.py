"""`pressroom build` is the oracle: the same pages, byte for byte, as the pipeline on moto."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressroom_dev.cli import main
from pressroom_dev.folder import build_site, source_files
from support.paths import CORPUS, ROOT


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
