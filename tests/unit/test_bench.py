"""The benchmark's own parts, without AWS: its settings, its table, a measure that fails, the
process tree's peak memory, the import-time report and the corpus."""

from __future__ import annotations

import cProfile
import sys
from pathlib import Path

import pytest

from pressroom_dev.bench import coldstart, corpus, run
from pressroom_dev.bench.process import profile_text, run_tree
from pressroom_dev.bench.run import BenchError, BenchSettings, Report, Row


def test_settings_have_defaults_and_read_lists_of_sizes() -> None:
    # Given no setting, then one of each
    default = BenchSettings.from_environ({})
    given = BenchSettings.from_environ(
        {"BENCH_POSTS": "1000, 10_000", "BENCH_UPLOAD_POSTS": "500", "BENCH_ONLY": "render"}
    )
    # Then the defaults are those the README gives, and the settings are read as written
    assert default.build_posts == [1000]
    assert default.upload_posts == (150, 10_000)
    assert default.only == frozenset(run.MEASURES)
    assert given.build_posts == [1000, 10_000]
    assert given.upload_posts == (150, 500)
    assert given.only == {"render"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BENCH_POSTS": "many"}, "BENCH_POSTS='many': numbers separated by commas"),
        ({"BENCH_POSTS": "0"}, "at least one post"),
        ({"BENCH_UPLOAD_POSTS": "20"}, "BENCH_UPLOAD_POSTS='20': at least 150"),
        ({"BENCH_RENDER_RUNS": "x"}, "a whole number is needed"),
        ({"BENCH_ONLY": "build,speed"}, "unknown speed"),
    ],
)
def test_a_setting_it_cannot_run_with_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(BenchError, match=message.replace("(", r"\(").replace("?", r"\?")):
        BenchSettings.from_environ(environ)


def test_a_bad_setting_exits_2_with_one_line_and_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # When the bench runs with a size it cannot read
    code = run.main({"BENCH_POSTS": "lots"})
    # Then it says which setting, in one line, and measures nothing
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == "pressroom bench: BENCH_POSTS='lots': numbers separated by commas\n"
    assert captured.out == ""


def test_a_measure_that_fails_gets_a_row_saying_why_and_the_others_run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given two measures, the first of which raises
    def broken(settings: BenchSettings, project: Path, report: Report) -> None:
        raise RuntimeError("hugo failed (2): no such theme\nmore detail")

    def working(settings: BenchSettings, project: Path, report: Report) -> None:
        report.add(Row("working", "1 s", "2 s", 0.5, "<= 1.0x", True))

    monkeypatch.setattr(run, "MEASURES", {"build": broken, "render": working})
    # When the bench runs both
    code = run.main({"BENCH_ONLY": "build,render"}, tmp_path)
    # Then the failure is one row with its first line, the other measure is in the table,
    # and the exit code says a measure could not run
    out = capsys.readouterr().out
    assert code == 1
    assert "| build   | could not run: RuntimeError: hugo failed (2): no such theme |" in out
    assert "more detail" not in out and "Traceback" not in out
    assert "| working | 1 s" in out


def test_the_table_gives_each_ratio_and_whether_its_goal_is_met() -> None:
    rows = [
        Row("full build", "2.00 s", "1.00 s", 2.0, "<= 1.0x", False),
        Row("parse + render", "1.100 ms", "1.000 ms", 1.1, "<= 1.3x", True),
        Row("no reference", "3 s", "hugo not installed", None, "<= 1.0x", None),
    ]
    lines = run.table(rows).splitlines()
    assert lines[0].split("|")[1:6] == [
        " measure        ",
        " pressroom ",
        " reference          ",
        " ratio ",
        " goal    ",
    ]
    assert [line.split("|")[4].strip() for line in lines[2:]] == ["2.00x", "1.10x", "-"]
    assert [line.split("|")[6].strip() for line in lines[2:]] == ["MISSED", "met", ""]
    assert len({len(line) for line in lines}) == 1  # aligned columns


def test_a_missed_goal_carries_its_profile_and_a_met_one_does_not() -> None:
    report = Report()
    report.add(Row("slow", "2", "1", 2.0, "<= 1.0x", False), lambda: "where slow goes")
    report.add(Row("fast", "1", "2", 0.5, "<= 1.0x", True), lambda: "never asked")
    report.add(Row("broken", "2", "1", 2.0, "<= 1.0x", False), lambda: 1 / 0)  # type: ignore[arg-type,return-value]
    assert report.profiles == {
        "slow": "where slow goes",
        "broken": "could not profile: ZeroDivisionError: division by zero",
    }


def test_run_tree_measures_the_peak_memory_of_a_child_process() -> None:
    # Given a child that holds 200 MB for half a second
    code = "import time; block = bytearray(200 * 2**20); time.sleep(0.5)"
    # When it runs under run_tree
    measured = run_tree([sys.executable, "-c", code])
    # Then its peak is seen, and its wall time
    assert measured.returncode == 0
    assert measured.peak_rss >= 200 * 2**20
    assert measured.seconds >= 0.5


def test_profile_text_starts_at_the_column_header() -> None:
    profile = cProfile.Profile()
    profile.enable()
    sorted(range(1000), key=lambda n: -n)
    profile.disable()
    text = profile_text(profile, 3)
    assert text.splitlines()[0].split() == [
        "ncalls",
        "tottime",
        "percall",
        "cumtime",
        "percall",
        "filename:lineno(function)",
    ]
    assert len(text.splitlines()) == 4


def test_importtime_lines_after_the_mark_are_the_measured_import() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 | site",
            coldstart.MARK,
            "import time:       300 |        300 |   json.decoder",
            "import time:       200 |        500 | json",
            "import time:      1000 |       1000 | app",
        ]
    )
    modules = coldstart.parse_importtime(stderr)
    assert [(m.name, m.depth) for m in modules] == [("json.decoder", 1), ("json", 0), ("app", 0)]
    assert coldstart.total_seconds(modules) == pytest.approx(0.0015)
    assert coldstart.slowest_modules(modules, 1)[0].name == "app"


def test_the_corpus_is_the_same_for_a_seed_and_shaped_like_the_news_site() -> None:
    first, again, other = corpus.generate(50), corpus.generate(50), corpus.generate(50, seed=3)
    assert [post.jekyll() for post in first] == [post.jekyll() for post in again]
    assert [post.jekyll() for post in first] != [post.jekyll() for post in other]
    sizes = [len(post.jekyll()) for post in corpus.generate(200)]
    assert 4_000 < sorted(sizes)[len(sizes) // 2] < 16_000  # about 8 KB a post
