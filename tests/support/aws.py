"""The local AWS the tests run against, as the tests expect it: one region, dummy credentials,
and the environment a handler sees under moto. Stated here, not read from pressroom_dev, so a
change to the product's defaults shows up as a failing test."""

from __future__ import annotations

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
# Keyword arguments for boto3 clients of `pressroom serve`'s local AWS endpoint.
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# The environment of in-process handlers on moto (the integration tier).
LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "pressroom",
    "POWERTOOLS_METRICS_NAMESPACE": "Pressroom",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
