"""lrwatch benchmarks: ``make bench`` (``python -m benchmarks``) runs every suite listed in
``benchmarks.__main__.SUITES``; figures and method are published in BENCHMARKS.md."""
