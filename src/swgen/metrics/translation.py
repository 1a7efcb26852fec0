"""How close translations come to their true counterparts: PSNR, SSIM and label preservation.

* ``psnr(x, y) = 10 log10(R^2 / mean (x - y)^2)`` per image (R = 1, images in [0, 1]), averaged
  over images (``skimage.metrics.peak_signal_noise_ratio`` per image).
* ``ssim``: Wang, Bovik, Sheikh, Simoncelli (IEEE TIP 2004), with their Gaussian window
  (sigma 1.5, 11 x 11) and constants ``C1 = (0.01 R)^2``, ``C2 = (0.03 R)^2``:

  ``SSIM = (2 mu_x mu_y + C1)(2 s_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(s_x^2 + s_y^2 + C2))``,

  local statistics weighted by the window, averaged over the positions where the window fits
  inside the image, over channels, then over images. This is what
  ``skimage.metrics.structural_similarity(x, y, data_range=1, channel_axis=0,
  gaussian_weights=True, sigma=1.5, use_sample_covariance=False)`` computes (tested against it
  when scikit-image is installed), without the dependency. Images under 11 px take the largest
  odd window that fits, with the same sigma.
* ``label_preservation``: the share of images to which a shipped classifier gives the same class
  before and after translation (each domain first turned into what the classifier reads).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

SSIM_SIGMA = 1.5
SSIM_RADIUS = 5  # scipy's gaussian_filter with truncate=3.5: int(3.5 * 1.5 + 0.5)
SSIM_K1, SSIM_K2 = 0.01, 0.03


def psnr(x: Tensor, y: Tensor, data_range: float = 1.0) -> Tensor:
    """Per-image PSNR in dB of (N, C, H, W) images ``x`` against ``y`` (inf where equal)."""
    mse = (x.double() - y.double()).pow(2).flatten(1).mean(dim=1)
    return 10 * torch.log10(data_range**2 / mse)


def gaussian_window(radius: int, sigma: float = SSIM_SIGMA) -> Tensor:
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float64)
    weights = torch.exp(-(offsets**2) / (2 * sigma**2))
    return weights / weights.sum()


def ssim(x: Tensor, y: Tensor, data_range: float = 1.0) -> Tensor:
    """Per-image SSIM of (N, C, H, W) images ``x`` against ``y`` (see the module docstring)."""
    x, y = x.double(), y.double()
    n, channels, height, width = x.shape
    radius = min(SSIM_RADIUS, (min(height, width) - 1) // 2)
    window = gaussian_window(radius)
    rows = window.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    columns = window.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)

    def blur(t: Tensor) -> Tensor:  # separable window, only where it fits ("valid")
        return F.conv2d(F.conv2d(t, rows, groups=channels), columns, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (SSIM_K1 * data_range) ** 2, (SSIM_K2 * data_range) ** 2
    index = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    return index.flatten(2).mean(dim=2).mean(dim=1)


def label_preservation(before: Tensor, after: Tensor, classifier: str = "digits") -> float:
    """Share of images whose classifier class is the same in ``before`` and ``after`` (both
    (N, C, H, W) in [0, 1], already as the classifier reads them)."""
    from swgen.metrics.recognised import class_probabilities

    same = class_probabilities(before, classifier).argmax(1) == class_probabilities(
        after, classifier
    ).argmax(1)
    return float(same.double().mean())


def mean_finite(values: Tensor) -> float:
    """Mean of per-image values, with identical images (infinite PSNR) left out."""
    finite = values[torch.isfinite(values)]
    return float(finite.mean()) if len(finite) else math.inf
