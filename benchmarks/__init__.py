"""Benchmarks: extraction quality (evaluate.py, scoring.py) and crawl speed (crawl_benchmark.py)."""
