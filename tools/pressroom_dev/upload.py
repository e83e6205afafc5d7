"""`pressroom publish`'s upload of many files: a thread pool sharing one S3 client, a progress
line on stderr, and the outcome of every file."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TextIO

from pressroom.events import post_identity

# Over this many files, `publish` prints a line only for the files with problems (--verbose: all).
MANY_FILES = 1000
# Errors after which no other upload can succeed either: the run stops instead of trying them all.
STOPPING_CODES = frozenset({"NoSuchBucket", "InvalidAccessKeyId", "ExpiredToken", "AccessDenied"})


@dataclass(frozen=True)
class Uploaded:
    """The outcome of one file: uploaded (error None), failed (error), or not sent (stopped)."""

    key: str
    size: int
    error: BaseException | None = None
    sent: bool = True

    @property
    def ok(self) -> bool:
        return self.sent and self.error is None


def duration_text(seconds: float) -> str:
    """A short duration for an eta: `45s`, `2m` (minutes rounded up), `1h05m`."""
    whole = max(0, math.ceil(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{math.ceil(whole / 60)}m"
    hours, rest = divmod(whole, 3600)
    return f"{hours}h{math.ceil(rest / 60):02d}m"


def progress_text(done: int, total: int, elapsed: float) -> str:
    """`uploading 1234/10000  57 files/s  eta 2m`; no rate or eta before the first file."""
    line = f"uploading {done}/{total}"
    if done == 0 or elapsed <= 0:
        return line
    rate = done / elapsed
    return f"{line}  {rate:.0f} files/s  eta {duration_text((total - done) / rate)}"


def size_text(size: int) -> str:
    """Bytes as people read them: `812 B`, `4.1 KB`, `12.3 MB` (powers of 1,000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


class Progress:
    """Files done out of a total on `stream`: on a terminal one line rewritten in place (at
    most ten times a second); elsewhere a line each time another tenth is done, for runs of
    `quiet_below` files or more (a small run is over before a line would help)."""

    def __init__(
        self,
        stream: TextIO,
        total: int,
        clock: Callable[[], float] = time.monotonic,
        quiet_below: int = 100,
    ) -> None:
        self.stream = stream
        self.total = total
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.terminal = stream.isatty()
        self.quiet = not self.terminal and total < quiet_below
        self._drawn = -1.0
        self._tenths = 0
        self._shown = False
        self._lock = threading.Lock()

    def advance(self) -> None:
        with self._lock:
            self.done += 1
            now = self.clock()
            if self.quiet:
                return
            if self.terminal:
                if now - self._drawn >= 0.1 or self.done == self.total:
                    self._drawn = now
                    self._shown = True
                    line = progress_text(self.done, self.total, now - self.started)
                    self.stream.write(f"\r{line}\x1b[K")
                    self.stream.flush()
                return
            tenths = self.done * 10 // self.total
            if tenths > self._tenths and self.done < self.total:
                self._tenths = tenths
                line = progress_text(self.done, self.total, now - self.started)
                self.stream.write(line + "\n")
                self.stream.flush()

    def close(self) -> None:
        """Clear the bar, so what follows starts on a clean line."""
        with self._lock:
            if self.terminal and self._shown:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
                self._shown = False


def stops_the_run(error: BaseException) -> bool:
    """Whether an error means no other upload can succeed (endpoint, credentials, bucket)."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "")) in STOPPING_CODES
    return isinstance(
        error,
        EndpointConnectionError
        | ConnectionClosedError
        | NoCredentialsError
        | NoRegionError
        | PartialCredentialsError,
    )


def upload_groups(files: Sequence[tuple[str, bytes]]) -> list[list[tuple[str, bytes]]]:
    """The files in units of work: spellings of one name (NFC, NFD) stay together, in order,
    so the one given last is uploaded last, as the pipeline and `check` expect."""
    groups: dict[str, list[tuple[str, bytes]]] = {}
    for key, body in files:
        groups.setdefault(post_identity(key), []).append((key, body))
    return list(groups.values())


def upload_all(
    s3: Any,
    bucket: str,
    files: Sequence[tuple[str, bytes]],
    jobs: int,
    on_done: Callable[[Uploaded], None] = lambda outcome: None,
) -> list[Uploaded]:
    """PUT every (key, body) with `jobs` threads sharing the client; the outcome of each file,
    in the order given. A failed file does not stop the others, except an error that no upload
    can get past (stops_the_run): the files not yet sent are then left, `sent=False`."""
    from botocore.exceptions import BotoCoreError, ClientError

    stopped = threading.Event()

    def upload(group: list[tuple[str, bytes]]) -> list[Uploaded]:
        outcomes = []
        for key, body in group:
            if stopped.is_set():
                outcome = Uploaded(key, len(body), sent=False)
            else:
                try:
                    s3.put_object(Bucket=bucket, Key=key, Body=body)
                    outcome = Uploaded(key, len(body))
                except (BotoCoreError, ClientError) as error:
                    if stops_the_run(error):
                        stopped.set()
                    outcome = Uploaded(key, len(body), error)
            on_done(outcome)
            outcomes.append(outcome)
        return outcomes

    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="upload")
    try:
        done = [outcome for group in pool.map(upload, upload_groups(files)) for outcome in group]
    except BaseException:  # Ctrl-C: what is not sent yet is not sent
        stopped.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    order = {key: index for index, (key, _) in enumerate(files)}
    return sorted(done, key=lambda outcome: order[outcome.key])


@dataclass(frozen=True)
class PublishedFile:
    """What `publish` says of one uploaded file: its URL, or why it will be rejected."""

    where: str = ""
    problems: tuple[str, ...] = ()
    unpublished: bool = False
    future: bool = False


def upload_problem(error: BaseException) -> str:
    """One line on why S3 did not take a file (after the client's retries)."""
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        answered = f" (HTTP {status})" if status else ""
        message = details.get("Message") or "no message"
        return f"S3 refused it{answered}: {details.get('Code', 'unknown error')}: {message}"
    return f"the request failed: {error}"
