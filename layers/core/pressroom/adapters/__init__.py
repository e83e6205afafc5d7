"""Adapters: the ports implemented on AWS, one module per service. The only code that talks to
boto3; each adapter takes its client in `__init__` and translates ClientError into
PermanentError or TransientError."""
