"""The clock moto's S3 stamps objects with, which a test can move forward.

S3's LastModified has whole seconds, so a test that needs an upload to come a second after the
previous one advances this clock instead of sleeping: moto's S3 takes every timestamp it records
from `moto.s3.models.utcnow`, which `S3Clock.install` replaces with the real time plus an offset.
Nothing else of moto's (DynamoDB, SQS, streams) sees the offset.
"""

from __future__ import annotations

import datetime

import moto.s3.models
import pytest
from moto.core.utils import utcnow


class S3Clock:
    """moto's S3 clock: the real UTC time, plus the seconds the test has advanced it by."""

    def __init__(self) -> None:
        self.offset = datetime.timedelta(0)
        self.held: datetime.datetime | None = None

    def now(self) -> datetime.datetime:
        return (self.held or utcnow()) + self.offset

    def hold(self) -> None:
        """Stop the clock at the start of the current second: later uploads share one
        LastModified until the test advances it."""
        self.held = utcnow().replace(microsecond=0)

    def advance(self, seconds: float) -> None:
        self.offset += datetime.timedelta(seconds=seconds)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> S3Clock:
        """Make moto's S3 read this clock until the test ends."""
        monkeypatch.setattr(moto.s3.models, "utcnow", self.now)
        return self
