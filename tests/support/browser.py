"""The system's Chromium for Playwright (the e2e tier): where it is, how it is launched, and the
context a reader's page opens in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
# No network beyond loopback: keep Chromium from calling home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# browser.new_context(**CONTEXT): a desktop window, Chinese locale.
CONTEXT: dict[str, Any] = {"viewport": {"width": 1024, "height": 900}, "locale": "zh-CN"}
PAGE_TIMEOUT_MS = 10_000
