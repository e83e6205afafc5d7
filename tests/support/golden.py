"""Golden files: rendered HTML compared byte for byte with tests/golden/<name>."""

from __future__ import annotations

import os

from support.paths import GOLDEN

# Set to 1 to rewrite the golden files from what is rendered now.
UPDATE_VARIABLE = "PRESSROOM_UPDATE_GOLDEN"


def check_golden(name: str, actual: str) -> None:
    """Compare rendered HTML with tests/golden/<name>; PRESSROOM_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get(UPDATE_VARIABLE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"{path} is missing: run once with PRESSROOM_UPDATE_GOLDEN=1"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"rendered HTML differs from {path} (diff it, then update)"
