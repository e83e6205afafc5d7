"""BuildIndexes: a batch of table stream records → the index pages it made stale, rendered once."""

import gc

# The imports below allocate much and free little: collecting meanwhile only costs time.
gc.disable()

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressroom.composition import Pipeline, pipeline_from_settings, traced
from pressroom.config import Settings
from pressroom.events import changed_items, first_sequence_number

gc.freeze()  # what the imports made stays: later collections skip it
gc.enable()

logger = Logger()
metrics = Metrics()


@lru_cache(maxsize=1)
def default_pipeline() -> Pipeline:
    return pipeline_from_settings(Settings.from_environ(os.environ))


@logger.inject_lambda_context
@traced(os.environ)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, pipeline: Pipeline | None = None
) -> dict[str, Any]:
    pipeline = pipeline or default_pipeline()
    changes = pipeline.table_changes.index_changes(changed_items(event))
    try:
        # Retries start at the same record: its eventID names the batch's stale pages.
        records = event.get("Records") or [{}]
        written = pipeline.build_indexes(changes, batch=records[0].get("eventID"))
    except Exception:
        logger.exception("index build failed; the batch will be retried", changes=len(changes))
        return {"batchItemFailures": [{"itemIdentifier": first_sequence_number(event)}]}
    metrics.add_metric(name="IndexPagesWritten", unit=MetricUnit.Count, value=len(written))
    logger.info("index pages written", pages=written)
    return {"batchItemFailures": []}
