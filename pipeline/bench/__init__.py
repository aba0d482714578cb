"""Benchmarks: the front half, the classifiers and the whole chain measured against gold."""
