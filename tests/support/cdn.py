"""A CDN that records the invalidations it is sent, and wiring it into a local stack's pipeline
with the table's invalidation outbox."""

from __future__ import annotations

import shutil
from pathlib import Path

from pressroom.adapters.dynamodb import DynamoInvalidationOutbox
from pressroom.composition import Pipeline, pipeline_from_settings
from pressroom.errors import TransientError
from pressroom.usecases.cdn import Invalidations
from support.harness import Harness
from support.paths import ROOT


class RecordingCdn:
    """Records each CreateInvalidation; fails the first `failures` of them (after they were
    received, like a lost answer, when `lost_answers`)."""

    def __init__(self, failures: int = 0, lost_answers: bool = False) -> None:
        self.requests: list[tuple[list[str], str]] = []
        self.failures = failures
        self.lost_answers = lost_answers

    def invalidate(self, paths: list[str], reference: str) -> str:
        if self.failures and not self.lost_answers:
            self.failures -= 1
            raise TransientError("cloudfront:CreateInvalidation failed: ServiceUnavailable")
        self.requests.append((list(paths), reference))
        if self.failures:
            self.failures -= 1
            raise TransientError("cloudfront:CreateInvalidation failed: Read timeout")
        return f"I{len(self.requests)}"

    @property
    def batches(self) -> list[list[str]]:
        return [paths for paths, _ in self.requests]

    @property
    def paths(self) -> set[str]:
        return {path for paths, _ in self.requests for path in paths}


def with_cdn(local: Harness, pipeline: Pipeline, cdn: RecordingCdn) -> None:
    """Make `local` use `pipeline`, with the table's invalidation outbox and `cdn` as the CDN."""
    outbox = DynamoInvalidationOutbox(local.settings.posts_table, local.stack.dynamodb)
    pipeline.publish.outbox = pipeline.build_indexes.outbox = outbox
    pipeline.build_indexes.invalidations = Invalidations(
        outbox, cdn, pipeline.build_indexes.config.cdn_wildcard_after
    )
    local.pipeline = pipeline


def templates_with(folder: Path, **settings: object) -> Path:
    """A copy of the site's templates in `folder`, with these `site.yaml` settings added."""
    templates = folder / "templates"
    shutil.copytree(ROOT / "templates", templates)
    site = templates / "site.yaml"
    lines = "".join(f"{name}: {value}\n" for name, value in settings.items())
    site.write_text(site.read_text(encoding="utf-8") + lines, encoding="utf-8")
    return templates


def with_templates(local: Harness, templates: Path) -> Harness:
    """Make `local`'s pipeline render with `templates`, behind a recording CDN."""
    settings = local.settings.model_copy(update={"templates_dir": templates})
    with_cdn(local, pipeline_from_settings(settings, local.session), RecordingCdn())
    return local
