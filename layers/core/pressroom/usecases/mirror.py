"""Making an object outside the table mirror what the table holds, whatever the interleaving.

Every mirror works the same way: write what the latest read of the table says, read the table
again, and repeat while it moved on meanwhile. The last write to an object is then always
followed by a read that agrees with it, so an older write never stays in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pressroom.errors import TransientError

MAX_ATTEMPTS = 5
State = TypeVar("State")


def settle(
    state: State,
    write: Callable[[State], None],
    read: Callable[[State], State],
    agrees: Callable[[State, State], bool],
    what: str,
) -> None:
    """Write `state`, `read` what the table says now, and repeat until it `agrees` with what
    was written. TransientError when it keeps moving, so the caller's retry runs again."""
    for _ in range(MAX_ATTEMPTS):
        write(state)
        current = read(state)
        if agrees(state, current):
            return
        state = current
    raise TransientError(f"{what} kept changing while it was written")
