"""Helpers for tests that run `pressroom` as a subprocess (the e2e and soak tiers): free ports,
the environment, log tails and stopping a process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

from support.aws import REGION


def free_ports(count: int) -> list[int]:
    """Ports the kernel considers free right now (all bound at once, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def local_environment() -> dict[str, str]:
    """The environment for pressroom processes: no AWS settings of the caller leak in."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        PYTHONUNBUFFERED="1",
    )
    return env


def log_tail(path: Path, lines: int = 60) -> str:
    if not path.is_file():
        return f"(no log at {path})"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def process_group_members(pgid: int) -> list[int]:
    """Pids of live processes in a process group (read from /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def stop_process_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    """SIGTERM to the process's group (it was started with start_new_session), SIGKILL to
    whatever is left after `timeout` seconds."""
    pgid = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    if process.poll() is None or process_group_members(pgid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        process.wait(timeout=timeout)
