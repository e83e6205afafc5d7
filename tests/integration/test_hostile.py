"""The hostile corpus (tests/hostile) through the real handlers on moto.

One stack for the module, holding a baseline of good posts. Each hostile file is uploaded under
its own name (so keys with spaces, + and % arrive URL-encoded in the S3 event), the queues and
the table stream are drained, and then:

* rejected: no page changed by a single byte; the rejection and the editor's report
  (`reports/<source key>.json` in the source bucket) name each problem with a hint;
* published: only the post's own page, the home page and its own category and tag pages
  changed; the reader sees the title exactly as written, escaped; no changed page carries
  markup that could run script.

Then the file is deleted, and the site must be byte-for-byte what it was before the upload (and
the report gone): nothing lost, nothing left behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from markupsafe import escape
from moto import mock_aws

from hostile.corpus import (
    Case,
    baseline_posts,
    load_cases,
    post_page_mismatches,
    problem_mismatches,
    read_page,
    site_config,
    source_bytes,
    unsafe_markup,
    unsupported,
)
from pressroom.config import SiteConfig
from pressroom.pages.sitemap import MAX_LOC, location
from pressroom.urls import SiteUrls, href, key_for_url
from support.aws import LOCAL_ENVIRONMENT, REGION
from support.feeds import read_atom
from support.harness import Harness
from support.sitemaps import path_of, read_sitemap

CASES = load_cases()
REPORTS_PREFIX = "reports/"


@dataclass
class Site:
    """The module's stack, its site bucket as the baseline left it, and every failed
    invocation (a handler that raised, or reported a batch item failure)."""

    harness: Harness
    config: SiteConfig
    baseline: dict[str, bytes]
    failures: list[str] = field(default_factory=list)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        try:
            result = self.harness.invoke(function, event)
        except Exception as error:
            self.failures.append(f"{function} raised {error!r}")
            raise
        if result.get("batchItemFailures"):
            self.failures.append(f"{function} failed {result['batchItemFailures']}")
        return result

    def drain(self) -> None:
        self.harness.stack.drain(self.invoke)

    def report(self, name: str) -> dict[str, Any] | None:
        """The editor's report for posts/<name>, or None when there is none (at
        reports/<source key>.json, or where S3's 1,024-byte keys cannot hold that, at
        reports/long-keys/<SHA-256 of the source key>.json)."""
        key = f"{REPORTS_PREFIX}posts/{name}.json"
        if len(key.encode()) > 1024:
            digest = hashlib.sha256(f"posts/{name}".encode()).hexdigest()
            key = f"{REPORTS_PREFIX}long-keys/{digest}.json"
        bucket = self.harness.settings.source_bucket
        listed = self.harness.s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
        if not any(item["Key"] == key for item in listed):
            return None
        body = self.harness.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        report: dict[str, Any] = json.loads(body)
        return report


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in LOCAL_ENVIRONMENT.items():
            patch.setenv(name, value)
        patch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            harness = Harness.create(boto3.session.Session(region_name=REGION))
            result = Site(harness, site_config(), {})
            for name, raw in baseline_posts().items():
                harness.upload(name, raw)
            result.drain()
            assert result.failures == []
            result.baseline = harness.site()
            yield result


def test_baseline_site_is_published(site: Site) -> None:
    for name in baseline_posts():
        state = site.harness.state(name)
        assert state.record is not None and state.record.live, name
    assert {"index.html", "404.html", "category/xiamenribao.html", "tag/金融.html"} <= set(
        site.baseline
    )


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_hostile_upload(case: Case, site: Site) -> None:
    if reason := unsupported(case, site.config):
        pytest.skip(reason)
    harness = site.harness
    before = harness.site()
    site.failures.clear()
    try:
        # Given the site, When the hostile file is uploaded and every event delivered
        version = harness.upload(case.name, source_bytes(case, site.config))
        site.drain()
        # Then no handler failed (a crash would retry the message into the dead-letter queue)
        assert site.failures == []
        if case.outcome == "rejected":
            check_rejected(case, site, before, version)
        elif case.outcome == "waiting":
            check_waiting(case, site, before, version)
        else:
            check_published(case, site, before)
    finally:
        # When the file is deleted again
        harness.delete(case.name)
        site.drain()
    # Then the site is byte-for-byte what it was, and no report is left behind
    assert site.failures == []
    assert changed_pages(before, harness.site()) == []
    assert site.report(case.name) is None


def test_site_is_the_baseline_after_the_whole_corpus(site: Site) -> None:
    assert site.harness.site() == site.baseline


def changed_pages(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """Keys added, removed or not byte-identical."""
    return sorted(key for key in after.keys() | before.keys() if after.get(key) != before.get(key))


def check_rejected(case: Case, site: Site, before: dict[str, bytes], version: str) -> None:
    # no page changed by a single byte
    assert changed_pages(before, site.harness.site()) == []
    # the post is not recorded as published, and the rejection says why and how to fix it
    state = site.harness.state(case.name)
    assert state.record is None or not state.record.live
    assert state.rejection is not None
    assert state.rejection.source_version == version
    problems = [str(problem) for problem in state.rejection.problems]
    for expected in case.problems:
        where = f"line {expected.line}, " if expected.line else ""
        assert any(
            f"{expected.field}: " in problem
            and expected.message in problem
            and problem.startswith(where)
            for problem in problems
        ), (expected, problems)
    assert all("(fix: " in problem for problem in problems)
    # the editor's report in the source bucket names the same problems
    report = site.report(case.name)
    assert report is not None, f"no report for {case.key}"
    assert report["source_key"] == case.key
    assert report["version_id"] == version
    assert report["summary"]
    assert problem_mismatches(case, report["problems"]) == []


def check_waiting(case: Case, site: Site, before: dict[str, bytes], version: str) -> None:
    # no page changed by a single byte, and the post is not rejected: it waits for its URL
    assert changed_pages(before, site.harness.site()) == []
    state = site.harness.state(case.name)
    assert state.rejection is None
    assert state.record is not None and state.record.status == "waiting"
    assert state.record.url == case.url
    # the editor's report is a note naming the post that keeps the URL
    report = site.report(case.name)
    assert report is not None, f"no report for {case.key}"
    assert report["status"] == "waiting" and report["version_id"] == version
    assert problem_mismatches(case, report["problems"]) == []


def check_published(case: Case, site: Site, before: dict[str, bytes]) -> None:
    harness = site.harness
    state = harness.state(case.name)
    assert state.rejection is None, state.rejection
    assert state.record is not None and state.record.live and state.record.listed is not None
    listed = state.record.listed
    assert listed.url == case.url
    if case.warnings is not None:
        assert len(state.record.warnings) == case.warnings, state.record.warnings
    assert listed.title == case.title
    # only the post's page, home, and its own category and tag pages changed
    urls = SiteUrls(site.config)
    post_key = key_for_url(case.url)
    own = {post_key, "index.html", key_for_url(urls.feed(None))}
    month_shard = key_for_url(urls.sitemap(listed.month))
    own |= {month_shard, key_for_url(urls.sitemap("")), key_for_url(site.config.sitemap_path)}
    for kind, terms in (("category", listed.categories), ("tag", listed.tags)):
        for term in terms:
            own.add(key_for_url(urls.landing(kind, term.slug)))
            own.add(key_for_url(urls.archive(kind, term.slug, listed.month)))
            own.add(key_for_url(urls.feed(kind, term.slug)))
    after = harness.site()
    changed = set(changed_pages(before, after))
    assert changed - own == set()
    assert not before.keys() - after.keys(), "a page was removed"
    assert post_key not in before and post_key in changed and "index.html" in changed
    # every feed it entered is still valid Atom, with the title as written
    for key in changed:
        if key.endswith(".xml") and key.startswith("feed"):
            assert listed.title in [entry.title for entry in read_atom(after[key]).entries]
    # and the sitemap lists it, percent-encoded, as the path S3 serves it at (unless that is
    # longer than the protocol allows)
    found = {path_of(loc) for loc in read_sitemap(after[month_shard], site.config.url)}
    assert (case.url in found) == (len(location(case.url, urls)) <= MAX_LOC)
    # the reader sees the title as written, in the page and in the listings, and nothing unsafe
    pages = {key: after[key].decode("utf-8") for key in changed}
    assert post_page_mismatches(case, pages[post_key], site.config.title) == []
    escaped = str(escape(case.title))  # as Jinja's autoescape writes it
    assert f"<title>{escaped} | " in pages[post_key] and f">{escaped}</a>" in pages["index.html"]
    link = href(case.url)
    for key in ["index.html"] + [
        key_for_url(urls.landing(kind, term.slug))
        for kind, terms in (("category", listed.categories), ("tag", listed.tags))
        for term in terms
    ]:
        titles = [
            text
            for name, attrs, text in read_page(pages[key]).texts
            if name == "a" and attrs.get("href") == link
        ]
        assert titles == [case.title], key
    for key, html in pages.items():
        assert unsafe_markup(html, allow_body_script=case.trusted_body and key == post_key) == [], (
            key
        )
        assert [text for text in case.absent if text in html] == [], key
    if case.trusted_body:
        kept = "<script>" in pages[post_key]
        assert kept is not getattr(site.config, "sanitize", False)
