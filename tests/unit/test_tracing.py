"""A handler imports only what it uses: with tracing off it never loads X-Ray, and only
Rebuild loads the rebuild fan-out."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from pressroom.composition import traced, tracing_enabled
from support.paths import ROOT

LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}


def test_tracing_is_on_in_lambda_unless_disabled_or_local() -> None:
    assert tracing_enabled(LAMBDA)
    assert not tracing_enabled({})
    assert not tracing_enabled({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "True"})
    assert not tracing_enabled({**LAMBDA, "AWS_SAM_LOCAL": "true"})
    assert tracing_enabled({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "false"})


def test_a_handler_without_tracing_is_returned_as_it_is() -> None:
    def handler(event: object, context: object) -> str:
        return "done"

    assert traced({})(handler) is handler


def imported_modules(function: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules under `prefixes` that importing the function's handler loads, as Lambda
    would import it, with tracing disabled."""
    code = f"import sys, app; print(sorted(m for m in sys.modules if m.startswith({prefixes!r})))"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "layers" / "core"), str(ROOT / "functions" / function)]
        ),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT / "functions" / function,
    )
    assert result.returncode == 0, result.stderr
    return list(ast.literal_eval(result.stdout.strip()))


@pytest.mark.parametrize("function", ["render_post", "build_indexes", "rebuild"])
def test_a_handler_with_tracing_off_never_imports_the_xray_sdk(function: str) -> None:
    # Given a handler module imported as Lambda would, with tracing disabled
    # When it is imported
    # Then no X-Ray module was loaded
    assert imported_modules(function, ("aws_xray_sdk", "wrapt")) == []


@pytest.mark.parametrize(
    ("function", "loaded"), [("render_post", False), ("build_indexes", False), ("rebuild", True)]
)
def test_only_rebuild_imports_the_fan_out(function: str, loaded: bool) -> None:
    fan_out = ("pressroom.usecases.rebuild", "pressroom.adapters.fanout")
    assert bool(imported_modules(function, fan_out)) is loaded
