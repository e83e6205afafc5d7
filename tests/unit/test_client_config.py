"""Every AWS client the runtime builds, and every one the local stack builds, has explicit
timeouts and retries; and a call that exhausts them still ends before the function's Timeout.

The bound per call is attempts × (connect + read timeout), plus botocore's standard-mode
backoff between attempts (each retry waits up to min(2 ** (n - 1), 20) seconds).
"""

from __future__ import annotations

from typing import Any

import pytest

from pressroom.composition import pipeline_from_settings
from pressroom.config import Settings
from pressroom_dev.stack import LocalStack, load_template
from support.paths import ROOT

TEMPLATE = ROOT / "template.yaml"
RUNTIME_SERVICES = {"s3", "dynamodb", "cloudfront", "scheduler"}


class RecordingSession:
    """A boto3 session that records each client it is asked for, with its config."""

    def __init__(self) -> None:
        self.clients: list[tuple[str, Any]] = []

    def client(self, service: str, **kwargs: Any) -> object:
        self.clients.append((service, kwargs.get("config")))
        return object()


def attempts(config: Any) -> int:
    retries = config.retries or {}
    return int(retries.get("total_max_attempts") or retries.get("max_attempts", 0) + 1)


def worst_case_seconds(config: Any) -> float:
    """How long one call can take before it gives up: every attempt times out, and each retry
    waits its longest backoff."""
    tries = attempts(config)
    backoff = sum(min(2 ** (n - 1), 20) for n in range(1, tries))
    return float(tries * (config.connect_timeout + config.read_timeout) + backoff)


def function_timeouts() -> dict[str, int]:
    template = load_template(TEMPLATE)
    default = int(template["Globals"]["Function"]["Timeout"])
    return {
        lid: int((resource.get("Properties") or {}).get("Timeout", default))
        for lid, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def runtime_clients() -> list[tuple[str, Any]]:
    session = RecordingSession()
    settings = Settings(
        source_bucket="source",
        site_bucket="site",
        posts_table="posts",
        templates_dir=ROOT / "templates",
        distribution_id="E123",
        schedule_target_arn="arn:aws:sqs:us-east-1:123456789012:ingest",
        scheduler_role_arn="arn:aws:iam::123456789012:role/scheduler",
    )
    pipeline_from_settings(settings, session)
    return session.clients


def test_every_runtime_client_has_explicit_timeouts_and_retries() -> None:
    """Given settings naming every resource (CDN and scheduler included), when the composition
    root builds its adapters, then every client it asks for has connect and read timeouts and
    standard-mode retries with a fixed number of attempts."""
    clients = runtime_clients()
    assert {service for service, _ in clients} == RUNTIME_SERVICES
    for service, config in clients:
        assert config is not None, service
        assert config.connect_timeout and config.read_timeout, service
        assert config.retries["mode"] == "standard", service
        assert attempts(config) >= 2, service


@pytest.mark.parametrize("function", sorted(function_timeouts()))
def test_a_call_gives_up_before_the_function_times_out(function: str) -> None:
    """Given a function's Timeout in template.yaml (the Globals' 30 s, or its own: Rebuild's
    900 s), then a runtime call that exhausts its attempts (connect + read, and backoff) ends
    before it, so the function can still record a failure instead of being killed."""
    timeout = function_timeouts()[function]
    for service, config in runtime_clients():
        assert worst_case_seconds(config) < timeout, (service, worst_case_seconds(config))


def test_the_template_gives_rebuild_a_longer_timeout() -> None:
    """Given the template, then the functions that handle one event keep the 30 s default and
    Rebuild, which walks the whole site, has its own longer Timeout."""
    timeouts = function_timeouts()
    assert timeouts["RebuildFunction"] > timeouts["RenderPostFunction"] == 30
    assert timeouts["BuildIndexesFunction"] == 30


def test_the_local_stacks_clients_have_explicit_timeouts() -> None:
    """Given the local stack over template.yaml, when it is set up, then each client it makes
    (to create resources and deliver events) has explicit timeouts and retries too."""
    session = RecordingSession()
    LocalStack(ROOT, session)
    assert session.clients
    for service, config in session.clients:
        assert config is not None, service
        assert config.connect_timeout and config.read_timeout, service
        assert attempts(config) >= 2, service
