"""The use cases: publish one source change, build the index pages a batch made stale, and
rebuild or reconcile the whole site. They speak the model and the ports, never boto3."""
