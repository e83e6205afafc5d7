"""`pressroom publish`'s progress line: its rate and eta, and where and how often it is drawn."""

from __future__ import annotations

import io

import pytest

from pressroom_dev.upload import Progress, duration_text, progress_text, size_text


@pytest.mark.parametrize(
    ("done", "total", "elapsed", "line"),
    [
        (0, 10000, 0.0, "uploading 0/10000"),
        (1234, 10000, 21.65, "uploading 1234/10000  57 files/s  eta 3m"),
        (5000, 10000, 100.0, "uploading 5000/10000  50 files/s  eta 2m"),
        (50, 100, 10.0, "uploading 50/100  5 files/s  eta 10s"),
        (100, 100, 4.0, "uploading 100/100  25 files/s  eta 0s"),
        (10, 100000, 1.0, "uploading 10/100000  10 files/s  eta 2h47m"),
    ],
)
def test_the_progress_line_gives_the_rate_and_the_time_left(
    done: int, total: int, elapsed: float, line: str
) -> None:
    """Given files done out of a total after some seconds, then the line says the count, the
    rate so far and the time the rest takes at that rate (none before the first file)."""
    assert progress_text(done, total, elapsed) == line


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.2, "1s"), (59.0, "59s"), (60.0, "1m"), (61.0, "2m"), (3599.0, "60m"), (3660, "1h01m")],
)
def test_an_eta_is_rounded_up(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_sizes_read_in_powers_of_1000() -> None:
    assert [size_text(n) for n in (812, 4100, 12_345_678, 3 * 10**9)] == [
        "812 B",
        "4.1 KB",
        "12.3 MB",
        "3.0 GB",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_the_bar_is_one_line_redrawn_and_cleared() -> None:
    """Given a terminal, when 3 of 3 files are done 0.5 s apart and the bar is closed, then
    each state is drawn over the last with a carriage return, and the bar is erased."""
    terminal, clock = Terminal(), Clock()
    progress = Progress(terminal, 3, clock=clock)

    for _ in range(3):
        clock.now += 0.5
        progress.advance()
    progress.close()

    drawn = terminal.getvalue()
    assert "\n" not in drawn
    assert drawn.split("\r")[1:] == [
        "uploading 1/3  2 files/s  eta 1s\x1b[K",
        "uploading 2/3  2 files/s  eta 1s\x1b[K",
        "uploading 3/3  2 files/s  eta 0s\x1b[K",
        "\x1b[K",
    ]


def test_on_a_terminal_redraws_are_at_most_ten_a_second() -> None:
    """Given 100 files done within 0.05 s, then the bar is drawn once, and then for the last."""
    terminal, clock = Terminal(), Clock()
    progress = Progress(terminal, 100, clock=clock)

    for _ in range(100):
        clock.now += 0.0005
        progress.advance()

    assert terminal.getvalue().count("\r") == 2
    assert terminal.getvalue().endswith("uploading 100/100  2000 files/s  eta 0s\x1b[K")


def test_elsewhere_a_line_for_each_tenth_and_none_at_the_end() -> None:
    """Given a pipe, when 1000 files are done, then one line for each tenth from 10 % to
    90 % (the summary reports the end), without carriage returns."""
    pipe, clock = io.StringIO(), Clock()
    progress = Progress(pipe, 1000, clock=clock)

    for _ in range(1000):
        clock.now += 0.01
        progress.advance()
    progress.close()

    lines = pipe.getvalue().splitlines()
    assert [line.split()[1] for line in lines] == [f"{n}00/1000" for n in range(1, 10)]
    assert "\r" not in pipe.getvalue()


def test_elsewhere_a_small_run_prints_nothing() -> None:
    """Given a pipe and 99 files, then no progress line at all (the run is over at once)."""
    pipe = io.StringIO()
    progress = Progress(pipe, 99)

    for _ in range(99):
        progress.advance()

    assert pipe.getvalue() == ""
