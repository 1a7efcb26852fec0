"""KID against a direct numpy computation of the unbiased MMD² with the cubic kernel."""

import numpy as np
import pytest

from swgen.metrics import kid


def direct_mmd2(x, y):
    """The unbiased estimator written out term by term."""
    m, d = x.shape

    def k(a, b):
        return (a @ b / d + 1) ** 3

    within = sum(k(x[i], x[j]) + k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    across = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return within / (m * (m - 1)) - 2 * across / m**2


def test_whole_set_subsets_equal_the_direct_estimator():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(40, 6)), rng.normal(0.5, 1.2, size=(40, 6))
    mean, std = kid(real, fake, n_subsets=3, subset_size=1000)  # every subset: all 40 samples
    assert mean == pytest.approx(direct_mmd2(real, fake), rel=1e-10)
    assert std == pytest.approx(0.0, abs=1e-10)


def test_random_subsets_average_the_direct_estimator():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(60, 5)), rng.normal(0.3, 1.0, size=(50, 5))
    mean, std = kid(real, fake, n_subsets=4, subset_size=20, seed=7)
    draws = np.random.default_rng(7)
    values = [
        direct_mmd2(
            real[draws.choice(60, 20, replace=False)], fake[draws.choice(50, 20, replace=False)]
        )
        for _ in range(4)
    ]
    assert mean == pytest.approx(np.mean(values), rel=1e-10)
    assert std == pytest.approx(np.std(values), rel=1e-10)
    assert kid(real, fake, n_subsets=4, subset_size=20, seed=7) == (mean, std)


def test_same_distribution_is_near_zero_and_shift_is_positive():
    rng = np.random.default_rng(2)
    real, same, shifted = (rng.normal(size=(500, 16)) for _ in range(3))
    shifted += 0.5
    near_zero, std = kid(real, same, n_subsets=20, subset_size=200)
    far, _ = kid(real, shifted, n_subsets=20, subset_size=200)
    assert abs(near_zero) < 3 * std + 1e-3
    assert far > 10 * abs(near_zero) and far > 0.05
