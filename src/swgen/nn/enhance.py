"""Networks of DACAL / MUSPE photo enhancement (Huang et al., arXiv 1910.10455): the two-stream
multi-scale enhancer and the Gaussian frequency split of the critics.

Enhancer (perception-based division; the lecture's "additive connection ``E(x) = x + r_x``").
With ``u`` the input in [0, 1] and ``s`` the downscale factor:

1. coarse stream: ``u`` is area-downscaled by ``s`` and a small conv net with a global-context
   vector (the mean of its features, as DPE's global U-Net features) predicts, at that low
   resolution, an additive map ``r`` (``tanh``), a multiplicative map ``m = exp(2 tanh(t / 2))``
   (gains in [e^-2, e^2]) and a fusion weight ``g`` (``sigmoid``);
2. the maps are upsampled bilinearly to full size and applied there:

   * ``additive`` (MUSPE_l1): ``u + r``,
   * ``multiplicative`` (MUSPE_l2): ``m * u``,
   * ``cascaded`` (MUSPE_l3, multiplicative cascaded by additive): ``m * u + r``,
   * ``parallel`` (MUSPE_l, the two-stream fusion): ``g * (u + r) + (1 - g) * (m * u)``;

3. fine stream: a full-resolution residual ``f(u, v)`` of ``fine_depth`` 3 x 3 convolutions of
   the input and the coarse result ``v`` (texture, noise), added: ``E(x) = v + f(u, v)``.

How the two streams are fused and what the low resolution predicts are not in the reachable
sources (no public code; reference-facts.md section 6): this per-pixel, upsampled colour and
illumination transform plus a local full-resolution residual is our reading of "multi-scale
without patch seams". The coarse maps are smooth (bilinear from a 1/s grid) and the fine stream
sees ``fine_depth`` pixels around each pixel, so :meth:`Enhancer.forward` with ``tile`` enhances
any image tile by tile with a halo of ``fine_depth`` pixels and gives the same pixels as one
pass over the whole image (no seams; memory bounded by the tile, plus the 1/s^2 coarse pass).

Frequency split (frequency-based division): ``y_b(i, j) = sum_{k,l} y(i + k, j + l) G_{k,l}``
with ``G_{k,l} = A exp(-(k - mu_x)^2 / 2 sigma_x^2 - (l - mu_y)^2 / 2 sigma_y^2)`` centred
(``mu`` the kernel's centre) and ``A`` normalising its sum to 1 (the lecture's slide); the low
frequencies are ``y_b`` and the high ones ``y - y_b`` (our reading; WESPE's texture critic sees
grey images instead). Kernel 21, sigma 3 are DPED's colour loss, the nearest precedent.

Recurrent (video, the lecture's "Recurrent-DACAL"): with ``recurrent`` the coarse stream of frame
``t`` also sees the enhanced frame ``t - 1`` (downscaled; the first frame sees itself), so the
colour and illumination maps are carried from frame to frame. What the recurrence feeds is not
in the reachable sources; this is our reading.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

PERCEPTIONS = ("parallel", "additive", "multiplicative", "cascaded")


def gaussian_kernel(size: int, sigma: float) -> Tensor:
    """``G_{k,l}`` of the slide on a ``size`` x ``size`` grid, centred, summing to 1."""
    offsets = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    exponent = -(offsets[:, None] ** 2) / (2 * sigma**2) - offsets[None, :] ** 2 / (2 * sigma**2)
    kernel = torch.exp(exponent)
    return kernel / kernel.sum()


def gaussian_blur(images: Tensor, size: int, sigma: float) -> Tensor:
    """``y_b``: every channel of (N, C, H, W) ``images`` convolved with ``G_{k,l}`` (reflected
    borders, or replicated where the image is smaller than the kernel)."""
    channels = images.shape[1]
    kernel = gaussian_kernel(size, sigma).to(images).expand(channels, 1, size, size)
    pad = size // 2
    mode = "reflect" if min(images.shape[-2:]) > pad else "replicate"
    return F.conv2d(F.pad(images, (pad, pad, pad, pad), mode=mode), kernel, groups=channels)


def frequency_split(images: Tensor, size: int, sigma: float) -> tuple[Tensor, Tensor]:
    """(low, high) = ``(y_b, y - y_b)``."""
    low = gaussian_blur(images, size, sigma)
    return low, images - low


class CoarseStream(nn.Module):
    """Low-resolution maps ``(r, m, g)`` from a downscaled image (see the module docstring)."""

    def __init__(self, channels: int, width: int, condition_channels: int = 0) -> None:
        super().__init__()
        self.channels = channels
        self.local = nn.Sequential(
            nn.Conv2d(channels + condition_channels, width, 3, padding=1, padding_mode="replicate"),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, padding=1, padding_mode="replicate"),
            nn.LeakyReLU(0.2),
        )
        self.context = nn.Linear(width, width)
        self.head = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, padding_mode="replicate"),
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * channels + 1, 1),
        )
        nn.init.zeros_(self.head[-1].weight)  # starts as the identity: r = 0, m = 1, g = 1/2
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, low: Tensor) -> Tensor:
        features = self.local(low)
        context = self.context(features.mean(dim=(2, 3)))[..., None, None]
        return self.head(F.leaky_relu(features + context, 0.2))


class FineStream(nn.Module):
    """A full-resolution residual of ``depth`` 3 x 3 convolutions of ``(u, v)``."""

    def __init__(self, channels: int, width: int, depth: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for index in range(depth):
            last = index == depth - 1
            layers.append(nn.Conv2d(2 * channels if index == 0 else width,
                                    channels if last else width, 3, padding=1))  # fmt: skip
            if not last:
                layers.append(nn.LeakyReLU(0.2))
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.main = nn.Sequential(*layers)

    def forward(self, u: Tensor, v: Tensor) -> Tensor:
        return self.main(torch.cat([u, v], dim=1))


def upsample_window(maps: Tensor, height: int, width: int, rows: slice, cols: slice) -> Tensor:
    """Rows ``rows`` and columns ``cols`` of ``maps`` bilinearly upsampled to ``height`` x
    ``width`` (``F.interpolate(..., align_corners=False)``, whose borders clamp), computed for
    that window alone through ``grid_sample``, so tiles of it match the whole upsampling."""
    ys = torch.arange(rows.start, rows.stop, dtype=maps.dtype, device=maps.device) + 0.5
    xs = torch.arange(cols.start, cols.stop, dtype=maps.dtype, device=maps.device) + 0.5
    grid_y, grid_x = torch.meshgrid(ys * 2 / height - 1, xs * 2 / width - 1, indexing="ij")
    grid = torch.stack([grid_x, grid_y], dim=-1).expand(len(maps), -1, -1, -1)
    return F.grid_sample(maps, grid, mode="bilinear", padding_mode="border", align_corners=False)


class Enhancer(nn.Module):
    """``E``: (N, C, H, W) model-space images in [-1, 1] to enhanced ones, any H and W."""

    def __init__(
        self,
        channels: int,
        width: int,
        perception: str = "parallel",
        scale: int = 4,
        fine: bool = True,
        fine_width: int = 16,
        fine_depth: int = 3,
        recurrent: bool = False,
    ) -> None:
        super().__init__()
        if perception not in PERCEPTIONS:
            raise ValueError(f"unknown perception {perception!r}; use one of {PERCEPTIONS}")
        self.perception = perception
        self.scale = scale
        self.recurrent = recurrent
        self.coarse = CoarseStream(channels, width, channels if recurrent else 0)
        self.fine = FineStream(channels, fine_width, fine_depth) if fine else None
        self.halo = fine_depth if fine else 0

    def low_resolution(self, u: Tensor) -> Tensor:
        """``u`` area-downscaled by ``scale`` (sides rounded up)."""
        height, width = u.shape[-2:]
        size = (math.ceil(height / self.scale), math.ceil(width / self.scale))
        return F.adaptive_avg_pool2d(u, size)

    def combine(self, u: Tensor, maps: Tensor) -> Tensor:
        """The perception-based division applied with full-size maps ``(r, t, g)``."""
        c = u.shape[1]
        r = torch.tanh(maps[:, :c])
        m = torch.exp(2 * torch.tanh(maps[:, c : 2 * c] / 2))
        if self.perception == "additive":
            return u + r
        if self.perception == "multiplicative":
            return m * u
        if self.perception == "cascaded":
            return m * u + r
        g = torch.sigmoid(maps[:, 2 * c :])
        return g * (u + r) + (1 - g) * (m * u)

    def forward(self, x: Tensor, tile: int | None = None, previous: Tensor | None = None) -> Tensor:
        """``E(x)``; with ``tile``, the full-resolution part runs on tiles of that size (each
        with a halo of ``fine_depth`` pixels) and gives the pixels of one whole pass. A
        ``recurrent`` enhancer's coarse stream also sees ``previous`` (the enhanced frame before
        ``x``, model space; ``x`` itself when None), downscaled the same way."""
        u = (x + 1) / 2
        height, width = u.shape[-2:]
        low = self.low_resolution(u)
        if self.recurrent:
            before = u if previous is None else (previous + 1) / 2
            low = torch.cat([low, self.low_resolution(before)], dim=1)
        maps = self.coarse(low)
        if tile is None or (height <= tile and width <= tile):
            return self._window(u, maps, slice(0, height), slice(0, width)) * 2 - 1
        out = torch.empty_like(u)
        for top in range(0, height, tile):
            for left in range(0, width, tile):
                rows = slice(max(0, top - self.halo), min(height, top + tile + self.halo))
                cols = slice(max(0, left - self.halo), min(width, left + tile + self.halo))
                part = self._window(u[..., rows, cols], maps, rows, cols, (height, width))
                inner_r = slice(top - rows.start, min(top + tile, height) - rows.start)
                inner_c = slice(left - cols.start, min(left + tile, width) - cols.start)
                out[..., top : top + tile, left : left + tile] = part[..., inner_r, inner_c]
        return out * 2 - 1

    def _window(
        self, u: Tensor, maps: Tensor, rows: slice, cols: slice, size: tuple[int, int] | None = None
    ) -> Tensor:
        height, width = size or u.shape[-2:]
        v = self.combine(u, upsample_window(maps, height, width, rows, cols))
        return v if self.fine is None else v + self.fine(u, v)
