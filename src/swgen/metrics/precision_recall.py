r"""Improved precision and recall (Kynkäänniemi, Karras, Laine, Lehtinen, Aila, NeurIPS 2019).

Each set of features approximates its manifold by the union of balls around its points, the
radius of each ball being the distance to the point's k-th nearest neighbour within the same set:

.. math::
    f(\phi, \Phi) = 1 \text{ if } \|\phi - \phi'\|_2 \le \|\phi' - \mathrm{NN}_k(\phi', \Phi)\|_2
        \text{ for some } \phi' \in \Phi, \text{ else } 0,

    \text{precision} = \frac{1}{|\Phi_g|} \sum_{\phi_g} f(\phi_g, \Phi_r), \qquad
    \text{recall} = \frac{1}{|\Phi_r|} \sum_{\phi_r} f(\phi_r, \Phi_g).

Precision: the share of generated samples on the real manifold (quality); recall: the share of
real samples on the generated manifold (coverage). The paper uses k = 3. Distances are computed in
float64 in blocks, so memory stays bounded for tens of thousands of features.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

__all__ = ["manifold_radii", "precision_recall"]

BLOCK = 2048


def manifold_radii(features: Tensor, k: int = 3) -> Tensor:
    """Distance of each point to its k-th nearest neighbour in the same set (itself excluded)."""
    if len(features) <= k:
        raise ValueError(f"swgen: precision/recall with k={k} needs more than {k} samples per set")
    radii = [
        torch.cdist(features[start : start + BLOCK], features).kthvalue(k + 1, dim=1).values
        for start in range(0, len(features), BLOCK)
    ]
    return torch.cat(radii)


def _inside_manifold(queries: Tensor, points: Tensor, radii: Tensor) -> Tensor:
    """For each query, whether it lies in some ball (points[j], radii[j])."""
    inside = [
        (torch.cdist(queries[start : start + BLOCK], points) <= radii).any(dim=1)
        for start in range(0, len(queries), BLOCK)
    ]
    return torch.cat(inside)


def precision_recall(
    real_features: np.ndarray | Tensor, fake_features: np.ndarray | Tensor, k: int = 3
) -> tuple[float, float]:
    """(precision, recall) of the fake features against the real ones (module docstring)."""
    real = torch.as_tensor(real_features).to(torch.float64)
    fake = torch.as_tensor(fake_features).to(torch.float64)
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"swgen: precision_recall needs features (n, d) and (m, d), got {tuple(real.shape)}, "
            f"{tuple(fake.shape)}"
        )
    precision = _inside_manifold(fake, real, manifold_radii(real, k)).double().mean()
    recall = _inside_manifold(real, fake, manifold_radii(fake, k)).double().mean()
    return float(precision), float(recall)
