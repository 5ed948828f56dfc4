"""Helpers of examples/bench_peers.py: the runtimes' own converters, and running their files."""
