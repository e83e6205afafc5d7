"""A new kind of page is one module, one template and one registry line: the folder build
produces it, the pipeline marks it stale and rebuilds it, a full rebuild re-renders it, and the
CDN is told each time it changes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.page_kind import titles
from pressroom import pages
from pressroom.composition import pipeline_from_settings
from pressroom_dev.folder import build_site
from support.cdn import RecordingCdn, with_cdn
from support.harness import Harness
from support.paths import ROOT
from support.posts import PostFactory

TEMPLATE = "<ul>{% for entry in entries %}<li>{{ entry.title }}</li>{% endfor %}</ul>\n"


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The site's templates plus the new kind's template, and the kind in the registry."""
    copy = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", copy)
    (copy / "layouts" / "titles.html").write_text(TEMPLATE, encoding="utf-8")  # one template
    monkeypatch.setattr(pages, "REGISTRY", (*pages.REGISTRY, titles.KIND))  # one registry line
    yield copy


def test_the_folder_build_produces_the_new_kind(
    templates: Path, tmp_path: Path, post_text: PostFactory
) -> None:
    # Given two posts, When the site is built from the folder
    sources = [
        ("posts/2026-03-20-port.md", post_text(title="港口新闻").encode()),
        ("posts/2026-03-21-metro.md", post_text(title="地铁新闻").encode()),
    ]
    report = build_site(sources, templates, tmp_path / "out", jobs=1)
    # Then the new page lists both titles, and it is not taken for a post layout
    page = (tmp_path / "out" / "titles.html").read_text(encoding="utf-8")
    assert page == "<ul><li>地铁新闻</li><li>港口新闻</li></ul>\n"
    assert len(report.published) == 2


def test_the_pipeline_marks_it_stale_rebuilds_and_invalidates_it(
    local: Harness, templates: Path, post_text: PostFactory
) -> None:
    # Given the pipeline on the templates with the new kind, and a CDN that records paths
    settings = local.settings.model_copy(update={"templates_dir": templates})
    cdn = RecordingCdn()
    with_cdn(local, pipeline_from_settings(settings, local.session), cdn)
    assert "titles" not in local.pipeline.publish.renderer.post_layouts
    # When a post is uploaded and the events are delivered
    local.upload("2026-03-20-port.md", post_text(title="港口新闻"))
    local.drain()
    # Then the page exists and was invalidated with the batch
    assert local.page("titles.html") == "<ul><li>港口新闻</li></ul>\n"
    assert "/titles.html" in cdn.paths
    # When a second post arrives, the page changes and is invalidated again
    cdn.batches.clear()
    local.upload(
        "2026-03-21-metro.md", post_text(title="地铁新闻", date="2026-03-21 08:00:00 +0800")
    )
    local.drain()
    assert local.page("titles.html") == "<ul><li>地铁新闻</li><li>港口新闻</li></ul>\n"
    assert "/titles.html" in cdn.paths
    # When the template changes and a full rebuild runs (a new container reads the templates)
    (templates / "layouts" / "titles.html").write_text("<ol>" + TEMPLATE[4:], encoding="utf-8")
    with_cdn(local, pipeline_from_settings(settings, local.session), cdn)
    cdn.batches.clear()
    report = local.pipeline.rebuilder().rebuild(workers=2)
    local.drain()  # the rebuild's writes reach BuildIndexes through the stream
    # Then the page is re-rendered from the table and invalidated
    assert local.page("titles.html") == "<ol><li>地铁新闻</li><li>港口新闻</li></ul>\n"
    assert ["/titles.html"] in cdn.batches
    assert report.pages == len(pages.every_page(local.repository))


def test_the_new_kind_is_not_known_without_its_registry_line() -> None:
    # Given the registry as shipped, Then nothing of the new kind is stale or enumerated
    assert titles.KIND not in pages.REGISTRY
    assert all(kind.name != "titles" for kind in pages.REGISTRY)
