"""Label maps as networks read them: class indices to one-hot channels.

SPADE (Park et al. 2019, Sec. 3) and pix2pix on semantic maps read a map of class indices as
``map_classes`` binary channels, one per class (the SPADE code's ``scatter_`` of the label map
into a zero tensor); ``DataInfo.map_classes`` says when a batch's ``x`` holds such maps.
"""

from __future__ import annotations

import torch
from torch import Tensor


def one_hot(maps: Tensor, classes: int) -> Tensor:
    """(N, 1, H, W) class indices (any dtype holding whole numbers in ``[0, classes)``) ->
    (N, classes, H, W) float one-hot channels."""
    if maps.dim() != 4 or maps.shape[1] != 1:
        raise ValueError(f"label maps must be (N, 1, H, W), got {tuple(maps.shape)}")
    indices = maps.long()
    out = torch.zeros(maps.shape[0], classes, *maps.shape[2:], device=maps.device)
    return out.scatter_(1, indices, 1.0)
