"""Batch norm over the global batch when several processes train one run
(``train.sync_batch_norm``).

In training mode a batch-norm layer normalises by the mean and variance of the batch it sees. Over
W processes each sees its own ``n / W`` rows, so with plain layers each process normalises by other
statistics than one process would over the whole batch, and W processes do not train the run one
process trains (DCGAN-style generators, swgen's shared image generator among them, normalise every
hidden layer). :class:`GlobalBatchNorm` computes the statistics of the global batch instead: each
process gathers every process's per-channel ``(count, mean, M2)`` (``M2`` the sum of squared
deviations from the process's own mean) and combines them exactly (Chan, Golub and LeVeque 1979):

    N = sum_r n_r,   mean = sum_r n_r mean_r / N,
    M2 = sum_r [M2_r + n_r (mean_r - mean)^2],   var = M2 / N.

The gather is autograd's (``torch.distributed.nn.functional.all_gather``): its backward hands each
process the gradients every process's loss sends through its statistics, so with the engine's
gradient average the update is the one-process update. This is torch's ``SyncBatchNorm``, whose
forward refuses CPU tensors (gloo), written here for every device so that CPU runs and their
tests train the one-process run too. The running statistics are updated as ``BatchNorm`` does
(the unbiased variance), identically on every process; evaluation uses them and needs no
collective. A converted layer keeps the parameters, buffers and state-dict keys of the one it
replaces, so optimisers built before, EMA and checkpoints are unaffected.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm


def combine_moments(counts: Tensor, means: Tensor, m2s: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(N, mean, M2)`` of the union of groups given each group's ``(count, mean, M2)`` along
    dimension 0 (Chan et al.'s pairwise update, summed over all groups at once)."""
    total = counts.sum(dim=0)
    mean = (counts * means).sum(dim=0) / total
    m2 = (m2s + counts * (means - mean).square()).sum(dim=0)
    return total, mean, m2


class GlobalBatchNorm(_BatchNorm):
    """A ``BatchNorm1d/2d/3d`` whose training-mode statistics are those of every process's rows
    (module docstring); alone, or in evaluation mode, it is the plain layer."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input (got {input.dim()}-D)")

    def forward(self, input: Tensor) -> Tensor:
        alone = not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1
        if alone or not self.training:
            return super().forward(input)
        from torch.distributed.nn.functional import all_gather

        x = input.float()
        channels = x.shape[1]
        reduced = [0, *range(2, x.dim())]
        shape = [1, channels] + [1] * (x.dim() - 2)
        count = x.numel() // channels
        local_mean = x.mean(dim=reduced)
        local_m2 = (x - local_mean.reshape(shape)).square().sum(dim=reduced)
        counts = torch.full((channels,), float(count), device=x.device)
        gathered = torch.stack(all_gather(torch.stack([counts, local_mean, local_m2])))
        total, mean, m2 = combine_moments(gathered[:, 0], gathered[:, 1], gathered[:, 2])
        self._update_running_statistics(mean.detach(), m2.detach(), total.detach())
        var = m2 / total
        out = (x - mean.reshape(shape)) * torch.rsqrt(var.reshape(shape) + self.eps)
        if self.affine:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out.to(input.dtype)

    def _update_running_statistics(self, mean: Tensor, m2: Tensor, total: Tensor) -> None:
        if not self.track_running_stats:
            return
        assert self.num_batches_tracked is not None
        self.num_batches_tracked.add_(1)
        if self.momentum is None:  # cumulative moving average, as BatchNorm
            factor = 1.0 / float(self.num_batches_tracked)
        else:
            factor = self.momentum
        unbiased = m2 / (total - 1).clamp_min(1)
        with torch.no_grad():
            self.running_mean.lerp_(mean.to(self.running_mean.dtype), factor)
            self.running_var.lerp_(unbiased.to(self.running_var.dtype), factor)


def use_global_batch_norm(module: nn.Module) -> int:
    """Replace every batch-norm layer inside ``module`` by a :class:`GlobalBatchNorm` sharing its
    parameters and buffers; returns how many were replaced."""
    replaced = 0
    for name, child in list(module.named_children()):
        if isinstance(child, _BatchNorm) and not isinstance(child, GlobalBatchNorm):
            setattr(module, name, _converted(child))
            replaced += 1
        else:
            replaced += use_global_batch_norm(child)
    return replaced


def _converted(layer: _BatchNorm) -> GlobalBatchNorm:
    converted = GlobalBatchNorm(
        layer.num_features, layer.eps, layer.momentum, layer.affine, layer.track_running_stats
    )
    # The same Parameter and buffer objects: optimisers and EMA built before still hold them.
    if layer.affine:
        converted.weight, converted.bias = layer.weight, layer.bias
    if layer.track_running_stats:
        converted.running_mean = layer.running_mean
        converted.running_var = layer.running_var
        converted.num_batches_tracked = layer.num_batches_tracked
    converted.train(layer.training)
    return converted
