"""How close enhanced photos come to their targets: PSNR and SSIM at a downscaled size and at
full resolution (the lecture's PSNR_d / SSIM_d and PSNR_f / SSIM_f, Tables 1 and 2).

* ``_f``: the enhancer runs on the full-resolution input; its output is compared with the
  full-resolution target.
* ``_d``: input and target are first area-downscaled so that their longer side is
  :data:`DOWNSCALED` pixels (never enlarged); the enhancer runs on the downscaled input and is
  compared with the downscaled target. The paper's downscaled size is not in the reachable text;
  DPE, its baseline, works at a long side of 512 on FiveK; 256 suits our smaller photos.

PSNR and SSIM are ``swgen.metrics.translation``'s (scikit-image's definitions, tested against
it), each per image in [0, 1] and averaged over the held-out photos; identical images (infinite
PSNR) are left out of the PSNR mean.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.metrics.translation import mean_finite, psnr, ssim

DOWNSCALED = 256


def downscale(images: Tensor, longest: int = DOWNSCALED) -> Tensor:
    """(N, C, H, W) images area-averaged so their longer side is ``longest`` (if larger)."""
    height, width = images.shape[-2:]
    factor = longest / max(height, width)
    if factor >= 1:
        return images
    size = (max(1, round(height * factor)), max(1, round(width * factor)))
    return F.adaptive_avg_pool2d(images, size)


def enhancement_scores(
    enhance: Callable[[Tensor], Tensor], pairs: list[tuple[Tensor, Tensor]]
) -> dict[str, float]:
    """``psnr_d``, ``ssim_d``, ``psnr_f``, ``ssim_f`` of ``enhance`` (data-space (1, C, H, W)
    in [0, 1] to the same) on (input, target) pairs in [0, 1], and of the untouched inputs
    (``*_identity``), the floor any enhancer must beat."""
    scores: dict[str, list[Tensor]] = {}
    for x, y in pairs:
        for scale, (inputs, targets) in (("f", (x, y)), ("d", (downscale(x), downscale(y)))):
            outputs = enhance(inputs).clamp(0, 1)
            for suffix, images in (("", outputs), ("_identity", inputs)):
                scores.setdefault(f"psnr_{scale}{suffix}", []).append(psnr(images, targets))
                scores.setdefault(f"ssim_{scale}{suffix}", []).append(ssim(images, targets))
    found = {}
    for key in sorted(scores):
        values = torch.cat(scores[key])
        found[key] = mean_finite(values) if key.startswith("psnr") else float(values.mean())
    return {key: value for key, value in found.items() if not math.isnan(value)}
