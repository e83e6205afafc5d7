"""The soak tier: collected only with PRESSROOM_SOAK=1 (`make soak`), never by `make test`."""

from __future__ import annotations

import os

collect_ignore_glob = [] if os.environ.get("PRESSROOM_SOAK") == "1" else ["test_*.py"]
