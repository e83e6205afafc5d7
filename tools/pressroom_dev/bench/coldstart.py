"""Cold start: what importing each handler costs a fresh interpreter, from the built CoreLayer."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# Written to stderr just before the measured import: `-X importtime` lines after it are the
# import's, the interpreter's own start-up imports come before it.
MARK = "pressroom-bench-import-starts"
# What a handler's module level reads while it is imported (Powertools), nothing of AWS.
HANDLER_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_SERVICE_NAME": "pressroom",
    "POWERTOOLS_METRICS_NAMESPACE": "Pressroom",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@dataclass(frozen=True)
class ImportedModule:
    name: str
    self_us: int
    cumulative_us: int
    depth: int  # 0: imported by the measured statement itself


@dataclass(frozen=True)
class Layer:
    path: Path
    built: bool  # from `sam build` (self-contained: run without the venv's site-packages)

    @property
    def note(self) -> str:
        return "" if self.built else "not from sam build"


def built_layer(project: Path) -> Path:
    """Where `sam build` (`make build`) leaves the CoreLayer's python/ folder."""
    return project / ".aws-sam" / "build" / "CoreLayer" / "python"


def find_layer(project: Path) -> Layer:
    """The built CoreLayer when there is one, else the layer's source folder layers/core."""
    built = built_layer(project)
    if built.is_dir():
        return Layer(built, built=True)
    return Layer(project / "layers" / "core", built=False)


def sam_build(project: Path) -> None:
    """`sam build` of the template into the project's .aws-sam/, as `make build` does."""
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    command = [str(venv_bin / "sam"), "build", "--template", "template.yaml"]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"sam build failed: {result.stderr.strip()[-300:]}")


def handlers(project: Path) -> list[Path]:
    """Every function's handler module, functions/*/app.py."""
    return sorted((project / "functions").glob("*/app.py"))


def parse_importtime(stderr: str) -> list[ImportedModule]:
    """The modules `-X importtime` reports after MARK, in the order it reports them."""
    lines = stderr.splitlines()
    if MARK in lines:
        lines = lines[lines.index(MARK) + 1 :]
    found = []
    for line in lines:
        if not line.startswith("import time:"):
            continue
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        found.append(ImportedModule(name.strip(), int(fields[0]), int(fields[1]), depth))
    return found


def total_seconds(modules: list[ImportedModule]) -> float:
    """The cumulative import time of the measured statement: its top-level imports' sum."""
    return sum(module.cumulative_us for module in modules if module.depth == 0) / 1e6


def import_once(statement: str, layer: Layer, cwd: Path) -> list[ImportedModule]:
    """`statement` run by a fresh `python -X importtime` with the layer first on sys.path."""
    code = f"import sys; print({MARK!r}, file=sys.stderr, flush=True); {statement}"
    flags = ["-S"] if layer.built else []  # a built layer needs nothing of the venv
    env = {**os.environ, **HANDLER_ENVIRONMENT}
    env["PYTHONPATH"] = os.pathsep.join([str(cwd), str(layer.path)])
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    command = [sys.executable, *flags, "-X", "importtime", "-c", code]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{statement!r} failed: {last}")
    return parse_importtime(result.stderr)


def measure_import(statement: str, layer: Layer, cwd: Path, rounds: int) -> dict[str, object]:
    """Median seconds of `rounds` fresh imports (after one that writes any missing bytecode),
    and the modules of the median round."""
    import_once(statement, layer, cwd)
    runs = [import_once(statement, layer, cwd) for _ in range(max(1, rounds))]
    runs.sort(key=total_seconds)
    median = runs[len(runs) // 2]
    return {
        "seconds": statistics.median(total_seconds(run) for run in runs),
        "modules": median,
    }


def slowest_modules(modules: list[ImportedModule], top: int = 5) -> list[ImportedModule]:
    """The modules whose own import code took longest (self time)."""
    return sorted(modules, key=lambda module: module.self_us, reverse=True)[:top]


def measure_cold_start(project: Path, rounds: int = 5) -> dict[str, object]:
    """Each handler's import time and `import boto3`'s, from the same layer in the same run."""
    layer = find_layer(project)
    result: dict[str, object] = {
        "layer": layer,
        "reference": measure_import("import boto3", layer, project, rounds),
    }
    for handler in handlers(project):
        result[handler.parent.name] = measure_import("import app", layer, handler.parent, rounds)
    return result
