"""Keeping the CDN fresh: every object the site bucket is about to change is noted in an outbox
first, and the outbox is flushed as one CloudFront invalidation per batch, retried until the
CDN has accepted it, so no change is ever served stale for the rest of its TTL."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from pressroom.errors import PressroomError
from pressroom.model import RenderedPage
from pressroom.ports import InvalidationOutbox, Invalidator, SiteStore, WildcardTimer

# RFC 1738's unsafe characters, which CloudFront wants percent-encoded in an invalidation path
# (with every non-ASCII character); any other character must stay as it is.
_UNSAFE = frozenset(' "#%<>[]\\^`{|}~')
WILDCARD = "/*"
# How many outbox entries one invalidation clears at most (each holds the few paths of one
# writer, and is one DeleteItem once CloudFront accepted it): a backlog of a bulk import costs
# one wildcard per this many entries.
FLUSH_ENTRIES = 500


def invalidation_path(key: str) -> str:
    """The path CloudFront caches an object of the site bucket under: `/` and its key, UTF-8
    percent-encoded where CloudFront requires it. A folder URL `/x/` is cached as
    `/x/index.html`, since the viewer-request function rewrites it before the cache."""
    encoded = "".join(
        char
        if char.isascii() and char.isprintable() and char not in _UNSAFE
        else "".join(f"%{byte:02X}" for byte in char.encode("utf-8"))
        for char in key
    )
    return "/" + encoded


@dataclass
class PageWriter:
    """Writes pages to the site bucket, noting each changed path in the outbox first."""

    site: SiteStore
    outbox: InvalidationOutbox | None = None

    def write(self, pages: Mapping[str, RenderedPage | None]) -> list[str]:
        """Write each page (delete it, for None) whose object differs; the keys it changed."""
        changed = {key: page for key, page in pages.items() if self.site.differs(key, page)}
        if changed and self.outbox is not None:
            self.outbox.record(sorted(invalidation_path(key) for key in changed))
        for key, page in changed.items():
            if page is None:
                self.site.delete_page(key)
            else:
                self.site.put_page(key, page)
        return list(changed)


@dataclass
class Invalidations:
    """Flush the outbox: one invalidation for everything pending, a wildcard beyond
    `wildcard_after` paths, and the entries forgotten only once CloudFront accepted it.

    With a `timer`, a wildcard waits `wildcard_delay` seconds for the writes still coming (a
    bulk import's batches) and then clears all of them at once: one wildcard per delay however
    many batches arrive meanwhile, rather than one per batch, which would reach CloudFront's
    15 wildcard invalidations in progress. A timer that cannot be started sends the wildcard
    at once."""

    outbox: InvalidationOutbox
    cdn: Invalidator
    wildcard_after: int = 100
    timer: WildcardTimer | None = None
    wildcard_delay: int = 0

    def flush(self, at_once: bool = False) -> list[str]:
        """Invalidate what the outbox holds (a wildcard only later, unless `at_once`); the
        paths sent (none when it was empty or the wildcard waits)."""
        sent: list[str] = []
        while True:
            pending = self.outbox.pending(FLUSH_ENTRIES)
            if not pending:
                return sent
            paths = sorted({path for entry in pending for path in entry.paths})
            batch = [WILDCARD] if len(paths) > self.wildcard_after else paths
            if batch == [WILDCARD] and self._waits(at_once):
                return sent
            ids = sorted(entry.id for entry in pending)
            # The same entries give the same reference: a retry after a lost answer is the
            # same invalidation, never a second one.
            digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
            self.cdn.invalidate(batch, f"pressroom-{digest[:40]}")
            self.outbox.done(ids)
            sent += batch
            if len(pending) < FLUSH_ENTRIES:
                return sent

    def flush_due(self) -> list[str]:
        """The timer's flush: forget the timer first (a wildcard needed after this one asks
        again), then send everything pending, a wildcard included."""
        if self.timer is not None:
            self.timer.stop()
        return self.flush(at_once=True)

    def _waits(self, at_once: bool) -> bool:
        if at_once or self.timer is None or self.wildcard_delay <= 0:
            return False
        try:
            self.timer.start(self.wildcard_delay)
        except PressroomError:
            return False  # no later flush can be promised: the wildcard goes now
        return True
