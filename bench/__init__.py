"""Benchmarks: `make bench` (python -m bench). Each module has a main() that prints its figures."""
