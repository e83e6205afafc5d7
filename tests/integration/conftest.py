"""Integration tier: template.yaml's resources on in-process moto, driven through the handlers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from support.aws import LOCAL_ENVIRONMENT, REGION
from support.clock import S3Clock
from support.harness import Harness
from support.paths import ROOT
from support.posts import PostFactory
from support.posts import post_text as make_post_text


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def local(aws_environment: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    clock = S3Clock().install(monkeypatch)
    with mock_aws():
        yield Harness.create(boto3.session.Session(region_name=REGION), clock)


@pytest.fixture
def post_text() -> PostFactory:
    return make_post_text


@pytest.fixture(scope="session")
def sam_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `sam build` (no container) of template.yaml for every build test of the session."""
    work = tmp_path_factory.mktemp("sam")
    build_dir = work / "build"
    # The venv's bin folder, not resolved (.venv/bin/python is a symlink). It goes first on PATH:
    # SAM looks for `python3.11` there to pip-install the layer's requirements.txt.
    venv_bin = Path(sys.executable).parent
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    args = [
        str(venv_bin / "sam"),
        "build",
        "--template",
        str(ROOT / "template.yaml"),
        "--build-dir",
        str(build_dir),
        "--base-dir",
        str(ROOT),
        "--no-cached",
    ]
    started = time.monotonic()
    # Run outside the repo so that nothing (.aws-sam/) is left in the work tree.
    result = subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, timeout=900)
    print(f"sam build took {time.monotonic() - started:.1f} s")
    if result.returncode != 0:
        pytest.fail(f"sam build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return build_dir
