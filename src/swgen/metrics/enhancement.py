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
PSNR) are left out of the PSNR mean. Clips (N, C, T, H, W) count each frame as an image.

Temporal consistency of clips, without motion estimation (no warping): with ``D(v)_t = v_{t+1} -
v_t`` the frame differences, ``temporal_error = E |D(output) - D(target)|`` (0 when the output
changes from frame to frame exactly as the target does; flicker raises it) and
``temporal_ratio = E |D(output)| / E |D(target)|`` (1 when the output moves as much as the
target, above 1 for flicker), each beside the untouched input's (``*_identity``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.metrics.translation import mean_finite, psnr, ssim

DOWNSCALED = 256


def as_frames(images: Tensor) -> Tensor:
    """Clips (N, C, T, H, W) as frames (N * T, C, H, W); images unchanged."""
    return images.transpose(1, 2).flatten(0, 1) if images.dim() == 5 else images


def downscale(images: Tensor, longest: int = DOWNSCALED) -> Tensor:
    """(N, C, H, W) images (or (N, C, T, H, W) clips, frame by frame) area-averaged so their
    longer side is ``longest`` (if larger)."""
    height, width = images.shape[-2:]
    factor = longest / max(height, width)
    if factor >= 1:
        return images
    size = (max(1, round(height * factor)), max(1, round(width * factor)))
    if images.dim() == 5:  # adaptive pooling over the last two axes of (N, C * T, H, W)
        n, c, t = images.shape[:3]
        return F.adaptive_avg_pool2d(images.flatten(1, 2), size).view(n, c, t, *size)
    return F.adaptive_avg_pool2d(images, size)


def frame_differences(clips: Tensor) -> Tensor:
    """``D(v)_t = v_{t+1} - v_t`` of (N, C, T, H, W) clips."""
    return clips[:, :, 1:] - clips[:, :, :-1]


def temporal_scores(outputs: Tensor, targets: Tensor) -> dict[str, Tensor]:
    """``temporal_error`` and ``temporal_ratio`` of clips against their targets (module docs)."""
    moved, truth = frame_differences(outputs.double()), frame_differences(targets.double())
    return {
        "temporal_error": (moved - truth).abs().mean().view(1),
        "temporal_ratio": (moved.abs().mean() / truth.abs().mean().clamp_min(1e-12)).view(1),
    }


def enhancement_scores(
    enhance: Callable[[Tensor], Tensor], pairs: list[tuple[Tensor, Tensor]]
) -> dict[str, float]:
    """``psnr_d``, ``ssim_d``, ``psnr_f``, ``ssim_f`` of ``enhance`` (data-space (1, C, H, W)
    in [0, 1] to the same, or (1, C, T, H, W) clips) on (input, target) pairs in [0, 1], and of
    the untouched inputs (``*_identity``), the floor any enhancer must beat; for clips also
    ``temporal_error`` and ``temporal_ratio``."""
    scores: dict[str, list[Tensor]] = {}
    for x, y in pairs:
        for scale, (inputs, targets) in (("f", (x, y)), ("d", (downscale(x), downscale(y)))):
            outputs = enhance(inputs).clamp(0, 1)
            for suffix, images in (("", outputs), ("_identity", inputs)):
                frames, truth = as_frames(images), as_frames(targets)
                scores.setdefault(f"psnr_{scale}{suffix}", []).append(psnr(frames, truth))
                scores.setdefault(f"ssim_{scale}{suffix}", []).append(ssim(frames, truth))
                if images.dim() == 5 and scale == "f":
                    for key, value in temporal_scores(images, targets).items():
                        scores.setdefault(f"{key}{suffix}", []).append(value)
    found = {}
    for key in sorted(scores):
        values = torch.cat(scores[key])
        found[key] = mean_finite(values) if key.startswith("psnr") else float(values.mean())
    return {key: value for key, value in found.items() if not math.isnan(value)}
