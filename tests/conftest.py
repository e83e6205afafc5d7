"""Every tier: pytest rewrites the asserts of the shared helpers in tests/support (a failed
golden comparison shows the diff), as it does those of tests and conftest files."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("support")
