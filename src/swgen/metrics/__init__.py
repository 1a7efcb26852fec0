"""Measures of how well generated samples match the data."""

from swgen.metrics.modes import ModeCoverage, mode_coverage

__all__ = ["ModeCoverage", "mode_coverage"]
