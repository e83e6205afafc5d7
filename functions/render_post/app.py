"""RenderPost: S3 notifications (via SQS, or bare) for posts/ → post pages and table items."""

import gc

# The imports below allocate much and free little: collecting meanwhile only costs time.
gc.disable()

import os
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
from pressroom.events import is_s3_notification, source_changes, source_changes_from_sqs
from pressroom.model import SourceChange

gc.freeze()  # what the imports made stays: later collections skip it
gc.enable()

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@lru_cache(maxsize=1)
def default_pipeline() -> Pipeline:
    return pipeline_from_settings(Settings.from_environ(os.environ))


def publish(pipeline: Pipeline, changes: list[SourceChange]) -> None:
    for change in changes:
        outcome = pipeline.publish(change)
        metrics.add_metric(name=f"Posts{outcome.result.title()}", unit=MetricUnit.Count, value=1)
        if outcome.result == "rejected":
            logger.warning(
                "post rejected",
                source_key=outcome.key,
                reason=outcome.message,
                problems=[problem.as_dict() for problem in outcome.problems],
                report_key=outcome.report,
            )
        elif outcome.result == "waiting":
            # Not an error: the post is published by itself when its URL's owner leaves.
            logger.info(
                "post waiting",
                source_key=outcome.key,
                url=outcome.url,
                reason=outcome.message,
                report_key=outcome.report,
            )
        else:
            logger.info(
                "post processed",
                source_key=outcome.key,
                result=outcome.result,
                url=outcome.url,
                warnings=list(outcome.warnings),
            )


@logger.inject_lambda_context
@traced(os.environ)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, pipeline: Pipeline | None = None
) -> dict[str, Any]:
    pipeline = pipeline or default_pipeline()
    if is_s3_notification(event):
        publish(pipeline, source_changes(event))
        return {"batchItemFailures": []}
    return process_partial_response(  # type: ignore[return-value]
        event=event,
        record_handler=lambda record: publish(pipeline, source_changes_from_sqs(record)),
        processor=processor,
        context=context,
    )
