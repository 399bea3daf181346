"""Benchmarks for issue 6: each target a ratio against a baseline timed in the same run.

Run ``bench/run`` or ``python -m bench`` from the repository root; ``--strict``
makes a missed target exit with status 1. Not part of the test suite.
"""
