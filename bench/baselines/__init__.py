"""Baselines the benchmark compares Flet Chat with: the seed tutorial and a bare broadcast."""
