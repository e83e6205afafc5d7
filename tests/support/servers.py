"""moto's server on a free loopback port, and the CLI run as an editor would run it against
such an endpoint."""

from __future__ import annotations

import contextlib
import socket
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from pressroom_dev import cli


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A running moto server: its endpoint URL; after the block, its resources are reset (moto's
    backends are the process's, so the next server would find them) and it is stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(Exception):
            request = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", b"")
            urllib.request.urlopen(request, timeout=10).close()
        with contextlib.suppress(Exception):
            server.stop()


def as_an_editor(
    monkeypatch: pytest.MonkeyPatch, folder: Path, environment: Mapping[str, str]
) -> None:
    """Run the CLI from `folder` (outside the repository) with `environment`, and with nothing
    set that would send it to another project, endpoint or profile."""
    monkeypatch.chdir(folder)
    for name in (cli.PROJECT_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)


def empty_bucket(s3: Any, bucket: str, keys: Iterable[str]) -> None:
    """Delete these keys of the bucket, a thousand per request."""
    objects = [{"Key": key} for key in keys]
    for start in range(0, len(objects), 1000):
        batch = {"Objects": objects[start : start + 1000], "Quiet": True}
        s3.delete_objects(Bucket=bucket, Delete=batch)
