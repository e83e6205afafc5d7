"""Integration tier: template.yaml's resources on in-process moto, driven through the handlers."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from support.aws import LOCAL_ENVIRONMENT, REGION
from support.harness import Harness
from support.posts import PostFactory
from support.posts import post_text as make_post_text


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def local(aws_environment: None) -> Iterator[Harness]:
    with mock_aws():
        yield Harness.create(boto3.session.Session(region_name=REGION))


@pytest.fixture
def post_text() -> PostFactory:
    return make_post_text
