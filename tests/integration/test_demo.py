"""`pressroom demo` over the example posts and the news site's real posts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pressroom_dev.cli import broken_generated_links, main
from support.paths import CORPUS, ROOT


def run_demo(posts: Path, tmp_path: Path) -> dict:
    out, report = tmp_path / "site", tmp_path / "summary.json"
    code = main(
        [
            "demo",
            "--posts",
            str(posts),
            "--out",
            str(out),
            "--json",
            str(report),
            "--no-serve",
            "--project",
            str(ROOT),
        ]
    )
    assert code == 0
    return json.loads(report.read_text(encoding="utf-8"))


def test_demo_publishes_every_example_with_no_broken_generated_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the dozen example posts
    # When the demo runs the pipeline over them
    summary = run_demo(ROOT / "examples" / "posts", tmp_path)
    # Then all are published, the printed summary says so, and every generated link resolves
    assert (
        summary["uploaded"] == 12 and len(summary["published"]) == 12 and summary["rejected"] == []
    )
    assert summary["broken_links"] == []
    printed = capsys.readouterr().out
    assert "published 12 posts" in printed and "generated links: all resolve" in printed
    site = tmp_path / "site"
    assert (site / "index.html").is_file() and (site / "404.html").is_file()
    # the case-only variant CaiLianShe joined cailianshe; the spaced string made two categories
    assert not (site / "category" / "CaiLianShe.html").exists()
    assert (site / "category" / "kuaixun.html").is_file()
    assert (site / "special" / "2026" / "annual-report.html").is_file()


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the news site's corpus is not on this machine")
def test_demo_over_the_real_posts_rejects_only_the_two_malformed_files(tmp_path: Path) -> None:
    # Given the real posts of the news site
    summary = run_demo(CORPUS, tmp_path)
    # Then all but the two malformed files are published, each rejection says why
    rejected = {item["source_key"]: " ".join(item["problems"]) for item in summary["rejected"]}
    assert set(rejected) == {
        "posts/-202205262391921712.md",
        "posts/2021-12-08-202112082206703990.md",
    }
    assert (
        "title" in rejected["posts/-202205262391921712.md"]
        and "date" in rejected["posts/-202205262391921712.md"]
    )
    assert "line 1" in rejected["posts/2021-12-08-202112082206703990.md"]
    assert len(summary["published"]) == 51
    # And no link pressroom generated is broken (body links to pages that do not exist are warnings)
    assert summary["broken_links"] == []
    warned = [item for item in summary["published"] if item["warnings"]]
    assert warned and all("points into the site" in w for item in warned for w in item["warnings"])


def test_the_link_checker_finds_a_broken_generated_link(tmp_path: Path) -> None:
    # Given a page whose navigation links to a missing page, and a body link that is not checked
    (tmp_path / "index.html").write_text(
        '<a href="/missing.html">x</a><a href="/">home</a>'
        '<div class="post-body"><a href="/gone.html">y</a></div>',
        encoding="utf-8",
    )
    # Then only the generated link is reported
    assert list(broken_generated_links(tmp_path)) == [("index.html", "/missing.html")]
