r"""Kernel Inception Distance (Bińkowski, Sutherland, Arbel, Gretton, ICLR 2018).

The unbiased estimate of the squared MMD with the cubic polynomial kernel
:math:`k(x, y) = (x^\top y / d + 1)^3` on subsets of m real features X and m fake features Y:

.. math::
    \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)} \sum_{i \ne j} \big(k(x_i, x_j) + k(y_i, y_j)\big)
        - \frac{2}{m^2} \sum_{i, j} k(x_i, y_j),

averaged over ``n_subsets`` random subsets (drawn without replacement within a subset), with
``m = min(subset_size, n_real, n_fake)``, as clean-fid and torch-fidelity do; the standard deviation
over subsets is returned too (``np.std``, as torch-fidelity). Float64, seeded.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kid", "mmd2_unbiased"]


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """The unbiased MMD² above between two equal-size sets (m, d) with the cubic kernel."""
    m, d = x.shape
    k_xx = (x @ x.T / d + 1) ** 3
    k_yy = (y @ y.T / d + 1) ** 3
    k_xy = (x @ y.T / d + 1) ** 3
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2 * k_xy.mean())


def kid(
    features_real: np.ndarray,
    features_fake: np.ndarray,
    n_subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """(mean, std) over subsets of the unbiased MMD² (module docstring)."""
    real = np.asarray(features_real, dtype=np.float64)
    fake = np.asarray(features_fake, dtype=np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"swgen: kid needs features (n, d) and (m, d), got {real.shape}, {fake.shape}"
        )
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise ValueError(
            f"swgen: kid needs at least 2 samples per set, got {len(real)}, {len(fake)}"
        )
    rng = np.random.default_rng(seed)
    values = [
        mmd2_unbiased(
            real[rng.choice(len(real), m, replace=False)],
            fake[rng.choice(len(fake), m, replace=False)],
        )
        for _ in range(n_subsets)
    ]
    return float(np.mean(values)), float(np.std(values))
