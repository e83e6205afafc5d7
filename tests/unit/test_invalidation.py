"""Keeping the CDN fresh: paths as CloudFront wants them, the outbox written before the pages,
one invalidation per flush, idempotent retries, a wildcard past the threshold."""

from __future__ import annotations

import pytest

from pressroom.errors import TransientError
from pressroom.model import PendingInvalidation, RenderedPage
from pressroom.usecases.cdn import (
    FLUSH_ENTRIES,
    Invalidations,
    PageWriter,
    invalidation_path,
)

PAGE = RenderedPage(b"<p>new</p>", "text/html; charset=utf-8", "public, max-age=60")


class MemorySite:
    def __init__(self, objects: dict[str, bytes], log: list[str]) -> None:
        self.objects, self.log = objects, log

    def differs(self, key: str, page: RenderedPage | None) -> bool:
        return self.objects.get(key) != (page.body if page else None)

    def put_page(self, key: str, page: RenderedPage) -> None:
        self.log.append(f"put {key}")
        self.objects[key] = page.body

    def delete_page(self, key: str) -> None:
        self.log.append(f"delete {key}")
        self.objects.pop(key, None)


class MemoryOutbox:
    def __init__(self, log: list[str]) -> None:
        self.entries: dict[str, tuple[str, ...]] = {}
        self.log = log
        self.recorded = 0

    def record(self, paths: list[str]) -> None:
        self.log.append(f"record {' '.join(paths)}")
        self.entries[f"{self.recorded:04d}"] = tuple(paths)
        self.recorded += 1

    def pending(self, limit: int) -> list[PendingInvalidation]:
        return [PendingInvalidation(k, v) for k, v in sorted(self.entries.items())[:limit]]

    def done(self, ids: list[str]) -> None:
        for entry in ids:
            del self.entries[entry]


class RecordingCdn:
    def __init__(self, failures: int = 0) -> None:
        self.requests: list[tuple[list[str], str]] = []
        self.failures = failures

    def invalidate(self, paths: list[str], reference: str) -> str:
        self.requests.append((paths, reference))
        if self.failures:
            self.failures -= 1
            raise TransientError("cloudfront:CreateInvalidation failed: ServiceUnavailable")
        return f"I{len(self.requests)}"


@pytest.mark.parametrize(
    ("key", "path"),
    [
        ("index.html", "/index.html"),
        ("x/index.html", "/x/index.html"),
        ("category/财联社.html", "/category/%E8%B4%A2%E8%81%94%E7%A4%BE.html"),
        ("a b/c~d.html", "/a%20b/c%7Ed.html"),
        ("tag/C++.html", "/tag/C++.html"),
        ("q/100%.html", "/q/100%25.html"),
    ],
)
def test_paths_are_keys_encoded_as_cloudfront_requires(key: str, path: str) -> None:
    assert invalidation_path(key) == path


def test_changed_pages_reach_the_outbox_before_they_are_written() -> None:
    # Given a site with one unchanged and one stale page, and a page to delete
    log: list[str] = []
    site = MemorySite({"same.html": PAGE.body, "old.html": b"old", "gone.html": b"x"}, log)
    outbox = MemoryOutbox(log)
    # When the three are written
    changed = PageWriter(site, outbox).write(
        {"same.html": PAGE, "old.html": PAGE, "gone.html": None, "never.html": None}
    )
    # Then only what changes is recorded, in one entry, before any write
    assert changed == ["old.html", "gone.html"]
    assert log == ["record /gone.html /old.html", "put old.html", "delete gone.html"]


def test_nothing_is_recorded_when_nothing_changes() -> None:
    log: list[str] = []
    outbox = MemoryOutbox(log)
    assert PageWriter(MemorySite({"a.html": PAGE.body}, log), outbox).write({"a.html": PAGE}) == []
    assert log == [] and outbox.entries == {}


def test_a_flush_is_one_invalidation_of_every_pending_path() -> None:
    outbox = MemoryOutbox([])
    outbox.record(["/a.html", "/index.html"])
    outbox.record(["/index.html", "/b.html"])
    cdn = RecordingCdn()
    assert Invalidations(outbox, cdn).flush() == ["/a.html", "/b.html", "/index.html"]
    assert [paths for paths, _ in cdn.requests] == [["/a.html", "/b.html", "/index.html"]]
    assert outbox.entries == {}
    # An empty outbox sends nothing
    assert Invalidations(outbox, cdn).flush() == [] and len(cdn.requests) == 1


def test_a_failed_invalidation_keeps_its_paths_and_its_retry_is_the_same_request() -> None:
    # Given a CDN that fails once
    outbox = MemoryOutbox([])
    outbox.record(["/a.html"])
    cdn = RecordingCdn(failures=1)
    flush = Invalidations(outbox, cdn)
    # When the flush fails, the outbox still holds the path
    with pytest.raises(TransientError):
        flush.flush()
    assert outbox.pending(10) == [PendingInvalidation("0000", ("/a.html",))]
    # Then the retry sends the same batch with the same caller reference, and empties it
    assert flush.flush() == ["/a.html"]
    first, second = cdn.requests
    assert first == second and first[1].startswith("pressroom-")
    assert outbox.entries == {}


def test_a_different_batch_gets_a_different_reference() -> None:
    outbox = MemoryOutbox([])
    cdn = RecordingCdn()
    outbox.record(["/a.html"])
    Invalidations(outbox, cdn).flush()
    outbox.record(["/a.html"])
    Invalidations(outbox, cdn).flush()
    assert cdn.requests[0][1] != cdn.requests[1][1]


def test_past_the_threshold_one_wildcard_replaces_the_paths() -> None:
    outbox = MemoryOutbox([])
    outbox.record([f"/p/{n}.html" for n in range(4)])
    cdn = RecordingCdn()
    assert Invalidations(outbox, cdn, wildcard_after=3).flush() == ["/*"]
    assert cdn.requests[0][0] == ["/*"]


def test_a_large_outbox_is_flushed_in_bounded_reads() -> None:
    outbox = MemoryOutbox([])
    for n in range(FLUSH_ENTRIES + 5):
        outbox.record([f"/p/{n}.html"])
    cdn = RecordingCdn()
    Invalidations(outbox, cdn, wildcard_after=10_000).flush()
    assert [len(paths) for paths, _ in cdn.requests] == [FLUSH_ENTRIES, 5]
    assert outbox.entries == {}


def test_a_backlog_past_the_threshold_is_one_wildcard_not_one_per_read() -> None:
    # Given a backlog of hundreds of entries, each a path, as a bulk import leaves
    outbox = MemoryOutbox([])
    for n in range(FLUSH_ENTRIES - 7):
        outbox.record([f"/p/{n}.html"])
    cdn = RecordingCdn()
    # When the outbox is flushed
    sent = Invalidations(outbox, cdn, wildcard_after=100).flush()
    # Then one wildcard clears all of it
    assert sent == ["/*"] and [paths for paths, _ in cdn.requests] == [["/*"]]
    assert outbox.entries == {}


def test_a_wildcard_clears_a_bounded_number_of_entries_at_once() -> None:
    # Given a backlog of more entries than one wildcard clears
    outbox = MemoryOutbox([])
    for n in range(FLUSH_ENTRIES * 2 + 1):
        outbox.record([f"/p/{n}.html"])
    cdn = RecordingCdn()
    # When the outbox is flushed
    Invalidations(outbox, cdn, wildcard_after=100).flush()
    # Then each wildcard cleared at most that many, with a reference of its own, and what
    # remained was sent as its path
    last = f"/p/{FLUSH_ENTRIES * 2}.html"
    assert [paths for paths, _ in cdn.requests] == [["/*"], ["/*"], [last]]
    assert len({reference for _, reference in cdn.requests}) == 3
    assert outbox.entries == {}


class MemoryTimer:
    """The delayed flush: asked for at most once until it runs."""

    def __init__(self) -> None:
        self.asked: list[int] = []
        self.running = False

    def start(self, seconds: int) -> bool:
        if self.running:
            return False
        self.running = True
        self.asked.append(seconds)
        return True

    def stop(self) -> None:
        self.running = False


def waiting_wildcards(cdn: RecordingCdn, timer: MemoryTimer) -> Invalidations:
    return Invalidations(MemoryOutbox([]), cdn, wildcard_after=3, timer=timer, wildcard_delay=60)


def test_a_wildcard_waits_for_the_writes_still_coming_and_then_clears_them_at_once() -> None:
    # Given wildcards that wait 60 s, and three batches of a bulk import, each past the threshold
    cdn, timer = RecordingCdn(), MemoryTimer()
    invalidations = waiting_wildcards(cdn, timer)
    for batch in range(3):
        invalidations.outbox.record([f"/p/{batch}-{n}.html" for n in range(4)])
        # When each batch flushes
        assert invalidations.flush() == []
    # Then nothing is sent yet and one delayed flush is asked for, once
    assert cdn.requests == [] and timer.asked == [60]
    # And when that flush is due, one wildcard clears all three batches
    assert invalidations.flush_due() == ["/*"]
    assert [paths for paths, _ in cdn.requests] == [["/*"]]
    assert invalidations.outbox.pending(10) == []
    # And a wildcard needed after it asks for a flush of its own
    invalidations.outbox.record([f"/q/{n}.html" for n in range(4)])
    assert invalidations.flush() == [] and timer.asked == [60, 60]


def test_a_few_paths_go_at_once_even_while_a_wildcard_waits() -> None:
    cdn, timer = RecordingCdn(), MemoryTimer()
    invalidations = waiting_wildcards(cdn, timer)
    invalidations.outbox.record(["/a.html", "/b.html"])
    assert invalidations.flush() == ["/a.html", "/b.html"] and timer.asked == []


def test_a_flush_at_once_sends_the_wildcard_without_waiting() -> None:
    # Given a wildcard's worth of paths (the daily reconcile, a rebuild in one process)
    cdn, timer = RecordingCdn(), MemoryTimer()
    invalidations = waiting_wildcards(cdn, timer)
    invalidations.outbox.record([f"/p/{n}.html" for n in range(4)])
    # When it flushes at once, then the wildcard goes now and no flush is asked for
    assert invalidations.flush(at_once=True) == ["/*"] and timer.asked == []


def test_without_a_delay_a_wildcard_goes_at_once() -> None:
    cdn, timer = RecordingCdn(), MemoryTimer()
    invalidations = Invalidations(MemoryOutbox([]), cdn, 3, timer, wildcard_delay=0)
    invalidations.outbox.record([f"/p/{n}.html" for n in range(4)])
    assert invalidations.flush() == ["/*"] and timer.asked == []


class BrokenTimer(MemoryTimer):
    def start(self, seconds: int) -> bool:
        raise TransientError("sqs:SendMessage failed: ServiceUnavailable")


def test_a_timer_that_cannot_start_lets_the_wildcard_go_at_once() -> None:
    # Given wildcards that wait, and a timer whose message cannot be sent
    cdn = RecordingCdn()
    invalidations = Invalidations(MemoryOutbox([]), cdn, 3, BrokenTimer(), wildcard_delay=60)
    invalidations.outbox.record([f"/p/{n}.html" for n in range(4)])
    # When the batch flushes, then the wildcard is sent now rather than promised for later
    assert invalidations.flush() == ["/*"]
    assert invalidations.outbox.pending(10) == []
