"""Benchmarks: `make bench` (python -m bench.run), docs/benchmarks.md."""
