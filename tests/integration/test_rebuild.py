"""Rebuild and repair: lost notifications, lost deletes, and a template change."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

from pressroom.composition import Pipeline, pipeline_from_settings
from support.harness import Harness
from support.paths import ROOT
from support.posts import PostFactory

PAGE = "xiamenribao/2026/03/20/port.html"


def titled(site: dict[str, bytes]) -> dict[str, bytes]:
    """The site's pages that show its title (robots.txt and sitemaps do not)."""
    return {
        key: body
        for key, body in site.items()
        if key != "robots.txt" and not key.startswith("sitemap")
    }


def test_reconcile_publishes_a_post_whose_notification_was_lost(
    local: Harness, post_text: PostFactory
) -> None:
    # Given an upload whose notification never arrives
    local.upload("2026-03-20-port.md", post_text())
    local.take_messages()
    # When the daily reconciliation runs (the Rebuild function with mode reconcile)
    report = local.invoke("RebuildFunction", {"mode": "reconcile"})
    local.drain()
    # Then the post is published and the report names it
    assert report["republished"] == ["posts/2026-03-20-port.md"] and report["removed"] == []
    assert PAGE in local.site() and f"/{PAGE}" in local.site()["index.html"].decode()


def test_reconcile_takes_down_a_post_whose_delete_was_lost(
    local: Harness, post_text: PostFactory
) -> None:
    local.upload("2026-03-20-port.md", post_text())
    local.upload("2026-03-21-bank.md", post_text(title="银行", categories="", tags=""))
    local.drain()
    local.delete("2026-03-20-port.md")
    local.take_messages()
    assert PAGE in local.site()
    report = local.pipeline.rebuilder().reconcile()
    local.drain()
    assert report.removed == ["posts/2026-03-20-port.md"]
    assert PAGE not in local.site() and "category/xiamenribao.html" not in local.site()


def test_reconcile_catches_up_with_a_lost_update_and_keeps_the_event_order(
    local: Harness, post_text: PostFactory
) -> None:
    # Given a post, then a new version whose notification is lost
    local.upload("2026-03-20-port.md", post_text(title="第一版"))
    (first,) = local.take_messages()
    local.deliver(first)
    local.upload("2026-03-20-port.md", post_text(title="第二版"))
    local.take_messages()
    # When reconciled, the second version is live
    assert local.pipeline.rebuilder().reconcile().republished == ["posts/2026-03-20-port.md"]
    local.drain()
    assert "第二版" in local.site()[PAGE].decode()
    # And a late duplicate of the first notification still changes nothing
    local.deliver(first)
    assert "第二版" in local.site()[PAGE].decode()
    # And a second reconciliation finds nothing to repair
    again = local.pipeline.rebuilder().reconcile()
    assert again.republished == [] and again.removed == []


BROKEN = '---\ntitle: "港口"创新"高"\ndate: 2026-03-20 16:12:47 +0800\n---\n<p>正文</p>\n'


def test_reconcile_leaves_a_rejected_upload_alone(local: Harness, post_text: PostFactory) -> None:
    """Given a live post whose newest upload was rejected, when reconciled, then nothing is
    republished: the rejection already describes the current version."""
    local.upload("2026-03-20-port.md", post_text(title="第一版"))
    local.upload("2026-03-21-bank.md", BROKEN)
    local.drain()
    local.upload("2026-03-20-port.md", BROKEN)
    local.drain()

    report = local.pipeline.rebuilder().reconcile()

    assert report.republished == [] and report.removed == []


def test_reconcile_repairs_a_lost_upload_that_follows_a_rejection(
    local: Harness, post_text: PostFactory
) -> None:
    """Given a live post, a rejected re-upload, then a corrected upload whose notification is
    lost, when reconciled, then the corrected version is live and the rejection and its report
    are gone."""
    local.upload("2026-03-20-port.md", post_text(title="第一版"))
    local.drain()
    local.upload("2026-03-20-port.md", BROKEN)
    local.drain()
    local.upload("2026-03-20-port.md", post_text(title="第三版"))
    local.take_messages()

    report = local.pipeline.rebuilder().reconcile()
    local.drain()

    assert report.republished == ["posts/2026-03-20-port.md"]
    assert "第三版" in local.site()[PAGE].decode()
    assert local.state("2026-03-20-port.md").rejection is None
    reports = local.s3.list_objects_v2(Bucket=local.settings.source_bucket, Prefix="reports/")
    assert reports.get("Contents", []) == []


def changed_templates(tmp_path: Path) -> Path:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    config = templates / "site.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("title: 金融消息", "title: 财经快讯"),
        encoding="utf-8",
    )
    return templates


def test_rebuild_after_a_template_change_rewrites_every_page_once(
    local: Harness, post_text: PostFactory, tmp_path: Path
) -> None:
    # Given a published site
    local.upload("2026-03-20-port.md", post_text())
    local.upload("2026-03-21-bank.md", post_text(title="银行", categories="cailianshe"))
    local.drain()
    before = local.site()
    assert all("金融消息" in body.decode() for body in titled(before).values())
    # When the site title changes and a rebuild runs with bounded concurrency
    settings = local.settings.model_copy(update={"templates_dir": changed_templates(tmp_path)})
    pipeline: Pipeline = pipeline_from_settings(settings, local.session)
    progress: list[tuple[str, int, int]] = []
    report = pipeline.rebuilder(lambda *step: progress.append(step)).rebuild(workers=3)
    # Then every page shows the new title, and progress was reported up to the totals
    after = local.site()
    assert after.keys() == before.keys()
    assert all(
        "财经快讯" in body.decode() and "金融消息" not in body.decode()
        for body in titled(after).values()
    )
    assert report.posts == 2 and report.pages == len(after) - 2
    assert ("posts", 2, 2) in progress and ("pages", report.pages, report.pages) in progress
    # And a second rebuild writes nothing: every page already has these bytes
    writes: Counter[str] = Counter()
    pipeline.publish.site.client.meta.events.register(
        "before-call.s3.PutObject", lambda **_: writes.update(["put"])
    )
    pipeline.rebuilder().rebuild()
    assert writes["put"] == 0
