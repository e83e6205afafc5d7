"""The site's pages under the Content-Security-Policy of template.yaml, in a real browser.

`pressroom serve` sends the security headers of the distribution's response headers policy, read
from template.yaml; Chromium enforces them. Every kind of page must satisfy the policy (no
`securitypolicyviolation` event, no CSP error on the console) and still be styled, which proves
that the hash of base.html's <style> block in the policy is the right one. A post that breaks
the policy shows that the check can fail.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Page, Route

from pressroom_dev.serve import security_headers
from pressroom_dev.stack import load_template
from support.paths import ROOT
from support.serve import Pressroom

HEADERS = security_headers(load_template(ROOT / "template.yaml"))
CSP = HEADERS["Content-Security-Policy"]
# Records every violation the page reports, from the first script that runs in it.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        sample: event.sample,
    });
});
"""
# A 1x1 PNG, served for images of other hosts (there is no network).
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
IMAGE_HOST = "https://images.example.com"

# A post of this module's own (other tests delete the start posts), so its category page exists.
PLAIN_POST = "2026-04-19-csp-plain.md"
PLAIN_PATH = "/hangyun/2026/04/19/csp-plain.html"
PLAIN_TEXT = """---
layout: post
title: "港口夜间作业安全检查"
date: 2026-04-19 08:00:00 +0800
categories: hangyun
tags: 安全检查
---
<p>港口管理部门开展夜间作业安全检查。</p><p class="em_media">（来源：厦门日报）</p>

<http://news.example.com/a/20260419/40001.html>

[返回航运新闻](/category/hangyun.html)｜[返回首页](/)
"""
# A post as editors write them: an image from another host, style attributes for layout.
COMPLIANT_POST = "2026-04-20-csp-image-and-style.md"
COMPLIANT_PATH = "/hangyun/2026/04/20/csp-image-and-style.html"
COMPLIANT_TEXT = f"""---
layout: post
title: "港口吞吐量月度图表"
date: 2026-04-20 08:00:00 +0800
categories: hangyun
---
<p style="text-align:center;border:#d1d1d1 1px solid;padding:3px" id="centred">四月港口吞吐量</p>
<p><img src="{IMAGE_HOST}/chart.png" alt="吞吐量走势" id="chart"></p>
"""
# A post whose body carries a <style> block and a script: neither is allowed by the policy.
VIOLATING_POST = "2026-04-21-csp-inline-style.md"
VIOLATING_PATH = "/hangyun/2026/04/21/csp-inline-style.html"
VIOLATING_TEXT = """---
layout: post
title: "带内联样式的稿件"
date: 2026-04-21 08:00:00 +0800
categories: hangyun
---
<style>body{background:rgb(255, 0, 0)}</style>
<script>document.title = "script ran";</script>
<p>这篇稿件带有未列入策略的样式和脚本。</p>
"""


@dataclass
class CspWatch:
    """A page's CSP violations: its `securitypolicyviolation` events and console errors."""

    page: Page
    console: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[dict[str, Any]]:
        # Violation events are queued as tasks: let them run before reading.
        self.page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 200))")
        return list(self.page.evaluate("() => window.__cspViolations"))


@pytest.fixture(scope="module")
def plain_post(pressroom: Pressroom) -> Iterator[str]:
    """PLAIN_POST published for this module's tests; its page's path."""
    pressroom.upload(PLAIN_POST, PLAIN_TEXT)
    try:
        yield PLAIN_PATH
    finally:
        pressroom.delete(PLAIN_POST)


@pytest.fixture
def watch(page: Page) -> CspWatch:
    page.add_init_script(WATCH_VIOLATIONS)
    watch = CspWatch(page)
    page.on("console", watch.on_console)

    def other_host_image(route: Route) -> None:
        route.fulfill(status=200, content_type="image/png", body=PIXEL)

    page.route(f"{IMAGE_HOST}/**", other_host_image)
    return watch


def open_page(pressroom: Pressroom, page: Page, path: str, status: int) -> None:
    """Open a site path; it answers `status` with every security header of the template."""
    response = page.goto(pressroom.site + path, wait_until="load")
    assert response is not None and response.status == status
    headers = response.headers
    for name, value in HEADERS.items():
        assert headers.get(name.lower()) == value, (path, name)


def assert_styled(page: Page) -> None:
    """base.html's stylesheet applies: body margin 0 and the 52rem wrapper (not the defaults)."""
    style = page.evaluate(
        """() => ({
            bodyMargin: getComputedStyle(document.body).marginTop,
            wrapper: getComputedStyle(document.querySelector(".wrapper")).maxWidth,
            footerBorder: getComputedStyle(document.querySelector("footer")).borderTopStyle,
        })"""
    )
    assert style == {"bodyMargin": "0px", "wrapper": "832px", "footerBorder": "solid"}


def test_template_policy_is_strict() -> None:
    """Given template.yaml's CSP, then it allows no script, plugin, framing or form, and
    styles only by hash (plus style attributes)."""
    directives = {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in CSP.split(";")) if part
    }

    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'none'"]
    assert directives["style-src"] and all(
        s.startswith("'sha256-") for s in directives["style-src"]
    )
    assert set(HEADERS) >= {
        "Strict-Transport-Security",
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Referrer-Policy",
        "Content-Security-Policy",
    }


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/category/hangyun.html", 200),
        ("/tag/安全检查.html", 200),
        (PLAIN_PATH, 200),
        ("/no-such-page.html", 404),
    ],
    ids=["home", "category", "tag", "post", "not-found"],
)
@pytest.mark.usefixtures("plain_post")
def test_pages_satisfy_the_csp_and_are_styled(
    pressroom: Pressroom, page: Page, watch: CspWatch, path: str, status: int
) -> None:
    """Given the served site, when a reader opens a page of each kind,
    then it carries the template's security headers, the browser reports no CSP violation,
    and the hashed stylesheet applies."""
    open_page(pressroom, page, path, status)

    assert watch.violations() == []
    assert watch.console == []
    assert_styled(page)


def test_post_with_other_hosts_images_and_style_attributes_satisfies_the_csp(
    pressroom: Pressroom, page: Page, watch: CspWatch
) -> None:
    """Given a post like the news site's (an image from another host over HTTPS, style
    attributes for layout), when a reader opens it, then both work and nothing is blocked."""
    pressroom.upload(COMPLIANT_POST, COMPLIANT_TEXT)
    try:
        open_page(pressroom, page, COMPLIANT_PATH, 200)

        assert watch.violations() == []
        assert watch.console == []
        assert_styled(page)
        centred = page.evaluate(
            "() => getComputedStyle(document.getElementById('centred')).textAlign"
        )
        assert centred == "center"
        page.wait_for_function("() => document.getElementById('chart').complete")
        assert page.evaluate("() => document.getElementById('chart').naturalWidth") == 1
    finally:
        pressroom.delete(COMPLIANT_POST)


def test_csp_check_detects_a_violating_page(
    pressroom: Pressroom, page: Page, watch: CspWatch
) -> None:
    """Given a post whose body has a <style> block and a <script> the policy does not list,
    when a reader opens it, then the browser blocks both and the check sees the violations
    (so the tests above can fail), while the site's own stylesheet still applies."""
    pressroom.upload(VIOLATING_POST, VIOLATING_TEXT)
    try:
        open_page(pressroom, page, VIOLATING_PATH, 200)

        violations = watch.violations()
        directives = {v["directive"] for v in violations}
        assert {"style-src-elem", "script-src-elem"} <= directives, violations
        assert any("Content Security Policy" in text for text in watch.console)
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 0, 0)"
        assert page.title() != "script ran"
        assert_styled(page)
    finally:
        pressroom.delete(VIOLATING_POST)


HOSTILE_TITLE = '<script>alert(1)</script>"><img src=x onerror=alert(2)> {{ 7*7 }}'
HOSTILE_TAG = "<b>粗体</b>"
HOSTILE_POST = "2026-04-22-csp-hostile.md"
HOSTILE_PATH = "/hangyun/2026/04/22/csp-hostile.html"
HOSTILE_TEXT = f"""---
layout: post
title: '{HOSTILE_TITLE}'
date: 2026-04-22 08:00:00 +0800
categories: hangyun
tags: ['{HOSTILE_TAG}', 'javascript:alert(3)']
description: '"><svg onload=alert(4)>'
---
<p>模板语法 {{{{ 7*7 }}}} 原样显示。</p>

[点我](javascript:alert(5))
"""


def test_hostile_front_matter_reads_as_text_and_runs_nothing(
    pressroom: Pressroom, page: Page, watch: CspWatch
) -> None:
    """Given a post whose title, tags and description carry markup, event handlers,
    `javascript:` and Jinja syntax, when a reader opens its page, the home page and its tag
    page, then each value reads exactly as written, nothing runs (no dialog, no injected
    element, no CSP violation, which an injected script would cause) and `{{ 7*7 }}` is text."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    pressroom.upload(HOSTILE_POST, HOSTILE_TEXT)
    try:
        open_page(pressroom, page, HOSTILE_PATH, 200)
        assert page.locator("h1").inner_text() == HOSTILE_TITLE
        assert HOSTILE_TITLE in page.title()
        assert "{{ 7*7 }}" in page.locator("main").inner_text()
        assert "49" not in page.locator("main").inner_text()
        assert page.locator("main a", has_text="点我").count() == 0  # not a javascript: link
        injected = "img[src='x'], svg, script, [onerror], [onload], a[href^='javascript']"
        assert page.locator(injected).count() == 0

        page.locator(f"a:text-is('{HOSTILE_TAG}')").first.click()
        page.wait_for_load_state("load")
        assert HOSTILE_TAG in page.locator("h1").inner_text()

        open_page(pressroom, page, "/", 200)
        assert page.locator(f"ul.listing a:text-is('{HOSTILE_TITLE}')").count() == 1
        assert page.locator(injected).count() == 0

        assert dialogs == []
        assert watch.violations() == []
        assert watch.console == []
    finally:
        pressroom.delete(HOSTILE_POST)
