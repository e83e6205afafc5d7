"""CloudFront: invalidations of the pages that changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pressroom.adapters.errors import translated

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient


class CloudFrontInvalidator:
    """Invalidations of the distribution in front of the site bucket."""

    def __init__(self, distribution_id: str, client: CloudFrontClient) -> None:
        self.distribution_id = distribution_id
        self.client = client

    def invalidate(self, paths: list[str], reference: str) -> str:
        """CloudFront answers a repeated CallerReference with the same batch by returning the
        earlier invalidation; TooManyInvalidationsInProgress is transient (retried)."""
        with translated("cloudfront:CreateInvalidation"):
            response = self.client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": reference,
                },
            )
        return str(response["Invalidation"]["Id"])
