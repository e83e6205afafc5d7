"""Paths in the repository that tests read."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
EVENTS = ROOT / "events"
EXAMPLE_POSTS = ROOT / "examples" / "posts"
TESTS = ROOT / "tests"
GOLDEN = TESTS / "golden"
FIXTURE_POSTS = TESTS / "fixtures" / "posts"
# Where tests leave screenshots, logs and other output for a person to look at.
TEST_OUTPUT = ROOT / "test-output"
# The news site's real posts, when they are on this machine (PRESSROOM_CORPUS names the corpus).
CORPUS = (
    Path(os.environ.get("PRESSROOM_CORPUS", ROOT.parent / "shared" / "corpus" / "finews")) / "posts"
)
