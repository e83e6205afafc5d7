"""The composition root: the use cases wired to one set of adapters, built once per container
from the settings the handler read."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3
from botocore.config import Config

from pressroom.adapters.cloudfront import CloudFrontInvalidator
from pressroom.adapters.dynamodb import (
    DynamoInvalidationOutbox,
    DynamoPostRepository,
    DynamoStalePages,
    DynamoTableChanges,
    check_commit_fits,
)
from pressroom.adapters.s3 import S3Reports, S3Site, S3Source
from pressroom.adapters.scheduler import EventBridgeScheduler
from pressroom.adapters.sqs import SqsChangeQueue, SqsWildcardTimer
from pressroom.config import Settings
from pressroom.ports import (
    ChangeQueue,
    InvalidationOutbox,
    Invalidator,
    PostRepository,
    PublicationScheduler,
    ReportStore,
    SiteStore,
    SourceStore,
    StalePages,
    TableChanges,
    WildcardTimer,
)
from pressroom.render import SiteRenderer
from pressroom.usecases.cdn import Invalidations
from pressroom.usecases.indexes import IndexBuilder
from pressroom.usecases.publish import Publisher

if TYPE_CHECKING:  # imported where used: RenderPost and BuildIndexes never rebuild
    from pressroom.usecases.rebuild import FanOut, Progress, Rebuilder

# The functions time out after 30 s: a call gives up well before, and retries stay inside it:
# 3 attempts of (3 s to connect + 5 s to read), plus up to 1 + 2 s of backoff, is 27 s
# (tests/unit/test_client_config.py holds every client and function to this).
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},
)

Handler = TypeVar("Handler", bound=Callable[..., Any])
# Truthy values of POWERTOOLS_TRACE_DISABLED, as Powertools reads them.
TRUTHY = {"1", "y", "yes", "t", "true", "on"}


def tracing_enabled(environ: Mapping[str, str]) -> bool:
    """Whether Powertools' Tracer would trace in this environment: in Lambda (LAMBDA_TASK_ROOT
    set), not under `sam local` or Chalice, and not turned off by POWERTOOLS_TRACE_DISABLED."""
    if environ.get("POWERTOOLS_TRACE_DISABLED", "false").strip().lower() in TRUTHY:
        return False
    local = environ.get("AWS_SAM_LOCAL") or environ.get("AWS_CHALICE_CLI_MODE")
    return bool(environ.get("LAMBDA_TASK_ROOT")) and not local


def traced(environ: Mapping[str, str]) -> Callable[[Handler], Handler]:
    """A decorator putting a handler under Powertools' Tracer (X-Ray) when tracing is enabled.
    When it is not, the handler is returned as it is and the X-Ray SDK is never imported:
    Tracer() imports it (and patches botocore) even when disabled, a tenth of a cold start."""

    def decorate(handler: Handler) -> Handler:
        if not tracing_enabled(environ):
            return handler
        from aws_lambda_powertools.tracing import Tracer

        return cast(Handler, Tracer().capture_lambda_handler(handler))

    return decorate


@dataclass
class Pipeline:
    """The use cases of one container: publish a change, build stale index pages, rebuild."""

    publish: Publisher
    build_indexes: IndexBuilder
    table_changes: TableChanges
    fanout: FanOut | None = field(default=None, kw_only=True)

    def rebuilder(self, progress: Progress | None = None) -> Rebuilder:
        from pressroom.usecases.rebuild import Rebuilder

        rebuilder = Rebuilder(self.publish, self.build_indexes, fanout=self.fanout)
        if progress is not None:
            rebuilder.progress = progress
        return rebuilder

    @classmethod
    def wire(
        cls,
        renderer: SiteRenderer,
        source: SourceStore,
        site: SiteStore,
        repository: PostRepository,
        invalidator: Invalidator | None = None,
        scheduler: PublicationScheduler | None = None,
        reports: ReportStore | None = None,
        table_changes: TableChanges | None = None,
        outbox: InvalidationOutbox | None = None,
        stale: StalePages | None = None,
        requeue: ChangeQueue | None = None,
        wildcard_timer: WildcardTimer | None = None,
    ) -> Pipeline:
        """Without a CDN (no invalidator) nothing is recorded for invalidation."""
        if invalidator is None:
            outbox = None
        config = renderer.config
        invalidations = (
            Invalidations(
                outbox,
                invalidator,
                config.cdn_wildcard_after,
                wildcard_timer,
                config.cdn_wildcard_delay,
            )
            if outbox is not None and invalidator is not None
            else None
        )
        return cls(
            Publisher(
                renderer, source, site, repository, scheduler, reports=reports, outbox=outbox
            ),
            IndexBuilder(renderer, site, repository, outbox, invalidations, stale, requeue),
            table_changes or DynamoTableChanges(),
        )


def pipeline_from_settings(settings: Settings, session: Any = None) -> Pipeline:
    """Adapters for the deployed (or local) resources named in the settings."""
    session = session or boto3.session.Session()
    client: Callable[..., Any] = lambda service: session.client(  # noqa: E731
        service, endpoint_url=settings.endpoint_url, config=CLIENT_CONFIG
    )
    renderer = SiteRenderer.from_directory(settings.templates_dir)
    limits = renderer.config.limits
    check_commit_fits(limits.max_categories, limits.max_tags)
    s3, dynamodb = client("s3"), client("dynamodb")
    sqs = client("sqs") if settings.ingest_queue_url or settings.rebuild_queue_url else None
    invalidator = (
        CloudFrontInvalidator(settings.distribution_id, client("cloudfront"))
        if settings.distribution_id
        else None
    )
    scheduler = (
        EventBridgeScheduler(
            settings.schedule_group,
            settings.schedule_target_arn,
            settings.scheduler_role_arn,
            client("scheduler"),
        )
        if settings.schedule_target_arn
        else None
    )
    pipeline = Pipeline.wire(
        renderer,
        S3Source(settings.source_bucket, s3),
        S3Site(settings.site_bucket, s3),
        DynamoPostRepository(settings.posts_table, dynamodb),
        invalidator,
        scheduler,
        S3Reports(settings.source_bucket, s3),
        outbox=DynamoInvalidationOutbox(settings.posts_table, dynamodb),
        stale=DynamoStalePages(settings.posts_table, dynamodb),
        requeue=(
            SqsChangeQueue(settings.ingest_queue_url, sqs)
            if settings.ingest_queue_url and sqs
            else None
        ),
        wildcard_timer=(
            SqsWildcardTimer(settings.posts_table, dynamodb, settings.rebuild_queue_url, sqs)
            if settings.rebuild_queue_url and sqs
            else None
        ),
    )
    if settings.rebuild_queue_url and sqs:
        from pressroom.adapters.fanout import DynamoRebuildJobs, S3SourceListing, SqsWorkQueue
        from pressroom.usecases.rebuild import FanOut

        pipeline.fanout = FanOut(
            SqsWorkQueue(settings.rebuild_queue_url, sqs),
            S3SourceListing(settings.source_bucket, s3),
            DynamoRebuildJobs(settings.posts_table, dynamodb),
            invalidator,
        )
    return pipeline
