"""Rebuild: reconcile the source bucket with the table, and re-render every page.

Invoked by hand after a template or configuration change (`{"mode": "rebuild"}`), daily by
its schedule to repair lost notifications, lost deletes and the pages of failed index batches
(`{"mode": "reconcile"}`), and by `pressroom redrive` for the failed index batches alone
(`{"mode": "stale"}`).
"""

import gc

# The imports below allocate much and free little: collecting meanwhile only costs time.
gc.disable()

import json
import os
import uuid
from dataclasses import asdict
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressroom.composition import Pipeline, pipeline_from_settings, traced
from pressroom.config import Settings
from pressroom.usecases.rebuild import RebuildReport

gc.freeze()  # what the imports made stays: later collections skip it
gc.enable()

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@lru_cache(maxsize=1)
def default_pipeline() -> Pipeline:
    return pipeline_from_settings(Settings.from_environ(os.environ))


def report_progress(stage: str, done: int, total: int) -> None:
    if done == total or done % 100 == 0:
        logger.info("rebuild progress", stage=stage, done=done, total=total)


@logger.inject_lambda_context
@traced(os.environ)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, pipeline: Pipeline | None = None
) -> dict[str, Any]:
    rebuilder = (pipeline or default_pipeline()).rebuilder(report_progress)
    fanned = rebuilder.fanned(lambda: context.get_remaining_time_in_millis() / 1000)
    if "Records" in event:  # the rebuild queue: plan steps and parts of a fanned-out rebuild
        return process_partial_response(  # type: ignore[return-value]
            event=event,
            record_handler=lambda record: log_report(fanned.handle(json.loads(record.body))),
            processor=processor,
            context=context,
        )
    workers, mode = int(event.get("workers", 8)), event.get("mode", "rebuild")
    if mode == "stale":
        return log_report(RebuildReport(stale_pages=rebuilder.repair_stale(workers)))
    # A rebuild reconciles first unless told not to ({"reconcile": false}, see docs/scale.md).
    reconciled = rebuilder.reconcile(workers) if event.get("reconcile", True) else None
    report = log_report(reconciled or RebuildReport())
    if mode == "rebuild":  # then every page is rendered again, by a job of messages
        report |= fanned.start(str(event.get("job") or uuid.uuid4().hex))
    return report


def log_report(report: RebuildReport) -> dict[str, Any]:
    metrics.add_metric(
        name="PostsRepaired",
        unit=MetricUnit.Count,
        value=len(report.republished) + len(report.removed),
    )
    metrics.add_metric(name="StalePagesRebuilt", unit=MetricUnit.Count, value=report.stale_pages)
    for skipped in report.skipped:
        # A version that no longer exists, or a post that failed: the run went on without it.
        logger.warning("rebuild skipped", source_key=skipped.key, reason=skipped.reason)
    logger.info("rebuild done", **asdict(report))
    return asdict(report)
