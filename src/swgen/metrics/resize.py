"""Resizing images for a feature extractor: part of the metric, so done one documented way.

Parmar, Zhang and Zhu (clean-fid, CVPR 2022) show that the resize in front of the Inception
network shifts FID by several points: integer-quantised or aliased resizes (e.g. a bilinear
``F.interpolate`` without antialiasing) give other numbers than a proper bicubic filter. swgen
resizes as clean-fid's ``clean`` mode does: PIL's bicubic filter (antialiased when shrinking) on
float32 images, one channel at a time (PIL mode ``"F"``), nothing quantised before or after, the
result clipped to the input range [0, 1] (bicubic overshoots).

PIL resizes an ``"F"`` image linearly, one axis at a time, so the resize of one axis is a fixed
matrix (``swgen.data.memory.bicubic_matrix``) and a whole batch is resized by two matrix products,
``R_h @ X @ R_w^T``; ``tests/test_metrics_resize.py`` checks this against PIL image by image.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

from swgen.data.memory import bicubic_matrix

RESIZE_MODE = "clean: PIL bicubic on float32 images, one channel at a time, clipped to [0, 1]"
"""How ``resize_for_features`` resizes, as recorded beside metric values (e.g. in eval.json)."""


@lru_cache(maxsize=16)
def _axis_matrix(source: int, target: int) -> Tensor:
    return torch.tensor(bicubic_matrix(source, target))


def resize_for_features(images: Tensor, size: int | tuple[int, int]) -> Tensor:
    """``images`` (N, C, H, W) in [0, 1] resized to ``size`` (an int for square) with PIL bicubic.

    Equal to ``PIL.Image.fromarray(channel, mode="F").resize((W', H'), BICUBIC)`` for every image
    and channel, then ``clip(0, 1)``; float32 out, on the device of ``images``. Images already of
    the target size are returned unchanged (as float32).
    """
    if images.dim() != 4:
        raise ValueError(f"swgen: images must be (N, C, H, W), got {tuple(images.shape)}")
    height, width = (size, size) if isinstance(size, int) else size
    images = images.float()
    if images.shape[-2:] == (height, width):
        return images
    rows = _axis_matrix(images.shape[-2], height).to(images.device)
    columns = _axis_matrix(images.shape[-1], width).to(images.device)
    return (rows @ images @ columns.T).clamp_(0.0, 1.0)
