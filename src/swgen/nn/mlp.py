"""Fully connected networks for low-dimensional points (the toy experiments of WGAN-GP).

Gulrajani et al.'s toy generator and critic are both ReLU MLPs with three hidden layers of width
512; swgen uses the same shape for every model on points, as generator and as encoder/critic.
"""

from __future__ import annotations

from torch import nn


class MLP(nn.Sequential):
    """``in_features -> [Linear(width), ReLU] x depth -> Linear(out_features)``.

    The last layer is linear: points live in data coordinates (no tanh), and a critic's
    features or score are unbounded.
    """

    def __init__(
        self, in_features: int, out_features: int, width: int = 512, depth: int = 3
    ) -> None:
        layers: list[nn.Module] = []
        features = in_features
        for _ in range(depth):
            layers += [nn.Linear(features, width), nn.ReLU()]
            features = width
        layers.append(nn.Linear(features, out_features))
        super().__init__(*layers)
        self.in_features = in_features
        self.out_features = out_features
