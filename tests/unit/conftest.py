"""Unit-tier fixtures: the repository's templates folder and golden-file comparison."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def templates_dir() -> Path:
    return REPO / "templates"


@pytest.fixture(scope="session")
def fixture_posts() -> Path:
    return REPO / "tests" / "fixtures" / "posts"


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare rendered HTML with tests/golden/<name>; PRESSROOM_UPDATE_GOLDEN=1 rewrites it."""

    def check(name: str, actual: str) -> None:
        path = REPO / "tests" / "golden" / name
        if os.environ.get("PRESSROOM_UPDATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual.encode("utf-8"))
            return
        assert path.exists(), f"{path} is missing: run once with PRESSROOM_UPDATE_GOLDEN=1"
        expected = path.read_bytes().decode("utf-8")
        assert actual == expected, f"rendered HTML differs from {path} (diff it, then update)"

    return check
