"""Every tier: pytest rewrites the asserts of the shared helpers in tests/support (a failed
golden comparison shows the diff), as it does those of tests and conftest files.

`make test` runs pytest on every core (pytest-xdist, `--dist loadgroup`): tests go to the workers
one by one, except that the tests sharing an expensive fixture go to one worker together (each
worker would build its own): the e2e tier (one `pressroom serve`, its log at a fixed path), the
tests of the one `sam build`, and each module whose tests share a module-scoped fixture.

Every botocore session of the test process shares one loader, so that a service's model is
read from disk and parsed once per process rather than once per client's session (a test's
local stack makes a session per function).

Tests marked `scale` (the fan-out over 10,000 posts, several minutes) are opt-in: they are
collected only when PRESSROOM_REBUILD_POSTS is set, so that a normal run reports no skip.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

import botocore.loaders
import botocore.session
import pytest

pytest.register_assert_rewrite("support")


@pytest.fixture(autouse=True, scope="session")
def _shared_botocore_loader() -> Iterator[None]:
    shared = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.session, "create_loader", shared)
        yield


# Session-scoped fixtures too expensive to build once per worker: their tests share a worker.
SHARED_SESSION_FIXTURES = {"sam_build", "pressroom"}


def xdist_group(item: pytest.Item) -> str | None:
    """The group whose tests run on one worker, or None when the test may run anywhere."""
    if "e2e" in item.path.parts:
        return "e2e"
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    shared = sorted(SHARED_SESSION_FIXTURES & set(info.names_closure))
    if shared:
        return shared[0]
    for definitions in info.name2fixturedefs.values():
        if any(definition.scope == "module" for definition in definitions):
            return item.path.name
    return None


# Before xdist's own hook, which reads the groups.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PRESSROOM_REBUILD_POSTS"):
        opt_in = [item for item in items if item.get_closest_marker("scale") is not None]
        if opt_in:
            items[:] = [item for item in items if item.get_closest_marker("scale") is None]
            config.hook.pytest_deselected(items=opt_in)
    for item in items:
        group = xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
