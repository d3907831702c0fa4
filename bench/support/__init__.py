"""Helpers the benchmarks share; nothing here is a benchmark itself."""
