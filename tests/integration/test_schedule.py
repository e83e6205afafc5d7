"""Future-dated posts: published by an EventBridge Scheduler one-time schedule at their date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from support.harness import Harness
from support.posts import PostFactory

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FUTURE = "2026-03-10 09:00:00 +0800"
PAGE = "xiamenribao/2026/03/10/port.html"


@pytest.fixture
def clocked(local: Harness) -> Harness:
    local.pipeline.publish.clock = lambda: NOW
    return local


def at(local: Harness, when: datetime) -> None:
    local.pipeline.publish.clock = lambda: when
    local.stack.drain(local.invoke, now=when)


def test_a_future_post_appears_at_its_date_and_not_before(
    clocked: Harness, post_text: PostFactory
) -> None:
    # Given a post dated nine days ahead
    clocked.upload("2026-03-10-port.md", post_text(date=FUTURE))
    at(clocked, NOW)
    # Then it is nowhere on the site, and one schedule waits for its date (UTC)
    assert PAGE not in clocked.site() and "index.html" not in clocked.site()
    assert clocked.state("2026-03-10-port.md").record.status == "scheduled"
    (schedule,) = clocked.stack.schedules()
    assert schedule["ScheduleExpression"] == "at(2026-03-10T01:00:00)"
    # When the clock passes an hour before the date, nothing fires
    at(clocked, datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    assert PAGE not in clocked.site()
    # When the date comes, the schedule fires and the post is published, listings and all
    at(clocked, datetime(2026, 3, 10, 1, 0, 5, tzinfo=UTC))
    site = clocked.site()
    assert PAGE in site and f"/{PAGE}" in site["category/xiamenribao.html"].decode()
    assert clocked.stack.schedules() == []
    assert clocked.state("2026-03-10-port.md").record.status == "published"


def test_redating_a_scheduled_post_to_the_past_publishes_it_and_drops_the_schedule(
    clocked: Harness, post_text: PostFactory
) -> None:
    clocked.upload("2026-03-10-port.md", post_text(date=FUTURE))
    at(clocked, NOW)
    clocked.upload("2026-03-10-port.md", post_text(date="2026-02-27 09:00:00 +0800"))
    at(clocked, NOW)
    assert "xiamenribao/2026/02/27/port.html" in clocked.site()
    assert clocked.stack.schedules() == []


def test_moving_a_scheduled_date_replaces_its_schedule(
    clocked: Harness, post_text: PostFactory
) -> None:
    clocked.upload("2026-03-10-port.md", post_text(date=FUTURE))
    at(clocked, NOW)
    clocked.upload("2026-03-10-port.md", post_text(date="2026-03-20 09:00:00 +0800"))
    at(clocked, NOW)
    (schedule,) = clocked.stack.schedules()
    assert schedule["ScheduleExpression"] == "at(2026-03-20T01:00:00)"
    # the first date passes: nothing is published, the old schedule is gone
    at(clocked, datetime(2026, 3, 11, tzinfo=UTC))
    assert not [key for key in clocked.site() if key.endswith("port.html")]


def test_deleting_a_scheduled_post_cancels_its_schedule(
    clocked: Harness, post_text: PostFactory
) -> None:
    clocked.upload("2026-03-10-port.md", post_text(date=FUTURE))
    at(clocked, NOW)
    clocked.delete("2026-03-10-port.md")
    at(clocked, NOW)
    assert clocked.stack.schedules() == []
    at(clocked, datetime(2026, 3, 11, tzinfo=UTC))
    assert PAGE not in clocked.site()


def test_a_schedule_that_fires_early_is_kept(clocked: Harness, post_text: PostFactory) -> None:
    # Given a scheduled post whose schedule fires while the function's clock is still early
    clocked.upload("2026-03-10-port.md", post_text(date=FUTURE))
    at(clocked, NOW)
    clocked.pipeline.publish.clock = lambda: datetime(2026, 3, 10, 0, 59, 59, tzinfo=UTC)
    # (the function's clock never reaches the date here, so each round fires it again: two do)
    clocked.stack.drain(clocked.invoke, now=datetime(2026, 3, 10, 1, 0, tzinfo=UTC), max_rounds=2)
    # Then the post stays scheduled and a schedule exists again, so it is published later
    assert PAGE not in clocked.site()
    assert len(clocked.stack.schedules()) == 1
    at(clocked, datetime(2026, 3, 10, 1, 0, 1, tzinfo=UTC))
    assert PAGE in clocked.site()


def test_a_scheduled_post_goes_live_although_a_newer_upload_was_rejected(
    clocked: Harness, post_text: PostFactory
) -> None:
    """Given a scheduled post, then a broken re-upload (rejected, reported), when its date
    comes, then the scheduled version, the newest valid one, is published and the rejection of
    the newer upload stays."""
    clocked.upload("2026-03-10-port.md", post_text(date=FUTURE))
    at(clocked, NOW)
    clocked.upload("2026-03-10-port.md", '---\ntitle: "港口"创新"高"\ndate: 2026-03-10\n---\nx\n')
    at(clocked, NOW)
    assert clocked.state("2026-03-10-port.md").rejection is not None

    at(clocked, datetime(2026, 3, 10, 1, 0, 5, tzinfo=UTC))

    state = clocked.state("2026-03-10-port.md")
    assert state.record is not None and state.record.status == "published"
    assert PAGE in clocked.site()
    assert state.rejection is not None
