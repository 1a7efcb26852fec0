"""SinGAN's per-scale networks and its image pyramid (Rott Shaham, Dekel, Michaeli, ICCV 2019).

Everything here follows the official code, tamarott/SinGAN:

* ``pyramid_sizes``: ``SinGAN/functions.py`` ``adjust_scales2image`` and ``creat_reals_pyramid``
  (the finest image has its long side at most ``max_size``, the coarsest its short side about
  ``min_size``; the nominal scale factor is recomputed so that the scales are exact);
* ``scale_width``: ``training.py`` ``nfc = min(nfc_init * 2^floor(n / 4), 128)``;
* ``ScaleGenerator`` and ``ScaleCritic``: ``SinGAN/models.py`` ``GeneratorConcatSkip2CleanAdd``
  and ``WDiscriminator``: ``layers`` blocks of Conv 3x3 (stride 1, padding 0) + BatchNorm +
  LeakyReLU 0.2, the generator's last a Conv + tanh to the image's channels, the critic's a
  Conv to one channel (a patch map, no sigmoid); receptive field 11 x 11 at 5 blocks;
* ``singan_init_``: ``functions.py`` ``weights_init`` (conv weights N(0, 0.02), batch-norm
  weights N(1, 0.02) and biases 0).
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from swgen.errors import UserError

Size = tuple[int, int]


def imresize_size(height: int, width: int, scale: float) -> Size:
    """The output size of the code's MATLAB-style ``imresize(x, scale)``: ``ceil(size * scale)``
    (``SinGAN/imresize.py`` ``fix_scale_and_size``)."""
    return math.ceil(height * scale), math.ceil(width * scale)


def pyramid_sizes(
    height: int, width: int, max_size: int, min_size: int, scale_factor: float
) -> tuple[list[Size], float]:
    """Sizes of the scales, coarsest first, and the exact scale factor, for an image of
    ``height x width`` (``adjust_scales2image`` + ``creat_reals_pyramid``)::

        num_scales = ceil(log_r(min_size / short side)) + 1          (r = nominal factor)
        stop_scale = num_scales - ceil(log_r(min(max_size, long) / long))
        finest     = imresize(image, min(max_size / long, 1))
        factor     = (min_size / finest's short side) ^ (1 / stop_scale)
        scale n    = imresize(finest, factor^(stop_scale - n)),  n = 0 .. stop_scale

    The count of scales depends on the image's own size (not only the finest one), as in the
    code. Refuses, in one line, an image whose finest short side is not above ``min_size``.
    """
    short, long = min(height, width), max(height, width)
    scale1 = min(max_size / long, 1)
    finest = imresize_size(height, width, scale1)
    if min(finest) <= min_size:
        raise UserError(
            f"the image ({height}x{width}, {finest[0]}x{finest[1]} at model.max_size={max_size}) "
            f"is too small for a pyramid: its shorter side must be above model.min_size="
            f"{min_size}; give a larger image, or lower model.min_size"
        )
    num_scales = math.ceil(math.log(math.pow(min_size / short, 1), scale_factor)) + 1
    scale2stop = math.ceil(math.log(min(max_size, long) / long, scale_factor))
    stop_scale = num_scales - scale2stop
    if stop_scale < 1:
        raise UserError(
            f"the image ({height}x{width}) gives a pyramid of one scale at model.min_size="
            f"{min_size} and model.scale_factor={scale_factor}; lower model.min_size"
        )
    factor = math.pow(min_size / min(finest), 1 / stop_scale)
    sizes = [imresize_size(*finest, math.pow(factor, stop_scale - n)) for n in range(stop_scale)]
    return [*sizes, finest], factor


def scale_width(scale: int, nfc: int, max_nfc: int = 128) -> int:
    """Feature maps of every layer at ``scale`` (0 the coarsest): ``min(nfc 2^floor(n/4), max)``,
    doubling every 4 scales (official code; ``nfc`` 32 and ``max_nfc`` 128 there)."""
    return min(nfc * 2 ** (scale // 4), max_nfc)


def resize(x: Tensor, size: Size) -> Tensor:
    """Bicubic resize with antialiasing when shrinking: torch's stand-in for the code's
    MATLAB-style ``imresize`` (a bicubic kernel widened by the scale when downsampling)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """``ConvBlock``: Conv 3x3 (stride 1, padding 0) + BatchNorm + LeakyReLU 0.2."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=1, padding=0),
        nn.BatchNorm2d(out_channels),
        nn.LeakyReLU(0.2),
    )


def singan_init_(module: nn.Module) -> None:
    """``weights_init``: conv weights N(0, 0.02) (biases left at torch's default), batch-norm
    weights N(1, 0.02) and biases 0; apply with ``network.apply(singan_init_)``."""
    if isinstance(module, nn.Conv2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class ScaleGenerator(nn.Module):
    """One scale's generator, residual: ``G(x_in, prev) = tail(body(head(x_in))) + prev``.

    ``x_in`` is ``sigma z + prev`` zero-padded by ``layers`` pixels on every side (each 3x3
    convolution without padding takes one away), so the output has ``prev``'s size.
    """

    def __init__(self, channels: int, width: int, layers: int = 5) -> None:
        super().__init__()
        blocks = [conv_block(channels, width)]
        blocks += [conv_block(width, width) for _ in range(layers - 2)]
        self.features = nn.Sequential(*blocks)
        self.tail = nn.Sequential(nn.Conv2d(width, channels, 3, stride=1, padding=0), nn.Tanh())
        self.apply(singan_init_)

    def forward(self, x_in: Tensor, prev: Tensor) -> Tensor:
        return self.tail(self.features(x_in)) + prev


class ScaleCritic(nn.Module):
    """One scale's patch critic (``WDiscriminator``): a map of scores, one per 11 x 11 patch
    (at 5 layers), with no sigmoid (WGAN-GP)."""

    def __init__(self, channels: int, width: int, layers: int = 5) -> None:
        super().__init__()
        blocks = [conv_block(channels, width)]
        blocks += [conv_block(width, width) for _ in range(layers - 2)]
        self.features = nn.Sequential(*blocks)
        self.tail = nn.Conv2d(width, 1, 3, stride=1, padding=0)
        self.apply(singan_init_)

    def forward(self, x: Tensor) -> Tensor:
        return self.tail(self.features(x))
