"""Benchmarks: `make bench` (python -m pressroom_dev.bench)."""
