"""Class conditioning shared by every conditional model (``model.conditional=true``).

Conditional GAN (Mirza & Osindero 2014) in its input-concatenation form, which fits every
network swgen builds without changing it:

* the generator reads ``[z, one_hot(y)]`` (``latent_dim + K`` inputs);
* the critic (or a conditional encoder) reads the sample with ``K`` extra input channels, constant
  planes holding ``one_hot(y)`` (for points, ``K`` extra coordinates), so every architecture
  takes ``channels + K`` channels.

A gradient penalty on such a critic interpolates the label planes too; they are the same in the
real and the generated sample, so ``x_hat`` keeps its class, but the penalised gradient norm also
counts the (small) gradient with respect to those planes: a departure from penalising the image
gradient alone, kept so that the penalties stay the same code for every model.
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.base import DataInfo
from swgen.errors import UserError


def one_hot(labels: Tensor, classes: int) -> Tensor:
    """``(B,)`` class indices -> ``(B, classes)`` float one-hot rows."""
    return F.one_hot(labels.long(), classes).float()


def check_labels(labels: Tensor, classes: int) -> None:
    """Labels must be class indices ``0 .. classes - 1`` (a one-line user error otherwise)."""
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        bad = int(labels.max()) if int(labels.max()) >= classes else int(labels.min())
        raise UserError(f"label {bad} is out of range; this run has classes 0 to {classes - 1}")


def append_labels(x: Tensor, labels: Tensor, classes: int) -> Tensor:
    """``x`` with ``one_hot(labels)`` appended as constant channels (images) or coordinates."""
    codes = one_hot(labels, classes).to(device=x.device, dtype=x.dtype)
    if x.dim() == 2:
        return torch.cat([x, codes], dim=1)
    planes = codes.view(*codes.shape, *([1] * (x.dim() - 2))).expand(-1, -1, *x.shape[2:])
    return torch.cat([x, planes], dim=1)


def with_label_inputs(info: DataInfo, classes: int) -> DataInfo:
    """The ``DataInfo`` of samples carrying ``classes`` label channels (or coordinates)."""
    if not classes:
        return info
    shape = (info.shape[0] + classes, *info.shape[1:])
    return dataclasses.replace(info, shape=shape)
