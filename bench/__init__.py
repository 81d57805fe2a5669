"""Benchmarks. Run `make bench` (or `python -m bench.run --help`); figures go in the README."""
