"""Progressive-growing networks (Karras et al., ICLR 2018) for images (2-D) and video (3-D).

One generator and one critic serve both: a network is described by the sample size at each level
(``sizes[0]`` is the 4 x 4 start, ``(4, 4)`` for images or ``(T0, 4, 4)`` for video) and the
feature maps per level; convolutions are 2-D or 3-D by the length of a size. Every level's layers
exist from the start (as in PGGAN's code), so the parameters and the checkpoint never change shape;
``forward(x, level, alpha)`` runs the levels up to ``level`` and fades the newest one in.

The PGGAN ingredients, each a small function with its equation (Karras et al., Sec. 3-4.2, and
``tkarras/progressive_growing_of_gans`` ``networks.py``):

* :func:`fade_in`: ``lerp(old, new, alpha)``, the old path upsampled (or downsampled);
* :func:`minibatch_stddev`: one extra feature map, the mean over features of the per-group std;
* :class:`EqualizedConv` / :class:`EqualizedLinear`: weights ``N(0, 1)`` scaled at run time by
  ``gain / sqrt(fan_in)`` (equalised learning rate);
* :func:`pixel_norm`: ``x / sqrt(mean_c x^2 + 1e-8)`` after every generator convolution.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Size = tuple[int, ...]

NEGATIVE_SLOPE = 0.2  # leaky ReLU in both networks, PGGAN


def pixel_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """``b_xy = a_xy / sqrt(1/C sum_c (a^c_xy)^2 + eps)``: unit mean square over channels (dim 1).

    Karras et al. 2018, Eq. 2 (section 4.2), applied to the latent and after each conv of G.
    """
    return x * torch.rsqrt(x.square().mean(dim=1, keepdim=True) + eps)


def minibatch_stddev(x: Tensor, group_size: int = 4, eps: float = 1e-8) -> Tensor:
    """Append PGGAN's minibatch standard deviation as one more feature map (Karras et al. Sec. 3).

    The batch is split into groups of ``G = min(group_size, N)`` samples (sample ``i`` is in group
    ``i mod N/G``, as the reference code's reshape to ``[G, M, ...]``); for each group the
    standard deviation of every feature at every position is taken over the group
    (``sqrt(var + eps)``, population variance), averaged over features and positions into one
    number, and that number is appended as a constant map to each member of the group.
    If ``G`` does not divide ``N`` (the reference code asserts), ``G`` shrinks until it does.
    """
    n = x.shape[0]
    group = min(group_size, n)
    while n % group:
        group -= 1
    grouped = x.reshape(group, n // group, *x.shape[1:]).float()
    std = (grouped.var(dim=0, unbiased=False) + eps).sqrt()  # [M, C, ...]
    per_group = std.flatten(start_dim=1).mean(dim=1)  # [M]
    stat = per_group.repeat(group).to(x.dtype)  # sample g * M + m -> group m
    shape = (n, 1, *x.shape[2:])
    return torch.cat([x, stat.view(n, *[1] * (x.dim() - 1)).expand(shape)], dim=1)


def fade_in(old: Tensor, new: Tensor, alpha: float) -> Tensor:
    """``(1 - alpha) * old + alpha * new``: the new level's output blended over the old one.

    Karras et al. Fig. 2: alpha grows linearly from 0 to 1 over a transition phase (the reference
    code's ``lerp_clip(new, old, lod_in - lod)`` with its "flipped" weight).
    """
    if alpha >= 1.0:
        return new
    return torch.lerp(old, new, alpha)


def resize_to(x: Tensor, size: Size) -> Tensor:
    """Average-pool down (box filter, PGGAN's ``downscale2d``) or nearest-upsample to ``size``.

    Each axis changes by an integer factor; both directions at once is not needed here.
    """
    current = tuple(x.shape[2:])
    if current == tuple(size):
        return x
    if all(c >= s for c, s in zip(current, size, strict=True)):
        kernel = tuple(c // s for c, s in zip(current, size, strict=True))
        pool = F.avg_pool2d if x.dim() == 4 else F.avg_pool3d
        return pool(x, kernel_size=kernel, stride=kernel)
    return F.interpolate(x, size=tuple(size), mode="nearest")


class EqualizedLinear(nn.Module):
    """Dense layer with the equalised learning rate: ``y = (w * gain/sqrt(fan_in)) x + b``.

    Karras et al. Sec. 4.1: weights are drawn from ``N(0, 1)`` and scaled at run time by He's
    constant, so Adam's per-parameter normalisation sees every layer at the same scale.
    """

    def __init__(self, in_features: int, out_features: int, gain: float = math.sqrt(2)) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.scale = gain / math.sqrt(in_features)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class EqualizedConv(nn.Module):
    """2-D or 3-D convolution (``dims``) with the equalised learning rate, 'same' padding."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel: int, dims: int = 2,
        gain: float = math.sqrt(2),
    ) -> None:  # fmt: skip
        super().__init__()
        if dims not in (2, 3):
            raise ValueError(f"dims must be 2 or 3, got {dims}")
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, *[kernel] * dims))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.scale = gain / math.sqrt(in_channels * kernel**dims)
        self.padding = kernel // 2
        self.conv = F.conv2d if dims == 2 else F.conv3d

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(x, self.weight * self.scale, self.bias, padding=self.padding)


def _activate(x: Tensor) -> Tensor:
    return F.leaky_relu(x, NEGATIVE_SLOPE)


class ProgressiveGenerator(nn.Module):
    """PGGAN's generator: latent -> 4 x 4 block -> one (upsample, conv, conv) block per level.

    ``to_rgb[i]`` (1 x 1 conv, gain 1, linear output as PGGAN) reads level ``i``; while level
    ``L`` fades in, the output is ``fade_in(upsample(to_rgb[L-1](h_{L-1})), to_rgb[L](h_L))``.
    """

    def __init__(self, latent_dim: int, channels: int, sizes: list[Size], widths: list[int]):
        super().__init__()
        self.sizes = [tuple(s) for s in sizes]
        dims = len(self.sizes[0])
        first = widths[0]
        # PGGAN's first layer is dense to 4 x 4 with gain sqrt(2)/4, then a 3 x 3 conv.
        dense_out = first * math.prod(self.sizes[0])
        self.initial = EqualizedLinear(latent_dim, dense_out, math.sqrt(2) / 4)
        self.initial_conv = EqualizedConv(first, first, 3, dims)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualizedConv(widths[i - 1], widths[i], 3, dims),
                           EqualizedConv(widths[i], widths[i], 3, dims)])
            for i in range(1, len(sizes))
        )  # fmt: skip
        self.to_rgb = nn.ModuleList(EqualizedConv(w, channels, 1, dims, gain=1.0) for w in widths)
        self.widths = list(widths)

    def forward(self, z: Tensor, level: int, alpha: float = 1.0) -> Tensor:
        x = self.initial(pixel_norm(z)).view(len(z), self.widths[0], *self.sizes[0])
        x = pixel_norm(_activate(x))
        x = pixel_norm(_activate(self.initial_conv(x)))
        previous = x
        for index in range(1, level + 1):
            previous = x
            x = resize_to(x, self.sizes[index])
            for conv in self.blocks[index - 1]:
                x = pixel_norm(_activate(conv(x)))
        out = self.to_rgb[level](x)
        if level > 0 and alpha < 1.0:
            old = resize_to(self.to_rgb[level - 1](previous), self.sizes[level])
            out = fade_in(old, out, alpha)
        return out


class ProgressiveCritic(nn.Module):
    """PGGAN's discriminator, mirroring the generator, with ``out_features`` outputs.

    ``from_rgb[i]`` (1 x 1 conv) enters at level ``i``; each block is conv, conv, average-pool to
    the level below; the 4 x 4 head is minibatch stddev, conv 3 x 3, dense, dense (gain 1).
    While level ``L`` fades in, the features entering level ``L - 1`` are
    ``fade_in(from_rgb[L-1](downsample(x)), block_L(from_rgb[L](x)))``.
    """

    def __init__(
        self, channels: int, sizes: list[Size], widths: list[int], out_features: int,
        mbstd_group: int = 4,
    ) -> None:  # fmt: skip
        super().__init__()
        self.sizes = [tuple(s) for s in sizes]
        dims = len(self.sizes[0])
        self.mbstd_group = mbstd_group
        self.from_rgb = nn.ModuleList(EqualizedConv(channels, w, 1, dims) for w in widths)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualizedConv(widths[i], widths[i], 3, dims),
                           EqualizedConv(widths[i], widths[i - 1], 3, dims)])
            for i in range(1, len(sizes))
        )  # fmt: skip
        first = widths[0]
        extra = 1 if mbstd_group > 1 else 0
        self.head_conv = EqualizedConv(first + extra, first, 3, dims)
        self.head_dense = EqualizedLinear(first * math.prod(self.sizes[0]), first)
        self.head_out = EqualizedLinear(first, out_features, gain=1.0)

    def forward(self, x: Tensor, level: int, alpha: float = 1.0) -> Tensor:
        h = _activate(self.from_rgb[level](x))
        for index in range(level, 0, -1):
            for conv in self.blocks[index - 1]:
                h = _activate(conv(h))
            h = resize_to(h, self.sizes[index - 1])
            if index == level and alpha < 1.0:
                old = _activate(self.from_rgb[level - 1](resize_to(x, self.sizes[level - 1])))
                h = fade_in(old, h, alpha)
        if self.mbstd_group > 1:
            h = minibatch_stddev(h, self.mbstd_group)
        h = _activate(self.head_conv(h))
        h = _activate(self.head_dense(h.flatten(start_dim=1)))
        return self.head_out(h)


def feature_maps(level: int, fmap_base: int, fmap_max: int) -> int:
    """PGGAN's ``nf(stage) = min(fmap_base / 2^stage, fmap_max)``, stage 1 being 4 x 4."""
    return max(1, min(fmap_base // 2 ** (level + 1), fmap_max))
