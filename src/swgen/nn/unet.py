"""The U-Net generator of pix2pix (Isola, Zhu, Zhou, Efros; CVPR 2017), as the official code's
``UnetGenerator`` / ``UnetSkipConnectionBlock`` (junyanz/pytorch-CycleGAN-and-pix2pix,
``models/networks.py``).

``num_downs`` levels, each halving the image on the way down and doubling it on the way up; the
output of every level but the outermost is ``[x, up(inner(down(x)))]`` concatenated along the
channels (the skip connections that carry the input's detail past the bottleneck):

* down: ``LeakyReLU(0.2) -> Conv 4 x 4 stride 2 -> BatchNorm`` (the outermost level has the
  convolution only, the innermost no norm);
* up: ``ReLU -> ConvTranspose 4 x 4 stride 2 -> BatchNorm`` (the outermost ends in ``tanh``
  instead of the norm), followed by ``Dropout(0.5)`` in the ``dropout_blocks`` levels just
  outside the innermost: the generator's only noise (pix2pix, Sec. 2.1: "we provide noise only
  in the form of dropout").

Channels of level ``k`` (0 the outermost): ``width * min(2^k, 8)`` (64, 128, 256, 512, 512, ...
for ``width`` 64, the code's ``ngf``). ``unet_256`` is ``num_downs = 8`` at 256 px: a 1 x 1
bottleneck; :func:`unet_depth` picks the same for any size (log2 of a power of two). The code
puts dropout in the ``num_downs - 5`` levels of 512 channels just outside the innermost (3 at
256 px); :func:`default_dropout_blocks` keeps that count and gives smaller images those 3 levels
too (at 32 px the code's rule leaves none, and the generator would have no noise at all).

Convolutions followed by batch norm have no bias (the code's ``use_bias``, false for batch norm);
the outermost transposed convolution keeps its bias. The code's in-place ``LeakyReLU`` also
rewrites the skip's copy of ``x``, but the ``ReLU`` that opens the next level up removes the
difference (``relu(lrelu(x)) == relu(x)``), so the skips here carry ``x`` itself.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from swgen.errors import UserError

MAX_MULTIPLE = 8  # channels stop growing at 8 x width (512 for width 64), the code's ngf * 8
CODE_DROPOUT_LEVELS = 3  # levels with dropout at 256 px (num_downs 8 - 5), the code's unet_256


def unet_depth(image_size: int) -> int:
    """The default ``num_downs``: halvings down to a 1 x 1 bottleneck for a power of two (8 at
    256 px, the code's ``unet_256``; 5 at 32 px), else as many as divide the size."""
    depth = 0
    while image_size > 0 and image_size % 2 ** (depth + 1) == 0:
        depth += 1
    return depth


def default_dropout_blocks(num_downs: int) -> int:
    """Levels with dropout: the code's ``num_downs - 5``, and at least its 3 of 256 px (fewer
    when the U-Net has fewer levels between its outermost and innermost)."""
    return max(num_downs - 5, min(CODE_DROPOUT_LEVELS, num_downs - 2))


def check_unet_size(image_size: int, num_downs: int) -> None:
    """Refuse a training size the U-Net cannot take (before any run folder is made): it halves
    the image ``num_downs`` times and concatenates each level with its input, so the size must
    be a multiple of ``2^num_downs`` (new inputs of any size are padded, see
    ``swgen.nn.translation.translate_any_size``)."""
    if num_downs < 2:
        raise UserError(
            f"model.num_downs={num_downs} is too few for a U-Net (an outermost and an innermost "
            f"level at least); give 2 or more, or leave it unset (log2 of data.image_size)"
        )
    if image_size % 2**num_downs:
        raise UserError(
            f"data.image_size={image_size} is not a multiple of 2^model.num_downs="
            f"{2**num_downs}, which the U-Net halves it into; use a size such as "
            f"{2**num_downs * max(1, round(image_size / 2**num_downs))}, or fewer num_downs"
        )


class UnetBlock(nn.Module):
    """One level of the U-Net with the levels inside it (``inner``); see the module docstring."""

    def __init__(
        self,
        outer: int,
        inner: int,
        input_channels: int | None = None,
        submodule: nn.Module | None = None,
        outermost: bool = False,
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        innermost = submodule is None
        input_channels = outer if input_channels is None else input_channels
        down_conv = nn.Conv2d(input_channels, inner, 4, stride=2, padding=1, bias=False)
        up_in = inner if innermost else inner * 2  # the inner level's output is [x, up]
        layers: list[nn.Module]
        if outermost:
            up_conv = nn.ConvTranspose2d(up_in, outer, 4, stride=2, padding=1)
            layers = [down_conv, submodule, nn.ReLU(), up_conv, nn.Tanh()]  # type: ignore[list-item]
        else:
            up_conv = nn.ConvTranspose2d(up_in, outer, 4, stride=2, padding=1, bias=False)
            down = [nn.LeakyReLU(0.2), down_conv]
            if not innermost:
                down.append(nn.BatchNorm2d(inner))
            layers = [*down, *([] if innermost else [submodule]), nn.ReLU(), up_conv]
            layers.append(nn.BatchNorm2d(outer))
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], dim=1)  # the skip connection


class UnetGenerator(nn.Module):
    """``(n, in_channels, H, W) -> (n, out_channels, H, W)`` in [-1, 1], ``H`` and ``W``
    multiples of ``2^num_downs`` (see the module docstring)."""

    def __init__(
        self, in_channels: int, out_channels: int, width: int, num_downs: int, dropout_blocks: int
    ) -> None:
        super().__init__()
        if num_downs < 2:
            raise ValueError(f"a U-Net needs num_downs >= 2, got {num_downs}")
        self.num_downs = num_downs
        channels = [width * min(2**level, MAX_MULTIPLE) for level in range(num_downs)]
        # Levels num_downs - 1 - dropout_blocks .. num_downs - 2: just outside the innermost,
        # never the outermost.
        first_dropout = max(1, num_downs - 1 - dropout_blocks)
        block: nn.Module | None = None
        for level in range(num_downs - 1, 0, -1):  # innermost first, as the code builds it
            block = UnetBlock(
                channels[level - 1], channels[level], submodule=block,
                dropout=first_dropout <= level < num_downs - 1,
            )  # fmt: skip
        self.model = UnetBlock(out_channels, channels[0], in_channels, block, outermost=True)

    @property
    def stride(self) -> int:
        """What every input side must be a multiple of: ``2^num_downs``."""
        return 2**self.num_downs

    def forward(self, x: Tensor) -> Tensor:
        return self.model(x)
