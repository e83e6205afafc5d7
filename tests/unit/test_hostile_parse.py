"""The hostile corpus (tests/hostile) through parse_post and the post template: no AWS.

The integration tier (tests/integration/test_hostile.py) runs the same files through the real
handlers on moto; this tier pins the parser's answer for each and fails fast.
"""

from __future__ import annotations

import resource
import time

import pytest

from hostile.corpus import (
    SITE_CONFIG,
    Case,
    load_cases,
    post_page_mismatches,
    problem_mismatches,
    site_config,
    source_bytes,
    unsupported,
)
from pressroom.content import parse_post
from pressroom.errors import InvalidPost
from pressroom.model import Post
from pressroom.pages.post import render_post
from pressroom.render import SiteRenderer
from pressroom_dev.folder import storage_problems

CASES = load_cases()
CONFIG = site_config()


@pytest.fixture(scope="module")
def renderer() -> SiteRenderer:
    return SiteRenderer.from_directory(SITE_CONFIG.parent)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert {case.outcome for case in CASES} == {"published", "rejected", "waiting"}


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_hostile_file_is_parsed_as_expected(case: Case, renderer: SiteRenderer) -> None:
    if reason := unsupported(case, CONFIG):
        pytest.skip(reason)
    raw = source_bytes(case, CONFIG)
    outcome = case.unit_outcome or case.outcome
    if outcome == "rejected":
        # Given a file that cannot be published, When it is checked as `pressroom check` does
        # (parsed, then its table items and report key held to AWS's limits),
        # Then InvalidPost (never another exception) names each problem with a hint
        with pytest.raises(InvalidPost) as error:
            check(case.key, raw, renderer)
        assert error.value.source_key == case.key
        problems = [
            {"field": p.field, "message": p.message, "hint": p.hint, "line": p.line}
            for p in error.value.problems
        ]
        assert problem_mismatches(case, problems) == []
        return
    # Given a file that can be published, When it is checked and its page rendered,
    # Then it has the expected URL and the reader sees the title as written, safely
    post = check(case.key, raw, renderer)
    assert post.url == case.url
    assert post.title == case.title
    html = render_post(post, renderer).body.decode("utf-8")
    assert post_page_mismatches(case, html, CONFIG.title) == []


def check(key: str, raw: bytes, renderer: SiteRenderer) -> Post:
    """What `pressroom check` does with one file: parse it, then hold what publishing it would
    store to AWS's limits; InvalidPost with every problem, or the post."""
    post = parse_post(key, raw, CONFIG, renderer.post_layouts)
    if problems := storage_problems(post, renderer):
        raise InvalidPost(key, problems)
    return post


def test_alias_bomb_is_rejected_in_bounded_time_and_memory(renderer: SiteRenderer) -> None:
    # Given nine levels of nine aliases (9**9 leaves if expanded)
    case = next(case for case in CASES if case.file == "yaml-alias-bomb.md")
    raw = source_bytes(case, CONFIG)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    # When it is parsed, Then it is rejected (the test finishing is the time bound)
    with pytest.raises(InvalidPost):
        parse_post(case.key, raw, CONFIG, renderer.post_layouts)
    elapsed = time.perf_counter() - started
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert elapsed >= 0
    # And the peak memory grew by less than 64 MiB (ru_maxrss is in KiB on Linux)
    assert grown_kib < 64 * 1024
