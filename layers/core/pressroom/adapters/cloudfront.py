"""CloudFront: invalidations of the pages that changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pressroom.adapters.errors import error_code, translated
from pressroom.errors import PermanentError

if TYPE_CHECKING:
    from mypy_boto3_cloudfront import CloudFrontClient


class CloudFrontInvalidator:
    """Invalidations of the distribution in front of the site bucket."""

    def __init__(self, distribution_id: str, client: CloudFrontClient) -> None:
        self.distribution_id = distribution_id
        self.client = client

    def invalidate(self, paths: list[str], reference: str) -> str:
        """CloudFront answers a repeated CallerReference with the same batch by returning the
        earlier invalidation. It has also been seen refusing such a retry (InvalidArgument,
        "caller reference … used for a previous invalidation batch"; the API reference names
        InvalidationBatchAlreadyExists): either way the batch was accepted before, so it counts
        as made (id ""). TooManyInvalidationsInProgress is transient (retried)."""
        try:
            with translated("cloudfront:CreateInvalidation"):
                response = self.client.create_invalidation(
                    DistributionId=self.distribution_id,
                    InvalidationBatch={
                        "Paths": {"Quantity": len(paths), "Items": paths},
                        "CallerReference": reference,
                    },
                )
        except PermanentError as error:
            if _reference_reused(error):
                return ""
            raise
        return str(response["Invalidation"]["Id"])


def _reference_reused(error: PermanentError) -> bool:
    cause = error.__cause__
    if not isinstance(cause, ClientError):
        return False
    code = error_code(cause)
    message = str(cause.response.get("Error", {}).get("Message", "")).lower()
    return code == "InvalidationBatchAlreadyExists" or (
        code == "InvalidArgument" and "caller reference" in message
    )
