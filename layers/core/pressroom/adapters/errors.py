"""botocore failures translated into pressroom's errors: transient (retry may help) or
permanent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from pressroom.errors import (
    PermanentError,
    TransientError,
)

_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "503",
        "500",
        "TooManyInvalidationsInProgress",
    }
)
_TRANSIENT_REASONS = frozenset(
    {
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    }
)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def caused_by(error: Exception, *codes: str) -> bool:
    """Whether a translated error came from a ClientError with one of these codes."""
    cause = error.__cause__
    return isinstance(cause, ClientError) and error_code(cause) in codes


@contextmanager
def translated(operation: str) -> Iterator[None]:
    """Map botocore failures to TransientError (retry may help) or PermanentError."""
    try:
        yield
    except ClientError as error:
        code = error_code(error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        kind = TransientError if code in _TRANSIENT_CODES or status >= 500 else PermanentError
        raise kind(f"{operation} failed: {code or status}: {error}") from error
    except (
        EndpointConnectionError,
        ConnectTimeoutError,
        ReadTimeoutError,
        ConnectionClosedError,
    ) as error:
        raise TransientError(f"{operation} failed: {error}") from error
