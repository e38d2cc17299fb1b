"""Benchmarks: `python -m bench` (or `closer bench`) prints a table and writes JSON to bench/results/."""
