"""A fanned-out rebuild's plan steps over fakes: how keys and terms become parts, when a step
continues itself, and that a step delivered again sends nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from pressroom.model import TermCount
from pressroom.usecases.rebuild import (
    FannedRebuild,
    FanOut,
    JobProgress,
    Rebuilder,
)


@dataclass
class Queue:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, messages: list[dict[str, Any]]) -> None:
        self.sent += messages


@dataclass
class Listing:
    keys: list[str]
    pages: int = 0

    def page(self, prefix: str, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
        self.pages += 1
        start = int(cursor or 0)
        end = start + limit
        return self.keys[start:end], str(end) if end < len(self.keys) else None


@dataclass
class Jobs:
    steps: set[str] = field(default_factory=set)
    parts: int | None = None

    def start(self, job: str) -> None: ...

    def step_done(self, job: str, step: str) -> bool:
        new = step not in self.steps
        self.steps.add(step)
        return new

    def step_seen(self, job: str, step: str) -> bool:
        return step in self.steps

    def part_done(self, job: str, part: int) -> None: ...

    def planned(self, job: str, parts: int) -> None:
        self.parts = parts

    def progress(self, job: str) -> JobProgress | None:
        return JobProgress(self.parts, 0, False)

    def invalidated(self, job: str) -> None: ...


class Terms:
    def terms(self, kind: str) -> list[TermCount]:
        if kind == "category":
            return [TermCount("big", "Big", 5_000), TermCount("a", "A", 3), TermCount("b", "B", 4)]
        return [TermCount(f"t{n}", f"T{n}", 1) for n in range(12)]


@dataclass
class Builder:
    repository: Terms = field(default_factory=Terms)


def fanned(keys: list[str], time_left: float = 900.0) -> tuple[FannedRebuild, Queue, Listing]:
    queue, listing = Queue(), Listing(keys)
    rebuilder = Rebuilder(cast(Any, None), cast(Any, Builder()))
    fanout = FanOut(queue, listing, Jobs())
    return FannedRebuild(rebuilder, fanout, lambda: time_left), queue, listing


def plan(stage: str = "posts", cursor: str | None = None, part: int = 0) -> dict[str, Any]:
    return {"rebuild": "j", "plan": {"stage": stage, "cursor": cursor, "part": part}}


KEYS = [f"posts/{n:05d}.md" for n in range(2_500)]


def test_a_step_lists_every_page_and_sends_ten_keys_a_part_then_the_terms_step() -> None:
    rebuild, queue, listing = fanned(KEYS)

    rebuild.handle(plan())

    *parts, following = queue.sent
    assert listing.pages == 3 and len(parts) == 250
    assert [p["part"] for p in parts] == list(range(250))
    assert [k for p in parts for k in p["posts"]] == KEYS
    assert following == plan("terms", None, 250)


def test_a_step_short_of_time_continues_itself_after_one_page() -> None:
    rebuild, queue, listing = fanned(KEYS, time_left=30.0)

    rebuild.handle(plan())

    *parts, following = queue.sent
    assert listing.pages == 1 and len(parts) == 100
    assert following == plan("posts", "1000", 100)


def test_a_step_delivered_again_sends_nothing() -> None:
    rebuild, queue, _ = fanned(KEYS)
    rebuild.handle(plan())
    sent = len(queue.sent)

    rebuild.handle(plan())

    assert len(queue.sent) == sent


def test_terms_are_grouped_by_count_and_size_and_the_first_part_has_the_site_pages() -> None:
    rebuild, queue, _ = fanned([])

    rebuild.handle(plan("terms", None, 7))

    groups = [(p["part"], p["terms"], p["site"]) for p in queue.sent]
    assert groups[0] == (7, [["category", "a"], ["category", "b"]], True)
    assert groups[1] == (8, [["category", "big"]], False)  # over 2,000 posts: alone
    assert [len(terms) for _, terms, _ in groups[2:]] == [10, 2]
    assert cast(Jobs, rebuild._fanout.jobs).parts == 11
