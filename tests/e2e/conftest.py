"""End-to-end tier: `pressroom serve` as a real process, driven over HTTP, boto3 and the CLI.

One server runs for the whole session (starting it and draining its first posts costs several
seconds); every test works on posts of its own. The server's stdout and stderr go to
`test-output/e2e/pressroom-serve.log`; when a test fails, the log's tail is added to the report
and the whole log is copied into that test's output folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from support.browser import CHROMIUM, CHROMIUM_ARGS, CONTEXT, PAGE_TIMEOUT_MS
from support.posts import START_POSTS
from support.processes import log_tail
from support.serve import Pressroom, output_folder, start, stop, wait_ready

_running: list[Pressroom] = []


@pytest.fixture(scope="session")
def pressroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pressroom]:
    """`pressroom serve` with three posts, watching an empty folder; stopped at session end."""
    posts = tmp_path_factory.mktemp("posts")
    for name, text in START_POSTS.items():
        (posts / name).write_text(text, encoding="utf-8")
    watch = tmp_path_factory.mktemp("watch")
    server = start(posts, watch)
    _running.append(server)
    try:
        wait_ready(server, expected_posts=len(START_POSTS))
        yield server
    finally:
        stop(server)
        _running.remove(server)


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """test-output/e2e/<test name>/, emptied."""
    folder = output_folder(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On failure: the tail of the server's log in the report, the whole log next to the
    test's other output."""
    report = yield
    if report.failed and _running:
        log = _running[-1].log
        report.sections.append((f"pressroom serve log (tail of {log})", log_tail(log)))
        if log.is_file():
            folder = output_folder(item.name)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, folder / "pressroom-serve.log")
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole tier (one worker runs it); each test has a context of its own."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make e2e-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**CONTEXT)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()
