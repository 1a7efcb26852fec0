"""Measures of how well generated samples match the data.

Feature-based metrics (``fid``, ``kid``, ``precision_recall``) take feature arrays (n, d); the
features come from an extractor picked by name (``get_feature_extractor``: ``digits``,
``fashion``, ``inception``) or any torch module (``features_from_module``), fed images in [0, 1]
through ``extract_features``, which resizes them the one documented way (``resize_for_features``).
A metric on extractor ``x`` is named ``fid_x`` / ``kid_x`` (``fid_digits``, ``fid_inception``).
``multiscale_swd`` compares images directly; ``mode_coverage`` scores 2D Gaussian mixtures.
"""

from swgen.metrics.features import (
    FeatureExtractor,
    extract_features,
    features_from_module,
    get_feature_extractor,
    register_feature_extractor,
)
from swgen.metrics.frechet import feature_statistics, fid, frechet_distance
from swgen.metrics.kid import kid
from swgen.metrics.modes import ModeCoverage, mode_coverage
from swgen.metrics.multiscale_swd import multiscale_swd
from swgen.metrics.precision_recall import precision_recall
from swgen.metrics.reference import ReferenceStatistics, reference_statistics
from swgen.metrics.resize import RESIZE_MODE, resize_for_features

__all__ = [
    "RESIZE_MODE",
    "FeatureExtractor",
    "ModeCoverage",
    "ReferenceStatistics",
    "extract_features",
    "feature_statistics",
    "features_from_module",
    "fid",
    "frechet_distance",
    "get_feature_extractor",
    "kid",
    "mode_coverage",
    "multiscale_swd",
    "precision_recall",
    "reference_statistics",
    "register_feature_extractor",
    "resize_for_features",
]
