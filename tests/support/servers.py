"""moto's server on a free loopback port, for tests of what talks to an endpoint."""

from __future__ import annotations

import contextlib
import socket
import urllib.request
from collections.abc import Iterator

from moto.server import ThreadedMotoServer


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
