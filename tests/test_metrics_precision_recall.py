"""Improved precision and recall on constructed feature sets."""

import numpy as np
import pytest

from swgen.metrics import precision_recall


def test_identical_sets_have_full_precision_and_recall():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert precision_recall(features, features.copy()) == (1.0, 1.0)


def test_disjoint_sets_have_none():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(300, 4)), rng.normal(size=(300, 4)) + 100.0
    assert precision_recall(real, fake) == (0.0, 0.0)


def test_fake_covering_half_the_real_support():
    rng = np.random.default_rng(2)
    real = rng.uniform(0, 2, size=(4000, 2)) * [1, 0.5]  # the rectangle [0, 2] x [0, 1]
    fake = rng.uniform(0, 1, size=(2000, 2))  # its left half
    precision, recall = precision_recall(real, fake, k=3)
    assert precision > 0.97
    assert recall == pytest.approx(0.5, abs=0.04)


def test_more_neighbours_means_larger_manifolds():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=(400, 6)), rng.normal(0.7, 1.0, size=(400, 6))
    small, large = precision_recall(real, fake, k=1), precision_recall(real, fake, k=10)
    assert large[0] > small[0] and large[1] > small[1]
