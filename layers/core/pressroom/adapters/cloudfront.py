"""CloudFront: invalidations of the pages that changed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pressroom.adapters.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient


class CloudFrontInvalidator:
    """One invalidation per batch of changed pages."""

    def __init__(self, distribution_id: str, client: CloudFrontClient) -> None:
        self.distribution_id = distribution_id
        self.client = client

    def invalidate(self, paths: list[str]) -> None:
        if not paths:
            return
        with translated("cloudfront:CreateInvalidation"):
            self.client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": f"pressroom-{time.time_ns()}",
                },
            )
