"""FID against the reference formula of pytorch-fid / clean-fid (scipy.linalg.sqrtm)."""

import numpy as np
import pytest
import scipy.linalg

from swgen.metrics import feature_statistics, fid, frechet_distance


def reference_frechet(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance, re-derived: sqrtm of the product, eps retry."""
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(sigma1)) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


def correlated(rng, n, d, rank=None, shift=0.0):
    mixing = rng.normal(size=(rank or d, d))
    return rng.normal(size=(n, rank or d)) @ mixing + shift


@pytest.mark.parametrize(
    "n, d, rank",
    [(2000, 32, None), (300, 64, None), (40, 64, None), (500, 48, 12)],
    ids=["full-rank", "n~5d", "n<d", "rank-deficient"],
)
def test_fid_matches_scipy_sqrtm_reference(n, d, rank):
    rng = np.random.default_rng(0)
    real = correlated(rng, n, d, rank)
    fake = correlated(rng, n, d, rank, shift=0.3)
    mu1, sigma1 = feature_statistics(real)
    mu2, sigma2 = feature_statistics(fake)
    expected = reference_frechet(mu1, sigma1, mu2, sigma2)
    assert fid(real, fake) == pytest.approx(expected, rel=1e-3)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-3)


def test_near_singular_covariances_with_tiny_eigenvalues():
    rng = np.random.default_rng(1)
    d = 40
    scales = np.logspace(0, -9, d)  # condition number 1e9
    real = rng.normal(size=(1000, d)) * scales
    fake = rng.normal(size=(1000, d)) * scales * 1.2 + 0.1
    mu1, sigma1 = feature_statistics(real)
    mu2, sigma2 = feature_statistics(fake)
    expected = reference_frechet(mu1, sigma1, mu2, sigma2)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-3)


def test_closed_forms():
    # One dimension: (m1 - m2)^2 + (s1 - s2)^2.
    assert frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4.0 + 1.0)
    # Commuting (diagonal) covariances: |mu1 - mu2|^2 + sum (sqrt(a) - sqrt(b))^2.
    a, b = np.array([1.0, 4.0, 0.0]), np.array([9.0, 1.0, 2.0])
    expected = 3.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)) == pytest.approx(
        expected
    )
    features = np.random.default_rng(2).normal(size=(200, 8))
    assert abs(fid(features, features)) < 1e-9
