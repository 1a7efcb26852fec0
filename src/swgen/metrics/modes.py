"""Mode coverage on Gaussian-mixture toys (the 8- and 25-Gaussian benchmarks).

Each sample is assigned to its nearest mode. It is *high quality* when it lies within
``threshold`` standard deviations of that mode (Srivastava et al., VEEGAN, 2017; Metz et al.,
unrolled GANs, 2017). A mode is *covered* when at least ``min_count`` high-quality samples fall on
it (PacGAN uses 1; a stricter count guards against a handful of stray samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class ModeCoverage:
    modes_covered: int
    n_modes: int
    high_quality_fraction: float
    samples_per_mode: tuple[int, ...]

    def as_dict(self) -> dict[str, float]:
        return {
            "modes_covered": self.modes_covered,
            "n_modes": self.n_modes,
            "high_quality_fraction": self.high_quality_fraction,
        }


def mode_coverage(
    samples: Tensor, modes: Tensor, std: float, threshold: float = 3.0, min_count: int = 1
) -> ModeCoverage:
    """Covered modes and the share of high-quality samples (see the module docstring)."""
    distances = torch.cdist(samples.double(), modes.double())
    nearest_distance, nearest_mode = distances.min(dim=1)
    high_quality = nearest_distance <= threshold * std
    counts = torch.bincount(nearest_mode[high_quality], minlength=len(modes))
    return ModeCoverage(
        modes_covered=int((counts >= min_count).sum()),
        n_modes=len(modes),
        high_quality_fraction=float(high_quality.double().mean()),
        samples_per_mode=tuple(int(c) for c in counts),
    )
