"""The tests' own layout: shared helpers live in tests/support and are imported from there.

A conftest.py holds fixtures and hooks; importing from one (`from conftest import …`) depends on
which tier's conftest pytest happened to import first under that name. tests/serving.py became
tests/support/processes.py. Nor does a test import from another test module (what two share
belongs in support). And a test states what it expects instead of importing the product's
constant for it (the literal "reports/", not pressroom.config.REPORTS_PREFIX).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from support.paths import TESTS

FORBIDDEN = {"conftest", "serving"}
PRODUCT = {"pressroom", "pressroom_dev"}
# The product's constants that tests once imported as their expectation; support/aws.py and the
# tests state these values themselves.
EXPECTATIONS = {"LOCAL_ENVIRONMENT", "REGION", "REPORTS_PREFIX"}


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(TESTS.rglob("*.py")):
        if ".venv" in path.parts or "__pycache__" in path.parts:
            continue
        yield path, ast.parse(path.read_bytes(), filename=str(path))


def imported(tree: ast.Module) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in the module, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(TESTS)}:{line}"


def test_the_tests_are_found() -> None:
    names = {path.relative_to(TESTS).as_posix() for path, _ in modules()}
    assert {"unit/test_test_layout.py", "support/harness.py", "integration/conftest.py"} <= names


def test_no_test_imports_from_a_conftest_serving_or_another_test() -> None:
    offenders = [
        f"{where(path, line)} imports {module}"
        for path, tree in modules()
        for line, module, _ in imported(tree)
        if module.split(".")[0] in FORBIDDEN or module.split(".")[-1].startswith("test_")
    ]
    assert offenders == [], "import shared helpers from tests/support instead:\n" + "\n".join(
        offenders
    )


def test_serving_has_moved_into_support() -> None:
    assert not (TESTS / "serving.py").exists()
    assert (TESTS / "support" / "processes.py").is_file()


def test_no_test_imports_its_expectation_from_the_product() -> None:
    offenders = [
        f"{where(path, line)} imports {name} from {module}"
        for path, tree in modules()
        for line, module, names in imported(tree)
        if module.split(".")[0] in PRODUCT
        for name in names
        if name in EXPECTATIONS
    ]
    assert offenders == [], "state the expected value in the test (or tests/support):\n" + (
        "\n".join(offenders)
    )
