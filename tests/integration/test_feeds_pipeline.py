"""Feeds through the pipeline: a post published, edited, moved or deleted enters, changes in
or leaves every feed it belongs to, and each feed is served as Atom."""

from __future__ import annotations

from support.feeds import AtomFeed, read_atom
from support.harness import Harness
from support.posts import PostFactory

SITE_FEED = "feed.xml"
PORT_FEED = "feed/xiamenribao.xml"
SHIPPING_FEED = "feed/hangyun.xml"
TAG_FEED = "feed/by_tag/厦门日报新闻.xml"


def feeds(local: Harness) -> dict[str, AtomFeed]:
    site = local.site()
    return {
        key: read_atom(body)
        for key, body in site.items()
        if key.endswith(".xml") and key.startswith("feed")
    }


def publish_two_posts(local: Harness, post_text: PostFactory) -> None:
    """Two posts of one category and tag, the second a day newer, published."""
    local.upload("2026-03-20-port.md", post_text(title="港口吞吐量创新高"))
    local.upload(
        "2026-03-21-ships.md", post_text(title="船舶进港", date="2026-03-21 08:00:00 +0800")
    )
    local.drain()


def titles(feed: AtomFeed) -> list[str]:
    return [entry.title for entry in feed.entries]


def test_a_published_post_is_in_the_site_feed_and_the_feed_of_each_of_its_terms(
    local: Harness, post_text: PostFactory
) -> None:
    # Given two posts of one category and tag, when the pipeline has run
    publish_two_posts(local, post_text)
    # Then every feed they belong to lists them, newest first, and is served as Atom
    found = feeds(local)
    assert set(found) == {SITE_FEED, PORT_FEED, TAG_FEED}
    for feed in found.values():
        assert titles(feed) == ["船舶进港", "港口吞吐量创新高"]
    head = local.s3.head_object(Bucket=local.settings.site_bucket, Key=SITE_FEED)
    assert head["ContentType"] == "application/atom+xml; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=600, s-maxage=3600"
    entry = found[PORT_FEED].entries[1]
    assert entry.id == "https://finews.withounder.com/xiamenribao/2026/03/20/port"
    assert entry.updated == "2026-03-20T16:12:47+08:00"


def test_an_edit_a_move_and_a_delete_reach_every_feed(
    local: Harness, post_text: PostFactory
) -> None:
    publish_two_posts(local, post_text)
    # When one post's title is edited
    local.upload("2026-03-20-port.md", post_text(title="港口吞吐量再创新高"))
    local.drain()
    # Then it changes in every feed it is in
    for feed in feeds(local).values():
        assert titles(feed) == ["船舶进港", "港口吞吐量再创新高"]
    # When it moves to another category
    local.upload("2026-03-20-port.md", post_text(title="港口吞吐量再创新高", categories="hangyun"))
    local.drain()
    found = feeds(local)
    # Then it leaves its old category's feed and enters the new one's, with its new URL's id
    assert titles(found[PORT_FEED]) == ["船舶进港"]
    assert titles(found[SHIPPING_FEED]) == ["港口吞吐量再创新高"]
    assert found[SHIPPING_FEED].entries[0].id.endswith("/hangyun/2026/03/20/port")
    assert titles(found[SITE_FEED]) == ["船舶进港", "港口吞吐量再创新高"]
    # When the other post is deleted
    local.delete("2026-03-21-ships.md")
    local.drain()
    found = feeds(local)
    # Then it leaves every feed, and the feed of the category it emptied is gone
    assert set(found) == {SITE_FEED, SHIPPING_FEED, TAG_FEED}
    assert titles(found[SITE_FEED]) == titles(found[TAG_FEED]) == ["港口吞吐量再创新高"]
    # When the last post is deleted, no feed is left
    local.delete("2026-03-20-port.md")
    local.drain()
    assert feeds(local) == {}
