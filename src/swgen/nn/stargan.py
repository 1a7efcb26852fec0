"""StarGAN's networks (Choi et al., CVPR 2018), as the official code's ``model.py``
(yunjey/stargan): one generator for every domain and a critic with two heads.

* :class:`DomainGenerator` ``G(x, c)``: the target domain's one-hot label ``c`` is replicated
  spatially and concatenated to the image as ``K`` constant channels
  (:func:`with_label_planes`); then ``Conv7x7 s1 w`` -> 2 x ``Conv4x4 s2`` (``2w``, ``4w``) ->
  ``n_blocks`` residual blocks (``4w``; conv3x3-IN-ReLU-conv3x3-IN) -> 2 x ``ConvT4x4 s2``
  (``2w``, ``w``) -> ``Conv7x7`` to the image's channels -> ``tanh``. Zero padding, every
  convolution without bias, instance norm with affine parameters after each but the last. The
  code's comment: the constant label planes would be lost with reflection padding, whose
  padded borders stay constant too, so the first convolution sees no edge to tell them by.
* :class:`DomainCritic` ``D(x) = (D_src, D_cls)``: ``layers`` stride-2 ``Conv4x4`` (``w``,
  ``2w``, ...), each followed by LeakyReLU 0.01, no normalisation (the gradient penalty is
  taken per sample); ``D_src`` a ``Conv3x3`` to a one-channel map of patch scores, ``D_cls`` a
  convolution whose kernel covers the whole remaining map (``image_size / 2^layers``) to ``K``
  domain logits. The heads have no bias, the trunk has (the code's defaults).

Instance norm keeps no running statistics here: the code asks for them
(``track_running_stats=True``) but never switches its networks to evaluation mode, so every
translation it makes uses the statistics of the image itself, which is what this computes in
both modes (swgen puts models in evaluation mode to sample).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from swgen.errors import UserError

STRIDE = 4  # two stride-2 downsamplings in the generator


def with_label_planes(x: Tensor, labels: Tensor, classes: int) -> Tensor:
    """``x`` (n, C, H, W) with ``classes`` constant planes appended: plane ``k`` of row ``i`` is
    1 where ``labels[i] == k``, else 0 (the code's ``c.view(n, K, 1, 1).repeat(1, 1, H, W)``)."""
    one_hot = torch.nn.functional.one_hot(labels.long(), classes).to(x.dtype)
    planes = one_hot.view(len(x), classes, 1, 1).expand(-1, -1, *x.shape[-2:])
    return torch.cat([x, planes], dim=1)


def norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=True)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            norm(channels),
            nn.ReLU(True),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            norm(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class DomainGenerator(nn.Module):
    """``G(x, labels)``: (n, C, H, W) images in [-1, 1] to the domains ``labels`` (n,)."""

    def __init__(self, channels: int, classes: int, width: int, n_blocks: int) -> None:
        super().__init__()
        self.classes = classes
        layers: list[nn.Module] = [
            nn.Conv2d(channels + classes, width, 7, padding=3, bias=False),
            norm(width),
            nn.ReLU(True),
        ]
        for scale in (1, 2):
            layers += [
                nn.Conv2d(width * scale, width * scale * 2, 4, stride=2, padding=1, bias=False),
                norm(width * scale * 2),
                nn.ReLU(True),
            ]
        layers += [ResidualBlock(width * 4) for _ in range(n_blocks)]
        for scale in (4, 2):
            layers += [
                nn.ConvTranspose2d(
                    width * scale, width * scale // 2, 4, stride=2, padding=1, bias=False
                ),
                norm(width * scale // 2),
                nn.ReLU(True),
            ]
        layers += [nn.Conv2d(width, channels, 7, padding=3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor, labels: Tensor) -> Tensor:
        return self.main(with_label_planes(x, labels, self.classes))


class DomainCritic(nn.Module):
    """``(D_src (n, 1, h, w) patch scores, D_cls (n, K) domain logits)`` of (n, C, S, S)."""

    def __init__(
        self, channels: int, classes: int, width: int, layers: int, image_size: int
    ) -> None:
        super().__init__()
        trunk: list[nn.Module] = []
        current = channels
        for index in range(layers):
            trunk += [nn.Conv2d(current, width * 2**index, 4, stride=2, padding=1),
                      nn.LeakyReLU(0.01)]  # fmt: skip
            current = width * 2**index
        self.main = nn.Sequential(*trunk)
        self.source = nn.Conv2d(current, 1, 3, padding=1, bias=False)
        self.domain = nn.Conv2d(current, classes, image_size >> layers, bias=False)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        features = self.main(x)
        return self.source(features), self.domain(features).flatten(1)


def critic_layers(image_size: int) -> int:
    """The code's 6 stride-2 layers at 128 px leave a 2 x 2 map; the same map at any size:
    ``log2(image_size) - 1`` layers (4 at 32 px), at least 1."""
    return max(1, image_size.bit_length() - 2)


def check_sizes(image_size: int, layers: int | None) -> int:
    """Refuse sizes the networks cannot take, before any run folder is made; returns the
    critic's layer count. The generator halves the image twice, so it trains on multiples of
    :data:`STRIDE`; the critic's domain head must see a whole map of at least 1 x 1."""
    if image_size % STRIDE or image_size < 8:
        raise UserError(
            f"data.image_size={image_size} is not supported by stargan (its generator halves "
            f"it twice); use a multiple of {STRIDE} from 8 up, e.g. 16, 32 or 128"
        )
    chosen = critic_layers(image_size) if layers is None else layers
    if image_size >> chosen < 1 or image_size % (1 << chosen):
        most = max(k for k in range(1, 17) if image_size % (1 << k) == 0)
        raise UserError(
            f"model.critic_layers={chosen} does not divide an image of {image_size} px into "
            f"whole patches; use at most {most} at this size, or leave it unset"
        )
    return chosen
