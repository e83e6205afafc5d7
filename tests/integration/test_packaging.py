"""What the runtime distribution ships: the lock, the CoreLayer that `sam build` makes of it, and
`pip install .` into a fresh venv.

The lock, layers/core/requirements.txt (`make lock`), pins every package the layer ships; SAM's
`BuildMethod: python3.11` pip-installs it. The runtime package `pressroom` (layers/core/) never
holds the development tools (`pressroom_dev`, moto, the CLI, the local stack, serve).
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from support.paths import ROOT

LOCK = ROOT / "layers" / "core" / "requirements.txt"
RUNTIME_PACKAGE = ROOT / "layers" / "core" / "pressroom"
# Never in the layer: the development distribution, moto and what only the local stack uses.
DEV_ONLY_TOP_LEVEL = {"pressroom_dev", "moto", "flask", "flask_cors", "werkzeug", "responses"}
DEV_ONLY_DISTRIBUTIONS = {"pressroom-dev", "moto", "flask", "flask-cors", "werkzeug", "responses"}
# Modules of the development package (and their names before the split), never in the runtime one.
DEV_ONLY_MODULES = {"cli", "stack", "serve", "moto_patches", "folder", "local", "build"}
BANNED_IMPORTS = {"moto", "pressroom_dev"}
# The python3.11 Lambda runtime runs on Amazon Linux 2: glibc 2.26, x86_64 (template.yaml).
LAMBDA_GLIBC = (2, 26)
LOCK_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)$")


# ---------------------------------------------------------------- helpers


def normalize(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(path: Path) -> list[str]:
    """The requirement lines of a requirements file: no comments, blanks or via-annotations."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def locked() -> dict[str, str]:
    """name → version of every package in the lock."""
    pins = {}
    for line in requirement_lines(LOCK):
        match = LOCK_LINE.match(line)
        assert match, f"not an exact pin in {LOCK.name}: {line!r}"
        pins[normalize(match["name"])] = match["version"]
    return pins


def dev_pins() -> dict[str, str]:
    """name → version of requirements-dev.txt's exact pins (extras dropped)."""
    pins = {}
    for line in requirement_lines(ROOT / "requirements-dev.txt"):
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)$", line)
        if match:
            pins[normalize(match[1])] = match[3]
    return pins


def runtime_dependencies() -> set[str]:
    """The names of the root pyproject.toml's dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {
        normalize(re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0]) for dep in project["dependencies"]
    }


def layer_distributions(python_dir: Path) -> dict[str, str]:
    """name → version of every *.dist-info in a layer's python/ folder, read from its METADATA."""
    found = {}
    for dist_info in sorted(python_dir.glob("*.dist-info")):
        dist = importlib.metadata.Distribution.at(dist_info)
        name = normalize(dist.metadata["Name"])
        assert name not in found, f"two copies of {name} in the layer"
        found[name] = dist.version
    return found


def module_names(package_dir: Path) -> set[str]:
    """Every module of a package folder as a dotted name, subpackages included."""
    names = set()
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join(parts))
    return names


def forbidden_imports(source: str, banned: set[str] = BANNED_IMPORTS) -> list[str]:
    """The imports in a module's source of a banned package: import statements at any depth
    (in functions too), and importlib.import_module / __import__ of a literal name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if called in {"import_module", "__import__"} and isinstance(first, ast.Constant):
                names = [str(first.value)]
        found += [f"line {node.lineno}: {name}" for name in names if name.split(".")[0] in banned]
    return found


def wheel_fits_lambda(tag: str) -> bool:
    """Whether one wheel tag (python-abi-platform) runs on the python3.11 x86_64 Lambda runtime."""
    python, abi, platform = tag.split("-")
    if platform == "any":
        return any(p in {"py3", "py311", "cp311"} for p in python.split("."))
    cpython311 = python == "cp311" and abi in {"cp311", "none"}
    abi3 = re.fullmatch(r"cp3(\d+)", python) if abi == "abi3" else None
    if not (cpython311 or (abi3 and int(abi3[1]) <= 11)):
        return False
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    match = re.fullmatch(r"(manylinux\w*?)_x86_64", platform)
    if not match:
        return False
    glibc = re.fullmatch(r"manylinux_(\d+)_(\d+)", match[1])
    needs = (int(glibc[1]), int(glibc[2])) if glibc else legacy.get(match[1])
    return needs is not None and needs <= LAMBDA_GLIBC


def core_layer(sam_build: Path) -> Path:
    return sam_build / "CoreLayer" / "python"


# ---------------------------------------------------------------- the lock


def test_lock_pins_every_package_exactly() -> None:
    """Given layers/core/requirements.txt, then every requirement in it is a bare name==version
    (no range, extra or marker), and it holds the runtime's direct dependencies and the
    packages they pull (the SDK's botocore, s3transfer, jmespath, urllib3; pydantic-core, ...)."""
    pins = locked()

    assert runtime_dependencies() <= set(pins)
    transitive = {"botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
    transitive |= {"pydantic-core", "typing-extensions", "annotated-types", "markupsafe", "mdurl"}
    transitive |= {"aws-xray-sdk", "wrapt"}
    assert transitive <= set(pins)
    assert not set(pins) & DEV_ONLY_DISTRIBUTIONS


def test_lock_holds_the_versions_requirements_dev_pins() -> None:
    """Given requirements-dev.txt's pins of the runtime's dependencies, then the lock has the same
    versions: the tests run against what the layer ships."""
    pins, dev = locked(), dev_pins()
    shared = runtime_dependencies() & set(dev)

    assert shared >= {"boto3", "aws-lambda-powertools", "pydantic", "jinja2", "nh3", "pyyaml"}
    assert {name: pins[name] for name in shared} == {name: dev[name] for name in shared}


def test_lock_says_how_it_was_made_and_targets_the_template_runtime() -> None:
    """Given the lock's header, then it names `make lock` and the uv command, resolved for the
    Python version and platform that template.yaml's functions and CoreLayer run on."""
    header = LOCK.read_text(encoding="utf-8").split("\n\n")[0]
    command = re.search(r"^#\s+(uv pip compile .*)$", header, re.M)
    template = json.loads(json.dumps(cfn_yaml.load(str(ROOT / "template.yaml"))))
    core = template["Resources"]["CoreLayer"]
    runtime = template["Globals"]["Function"]["Runtime"]

    assert "make lock" in header
    assert command, header
    version = re.search(r"--python-version (\S+)", command[1])
    platform = re.search(r"--python-platform (\S+)", command[1])
    assert version and platform, command[1]
    assert runtime == f"python{version[1]}"
    assert core["Properties"]["CompatibleRuntimes"] == [runtime]
    # The layer's Makefile installs and compiles for that same Python.
    assert core["Metadata"]["BuildMethod"] == "makefile"
    makefile = (ROOT / "layers" / "core" / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^PYTHON \?= {re.escape(runtime)}$", makefile, re.M), makefile
    assert f"--python-version {version[1]} " in makefile
    arch = core["Properties"]["CompatibleArchitectures"]
    assert arch == ["x86_64"] and platform[1].startswith("x86_64-manylinux")


# ---------------------------------------------------------------- the checkers themselves


def test_forbidden_import_check_catches_every_form() -> None:
    """Given sources importing moto or pressroom_dev in each way Python allows, then every one is
    reported; a package that only starts with the same letters, or a relative import, is not."""
    bad = {
        "import moto": 1,
        "import moto.s3, os": 1,
        "from moto import mock_aws": 1,
        "from pressroom_dev.cli import main": 1,
        "def f():\n    from moto.server import ThreadedMotoServer\n": 1,
        "import importlib\nimportlib.import_module('pressroom_dev.stack')": 1,
        "__import__('moto')": 1,
    }
    fine = ["import motor", "from . import moto", "import pressroom.site", "x = 'moto'"]

    assert {src: len(forbidden_imports(src)) for src in bad} == bad
    assert [src for src in fine if forbidden_imports(src)] == []


def test_wheel_tag_check_accepts_lambda_wheels_only() -> None:
    """Given wheel tags, then pure and cp311/abi3 manylinux x86_64 wheels up to glibc 2.26 fit
    the runtime; other Pythons, architectures, newer glibc and macOS do not."""
    fits = [
        "py3-none-any",
        "cp311-cp311-manylinux2014_x86_64",
        "cp311-cp311-manylinux_2_17_x86_64",
        "cp39-abi3-manylinux2014_x86_64",
        "cp311-cp311-manylinux1_x86_64",
    ]
    misfits = [
        "cp313-cp313-manylinux2014_x86_64",
        "cp311-cp311-manylinux2014_aarch64",
        "cp311-cp311-manylinux_2_28_x86_64",
        "cp311-cp311-macosx_11_0_arm64",
        "cp312-abi3-manylinux2014_x86_64",
    ]

    assert [tag for tag in fits if not wheel_fits_lambda(tag)] == []
    assert [tag for tag in misfits if wheel_fits_lambda(tag)] == []


# ---------------------------------------------------------------- the built CoreLayer


@pytest.mark.slow
def test_core_layer_holds_exactly_the_locked_versions(sam_build: Path) -> None:
    """Given the CoreLayer that `sam build` made, then its *.dist-info folders are exactly the
    lock's packages at the lock's versions: none missing, none more, none at another version."""
    assert layer_distributions(core_layer(sam_build)) == locked()


@pytest.mark.slow
def test_core_layer_compiled_wheels_fit_the_lambda_runtime(sam_build: Path) -> None:
    """Given the CoreLayer's packages, then each was installed from a wheel that runs on the
    python3.11 x86_64 runtime (pure, or cp311/abi3 manylinux for glibc 2.26 or older)."""
    misfits = {}
    for wheel in sorted(core_layer(sam_build).glob("*.dist-info/WHEEL")):
        lines = wheel.read_text(encoding="utf-8").splitlines()
        tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
        assert tags, wheel
        if not any(wheel_fits_lambda(tag) for tag in tags):
            misfits[wheel.parent.name] = tags

    assert misfits == {}


@pytest.mark.slow
def test_core_layer_holds_the_runtime_package_and_no_development_code(sam_build: Path) -> None:
    """Given the CoreLayer, then its pressroom package has exactly the modules of
    layers/core/pressroom, and nothing of the development tools is in the layer: no
    pressroom_dev, no moto (nor flask, werkzeug, responses), no CLI, local-stack or serve module."""
    python_dir = core_layer(sam_build)
    top_level = {path.name.removesuffix(".py") for path in python_dir.iterdir()}
    layer_modules = {path.stem for path in (python_dir / "pressroom").rglob("*.py")}

    assert module_names(python_dir / "pressroom") == module_names(RUNTIME_PACKAGE)
    assert not top_level & DEV_ONLY_TOP_LEVEL
    assert not set(layer_distributions(python_dir)) & DEV_ONLY_DISTRIBUTIONS
    assert not layer_modules & DEV_ONLY_MODULES
    assert not list(python_dir.rglob("pressroom_dev*"))
    assert not list(python_dir.rglob("*.egg-info"))


@pytest.mark.slow
def test_no_module_of_the_layer_imports_moto_or_the_dev_tools(sam_build: Path) -> None:
    """Given every .py file under the layer's pressroom/, then none imports moto or
    pressroom_dev, at any depth (boto3 in the adapters is the runtime's business)."""
    sources = sorted((core_layer(sam_build) / "pressroom").rglob("*.py"))
    findings = {
        path.name: found
        for path in sources
        if (found := forbidden_imports(path.read_text(encoding="utf-8")))
    }

    assert len(sources) >= len(module_names(RUNTIME_PACKAGE))
    assert findings == {}


# ---------------------------------------------------------------- pip install . in a fresh venv


# Run by the fresh venv's interpreter in isolated mode (-I: no PYTHONPATH, cwd or user site).
IMPORT_EVERY_MODULE = """
import importlib, importlib.metadata, importlib.util, json, pkgutil

import pressroom

names = sorted(info.name for info in pkgutil.walk_packages(pressroom.__path__, "pressroom."))
failed = {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
print(json.dumps({
    "modules": names,
    "failed": failed,
    "pressroom": list(pressroom.__path__),
    "moto": importlib.util.find_spec("moto") is not None,
    "pressroom_dev": importlib.util.find_spec("pressroom_dev") is not None,
    "distributions": {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()},
}))
"""


def copy_work_tree(destination: Path) -> Path:
    """The work tree as a clean clone would have it (tracked and unignored files, uncommitted
    edits included), so that building it leaves nothing (build/, *.egg-info) in the repo."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


@pytest.mark.slow
def test_pip_install_of_the_repo_imports_every_module_without_moto(tmp_path: Path) -> None:
    """Given a fresh venv and `pip install <repo>` (not editable, with its dependencies, held to
    the lock), when its interpreter imports every module of `pressroom` found by pkgutil, then
    all import, they are every module of layers/core/pressroom and come from the venv, moto and
    pressroom_dev are not importable, and the venv holds the lock's packages and nothing more."""
    venv = tmp_path / "venv"
    source = copy_work_tree(tmp_path / "src")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(source), "-c", str(LOCK)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout[-4000:] + install.stderr[-4000:]

    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }
    result = subprocess.run(
        [str(python), "-I", "-c", IMPORT_EVERY_MODULE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])

    assert report["failed"] == {}
    assert set(report["modules"]) == module_names(RUNTIME_PACKAGE) - {"pressroom"}
    site_packages = str(venv / "lib")
    assert report["pressroom"] and all(p.startswith(site_packages) for p in report["pressroom"])
    assert report["moto"] is False
    assert report["pressroom_dev"] is False
    installed = {normalize(name): version for name, version in report["distributions"].items()}
    assert installed.pop("pressroom") == "0.1.0"
    for tool in ("pip", "setuptools"):
        installed.pop(tool, None)
    assert installed == locked()
