"""Turning the sample Lambda events of events/ into keys and dirty pages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pressroom import pages
from pressroom.adapters.dynamodb import DynamoTableChanges
from pressroom.config import SiteConfig
from pressroom.events import (
    changed_items,
    first_sequence_number,
    is_s3_notification,
    source_changes,
    source_changes_from_sqs,
)
from pressroom.model import PageRef, SourceChange
from pressroom.usecases.records import sequencer_order

EVENTS = Path(__file__).resolve().parents[2] / "events"


def dirty_pages(images: Iterable[Mapping[str, Any]], config: SiteConfig) -> set[PageRef]:
    """The pages a batch of stream images makes stale: decoded by the table's adapter, then
    asked of every registered kind of page."""
    return pages.stale_pages(DynamoTableChanges().index_changes(images), config)


def event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def test_a_put_notification_names_the_key_version_and_sequencer() -> None:
    put = event("s3-put.json")
    assert is_s3_notification(put)
    assert source_changes(put) == [
        SourceChange(
            "posts/2026-03-20-nev-retail-sales.md",
            removed=False,
            version_id="3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
            sequencer="0069E3B0A1C2D3E4F5",
        )
    ]


def test_a_delete_marker_is_a_removal() -> None:
    (change,) = source_changes(event("s3-delete.json"))
    assert change.removed and change.key == "posts/2026-03-20-nev-retail-sales.md"


def test_the_url_encoded_key_of_the_event_is_decoded() -> None:
    # Given a key with a space (+), a plus (%2B), a percent sign (%25) and Chinese
    (change,) = source_changes(event("s3-put-encoded-key.json"))
    assert change.key == "posts/2026 新闻/a b+c%.md"


def test_the_test_event_and_keys_outside_posts_are_ignored() -> None:
    assert source_changes(event("s3-test-event.json")) == []
    outside = event("s3-put.json")
    outside["Records"][0]["s3"]["object"]["key"] = "assets/logo.png"
    assert source_changes(outside) == []


def test_an_sqs_batch_carries_the_notifications_as_bodies() -> None:
    records = [SQSRecord(record) for record in event("sqs-s3-put.json")["Records"]]
    assert [len(source_changes_from_sqs(record)) for record in records] == [1, 0]
    assert not is_s3_notification(event("sqs-s3-put.json"))


def test_sequencers_compare_once_padded() -> None:
    # S3 sequencers of one key are hex of varying length: pad before comparing
    assert sequencer_order("FF") < sequencer_order("100")
    assert sequencer_order("0069e3b0") == sequencer_order("69E3B0")
    assert sequencer_order("") == ""


def test_a_stream_batch_makes_the_touched_pages_dirty() -> None:
    # Given a membership insert, a home listing insert and a category count change
    batch = event("dynamodb-stream.json")
    pages = dirty_pages(changed_items(batch), SiteConfig())
    # Then the category landing page, its March archive, its feed, the home and 404 pages,
    # the site's feed, robots.txt and the sitemap's pages shard are dirty
    assert pages == {
        PageRef("category", "cailianshe"),
        PageRef("category_archive", "cailianshe", "2026-03"),
        PageRef("feed_category", "cailianshe"),
        PageRef("home"),
        PageRef("not_found"),
        PageRef("feed"),
        PageRef("robots"),
        PageRef("sitemap"),
    }
    assert first_sequence_number(batch) == "1100000000000000000001"


def test_the_archive_month_is_the_site_time_zone_month() -> None:
    # Given a post at 2026-02-28T17:00Z, which is March 1st in Shanghai
    image = {"PK": "CAT#a", "SK": "2026-02-28T17:00:00Z#posts/x.md"}
    assert PageRef("category_archive", "a", "2026-03") in dirty_pages([image], SiteConfig())
    utc = SiteConfig(timezone="UTC")
    assert PageRef("category_archive", "a", "2026-02") in dirty_pages([image], utc)


def test_url_claims_and_rejections_make_nothing_dirty() -> None:
    images = [{"PK": "URL#/x.html", "SK": "OWNER"}, {"PK": "POST#posts/x.md", "SK": "ERROR"}]
    assert dirty_pages(images, SiteConfig()) == set()


def test_post_items_make_nothing_dirty_by_themselves() -> None:
    # a post's listings (ALL, CAT#, TAG#, counters) change with it whenever a page must change
    assert dirty_pages([{"PK": "POST#posts/x.md", "SK": "META"}], SiteConfig()) == set()


def test_a_count_change_dirties_the_landing_page_of_its_slug_only() -> None:
    # Given a per-spelling count item (`<slug>#<spelling>`) of a category and of a tag
    images = [{"PK": "CATS", "SK": "cailianshe#CaiLianShe"}, {"PK": "TAGS", "SK": "a#A"}]
    # Then the landing pages of the slugs are dirty (and the home page, which lists categories),
    # never a phantom page named after the item's key
    assert dirty_pages(images, SiteConfig()) == {
        PageRef("category", "cailianshe"),
        PageRef("tag", "a"),
        PageRef("home"),
    }


def test_a_month_count_change_dirties_the_landing_page() -> None:
    images = [{"PK": "MONTHS#TAG#x", "SK": "2026-03"}]
    assert dirty_pages(images, SiteConfig()) == {PageRef("tag", "x")}
