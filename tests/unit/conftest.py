"""Unit-tier fixtures: the repository's templates folder and golden-file comparison."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from support.golden import check_golden
from support.paths import FIXTURE_POSTS, TEMPLATES


@pytest.fixture(scope="session")
def templates_dir() -> Path:
    return TEMPLATES


@pytest.fixture(scope="session")
def fixture_posts() -> Path:
    return FIXTURE_POSTS


@pytest.fixture
def golden() -> Callable[[str, str], None]:
    """Compare rendered HTML with tests/golden/<name>; PRESSROOM_UPDATE_GOLDEN=1 rewrites it."""

    return check_golden
