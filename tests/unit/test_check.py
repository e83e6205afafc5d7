"""`pressroom check`: the pipeline's validation run locally, with its exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pressroom.render import SiteRenderer
from pressroom_dev.cli import main
from pressroom_dev.folder import check_sources

REPO = Path(__file__).resolve().parents[2]
GOOD = (
    "---\ntitle: 港口吞吐量创新高\ndate: 2026-03-20 16:12:47 +0800\ncategories: port\n---\n正文\n"
)
BROKEN = '---\ntitle: "港口"创新"高"\ndate: 2026-03-20 16:12:47 +0800\n---\n正文\n'


@pytest.fixture
def posts(tmp_path: Path) -> Path:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "2026-03-20-port.md").write_text(GOOD, encoding="utf-8")
    return folder


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["check", "--project", str(REPO), *args])
    return code, capsys.readouterr().out


def test_a_folder_of_good_posts_passes(posts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, str(posts))

    assert code == 0
    assert out.splitlines() == [
        f"{posts / '2026-03-20-port.md'}: ok -> /port/2026/03/20/port.html",
        "checked 1 files: 1 ok, 0 rejected",
    ]


def test_a_broken_post_fails_with_the_pipelines_message(
    posts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given a title with an unescaped quote, then check exits 1 and prints the line, the
    problem and the fix, exactly as the pipeline's report phrases them."""
    (posts / "2026-03-21-bad.md").write_bytes(BROKEN.encode())

    code, out = run(capsys, "-q", str(posts))

    assert code == 1
    assert f"{posts / '2026-03-21-bad.md'}: will be rejected" in out
    assert "  - line 2, front matter: title contains a double quote inside double quotes" in out
    assert '(fix: write \\" for each quote inside the value' in out
    assert "port.md: ok" not in out
    assert out.endswith("checked 2 files: 1 ok, 1 rejected\n")


@pytest.mark.parametrize("order", [1, -1], ids=["in order", "reversed"])
def test_two_files_claiming_one_url_the_later_waits(
    posts: Path, capsys: pytest.CaptureFixture[str], order: int
) -> None:
    """Given two files with the same permalink, the second dated a day later, whatever order
    they are checked in, then the later one waits for the earlier (no problem: it is not
    rejected), and `check` says so."""
    other = GOOD.replace("categories: port", "permalink: /port/2026/03/20/port.html").replace(
        "2026-03-20 16:12:47", "2026-03-21 16:12:47"
    )
    renderer = SiteRenderer.from_directory(REPO / "templates")
    sources = [
        ("b.md", "posts/2026-03-22-copy.md", other.encode()),
        ("a.md", "posts/2026-03-20-port.md", GOOD.encode()),
    ][::order]

    results = {result.path: result for result in check_sources(sources, renderer)}

    assert results["a.md"].problems == () and results["a.md"].waiting_for == ""
    assert results["b.md"].problems == ()
    assert results["b.md"].waiting_for == "posts/2026-03-20-port.md"
    (posts / "2026-03-22-copy.md").write_text(other, encoding="utf-8")
    code, out = run(capsys, str(posts))
    assert code == 0
    assert (
        f"{posts / '2026-03-22-copy.md'}: will wait: /port/2026/03/20/port.html is the page of "
        "posts/2026-03-20-port.md" in out
    )


def test_json_output_carries_structured_problems(
    posts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (posts / "2026-03-21-bad.md").write_bytes("---\ntitle: x\n---\n".encode("utf-16"))

    code, out = run(capsys, "--json", str(posts / "2026-03-21-bad.md"))

    assert code == 1
    (result,) = json.loads(out)
    assert result["source_key"] == "posts/2026-03-21-bad.md"
    assert result["problems"] == [
        {"field": "file", "line": None, "message": "is UTF-16", "hint": "save the file as UTF-8"}
    ]


def test_a_missing_path_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--project", str(REPO), str(tmp_path / "nope.md")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_a_folder_with_both_unicode_spellings_of_one_name_reports_them(
    posts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Given café.md as NFC (é as U+00E9) and as NFD (e + U+0301) in one folder, then check
    exits 1 on the spelling that would not be the post, naming both with their code points,
    which one is the post (the one uploaded last), and which to delete; the other does not
    wait for its own twin."""
    nfc, nfd = "2026-03-20-caf\u00e9.md", "2026-03-20-cafe\u0301.md"
    (posts / nfc).write_text(GOOD.replace("port", "cafe"), encoding="utf-8")
    (posts / nfd).write_text(GOOD.replace("port", "cafe"), encoding="utf-8")

    code, out = run(capsys, str(posts))

    shown_nfc, shown_nfd = f"posts/{nfc} (é as U+00E9)", f"posts/{nfd} (é as e + U+0301)"
    assert code == 1
    assert f"{posts / nfd}: will be rejected" in out and f"{posts / nfc}: ok" in out
    assert f"the one uploaded last is the post: {shown_nfc}" in out
    assert f"{shown_nfc} and {shown_nfd} are one file name" in out
    assert f"(fix: delete {shown_nfd} so that one spelling remains)" in out
    assert "already the page of" not in out and "wait" not in out
