r"""Fréchet distance between Gaussians fitted to features: FID (Heusel et al. 2017).

.. math::
    d^2 = \|\mu_1 - \mu_2\|^2 + \operatorname{tr}\Sigma_1 + \operatorname{tr}\Sigma_2
          - 2 \operatorname{tr}\big(\Sigma_1 \Sigma_2\big)^{1/2}

How the last trace is computed (the only delicate part). pytorch-fid and clean-fid call
``scipy.linalg.sqrtm(Σ1 Σ2)`` on the non-symmetric product; when that returns non-finite values
they retry with ``eps = 1e-6`` added to both diagonals, and they drop a small imaginary part.
swgen uses the identity :math:`\operatorname{tr}(\Sigma_1\Sigma_2)^{1/2} = \sum_i
\sqrt{\lambda_i(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})}`: the matrix in the middle is symmetric
positive semi-definite, so a symmetric eigen-decomposition (``eigh``) gives real eigenvalues and
no imaginary parts arise. Both square roots come from ``eigh`` with round-off negatives clipped to
0, which is exact for singular and rank-deficient covariances (fewer samples than dimensions)
as well: no offset is needed where ``sqrtm`` would need one. Only if an eigen-decomposition fails
to converge (``LinAlgError``) is it retried, as clean-fid does, with ``eps * I`` added to the
diagonals of both covariances. Everything is float64.
"""

from __future__ import annotations

import numpy as np

__all__ = ["feature_statistics", "fid", "frechet_distance"]

EPS = 1e-6
"""The diagonal offset of the retry (pytorch-fid's and clean-fid's ``eps``)."""


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and unbiased covariance (d, d) of features (n, d), in float64."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"swgen: features must be (n >= 2, d), got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False).reshape(features.shape[1], -1)


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix (negative round-off clipped to 0)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    values = np.linalg.eigvalsh((middle + middle.T) / 2)
    return float(np.sqrt(np.clip(values, 0.0, None)).sum())


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = EPS
) -> float:
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2) (module docstring)."""
    mu1, mu2 = (
        np.atleast_1d(np.asarray(mu1, np.float64)),
        np.atleast_1d(np.asarray(mu2, np.float64)),
    )
    sigma1, sigma2 = (
        np.atleast_2d(np.asarray(sigma1, np.float64)),
        np.atleast_2d(np.asarray(sigma2, np.float64)),
    )
    d = mu1.shape[0]
    if mu2.shape != (d,) or sigma1.shape != (d, d) or sigma2.shape != (d, d):
        raise ValueError(
            f"swgen: frechet_distance needs means (d,) and covariances (d, d), got {mu1.shape}, "
            f"{sigma1.shape}, {mu2.shape}, {sigma2.shape}"
        )
    try:
        trace_sqrt = _trace_sqrt_product(sigma1, sigma2)
    except np.linalg.LinAlgError:
        offset = eps * np.eye(d)
        trace_sqrt = _trace_sqrt_product(sigma1 + offset, sigma2 + offset)
    difference = mu1 - mu2
    return float(difference @ difference + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)


def fid(features_real: np.ndarray, features_fake: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (n, d) (unbiased covariances).

    With Inception pool features this is FID; with swgen's classifiers, ``fid_digits`` etc.
    """
    return frechet_distance(*feature_statistics(features_real), *feature_statistics(features_fake))
