"""2D toy distributions of the WGAN-GP paper, drawn afresh for every batch.

``gaussians8``: eight Gaussians with centres on the circle of radius 2, std 0.02.
``gaussians25``: 25 Gaussians with centres on the grid {-4, -2, 0, 2, 4}^2, std 0.05.
``swissroll``: the 2D swiss roll (scikit-learn's ``make_swiss_roll``, noise 0.25) divided by 7.5,
so it spans roughly [-2, 2]^2.

Data coordinates are as these numbers state them (``modes``, ``mode_std``, saved samples and
plots). The networks see them divided by ``model_scale`` (1.414 for eight, 2.828 for 25, as the
WGAN-GP code, Gulrajani et al., 2017, ``gan_toy.py``, divides its data), so every toy sits at
about unit scale: gradient penalties and Lipschitz targets are not scale-free.
"""

from __future__ import annotations

import math
from abc import abstractmethod

import torch
from torch import Tensor

from swgen.data.base import (
    SAMPLE_STREAM,
    Batch,
    DataConfig,
    DataInfo,
    DataSource,
    step_generator,
)
from swgen.registry import DATASETS


class ToyPoints(DataSource):
    """A 2D distribution sampled on the fly: batch ``step`` is drawn from ``(seed, step)``."""

    info = DataInfo("points", (2,))
    model_scale: float = 1.0  # networks see data / model_scale

    @abstractmethod
    def draw(self, n: int, generator: torch.Generator) -> Tensor:
        """``n`` points (n, 2), float32, drawn with ``generator``."""

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        points = self.draw(batch_size, step_generator(seed, step))[rank::world_size]
        return Batch(points / self.model_scale)

    def sample(self, n: int, seed: int = 0) -> Tensor:
        return self.draw(n, step_generator(seed, SAMPLE_STREAM)) / self.model_scale

    def to_data_space(self, x: Tensor) -> Tensor:
        return x * self.model_scale


class GaussianMixture(ToyPoints):
    """Equal-weight isotropic Gaussians: ``modes`` (k, 2) centres, ``mode_std`` each std."""

    def __init__(self, name: str, modes: Tensor, mode_std: float, model_scale: float = 1.0) -> None:
        self.name = name
        self.model_scale = model_scale
        self.modes = modes.float()
        self.mode_std = float(mode_std)

    def draw(self, n: int, generator: torch.Generator) -> Tensor:
        which = torch.randint(len(self.modes), (n,), generator=generator)
        noise = torch.randn(n, 2, generator=generator)
        return self.modes[which] + self.mode_std * noise

    def describe(self) -> str:
        return f"{self.name}: {len(self.modes)} Gaussians of std {self.mode_std} in 2D"


class SwissRoll(ToyPoints):
    """``t = 1.5 pi (1 + 2u)``, ``u ~ U[0, 1]``; point ``(t cos t, t sin t) + 0.25 eps``, / 7.5."""

    name = "swissroll"
    noise = 0.25
    scale = 7.5

    def draw(self, n: int, generator: torch.Generator) -> Tensor:
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
        roll = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
        return (roll + self.noise * torch.randn(n, 2, generator=generator)) / self.scale


def circle_modes(count: int, radius: float) -> Tensor:
    angles = torch.arange(count, dtype=torch.float64) * (2 * math.pi / count)
    return (radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)).float()


def grid_modes(values: list[float]) -> Tensor:
    axis = torch.tensor(values, dtype=torch.float32)
    return torch.cartesian_prod(axis, axis)


@DATASETS.register(
    "gaussians8", summary="eight 2-D Gaussians on a circle (WGAN-GP paper; generated)"
)
def gaussians8(config: DataConfig) -> GaussianMixture:
    return GaussianMixture("gaussians8", circle_modes(8, radius=2.0), 0.02, model_scale=1.414)


@DATASETS.register("gaussians25", summary="25 2-D Gaussians on a grid (WGAN-GP paper; generated)")
def gaussians25(config: DataConfig) -> GaussianMixture:
    return GaussianMixture("gaussians25", grid_modes([-4, -2, 0, 2, 4]), 0.05, model_scale=2.828)


@DATASETS.register("swissroll", summary="2-D Swiss roll (WGAN-GP paper; generated)")
def swissroll(config: DataConfig) -> SwissRoll:
    return SwissRoll()
