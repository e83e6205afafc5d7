"""Benchmarks of issue 12: `make bench` (python -m pressroom_dev.bench)."""
