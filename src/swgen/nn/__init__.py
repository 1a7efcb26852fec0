"""Networks shared by every model: MLPs for points, DCGAN-style conv stacks for images.

Models build their networks only through :func:`build_generator` and :func:`build_encoder`, so a
generator or critic is the same network whichever loss trains it.
"""

from __future__ import annotations

from torch import nn

from swgen.data.base import DataInfo
from swgen.errors import UserError
from swgen.nn.conv import NORMS, ConvEncoder, ConvGenerator, check_choice, num_stages
from swgen.nn.mlp import MLP

__all__ = [
    "MLP",
    "NORMS",
    "ConvEncoder",
    "ConvGenerator",
    "build_encoder",
    "build_generator",
    "default_width",
    "num_stages",
]

POINT_WIDTH = 512  # WGAN-GP toy experiments: 3 hidden ReLU layers of 512
IMAGE_WIDTH = 64  # DCGAN: 64 channels at the highest resolution


def default_width(info: DataInfo) -> int:
    """Width used when a model's config leaves ``width`` as None."""
    return POINT_WIDTH if info.kind == "points" else IMAGE_WIDTH


def build_generator(info: DataInfo, latent_dim: int, width: int | None = None) -> nn.Module:
    """A network mapping ``(n, latent_dim)`` codes to ``(n, *info.shape)`` samples."""
    _check_kind(info)
    width = width or default_width(info)
    if info.kind == "points":
        return MLP(latent_dim, info.shape[0], width=width)
    channels, height, size = info.shape
    _check_square(height, size)
    return ConvGenerator(latent_dim, channels, size, width=width)


def build_encoder(
    info: DataInfo, out_features: int, width: int | None = None, norm: str = "layer"
) -> nn.Module:
    """A network mapping ``(n, *info.shape)`` samples to ``(n, out_features)`` features.

    ``norm`` applies to images only (points use a plain MLP); critics trained with a gradient
    penalty must not use ``"batch"``.
    """
    check_choice("normalisation", norm, NORMS)
    _check_kind(info)
    width = width or default_width(info)
    if info.kind == "points":
        return MLP(info.shape[0], out_features, width=width)
    channels, height, size = info.shape
    _check_square(height, size)
    return ConvEncoder(channels, size, out_features, width=width, norm=norm)


def _check_kind(info: DataInfo) -> None:
    if info.kind not in ("points", "images"):
        raise UserError(
            f"this model's networks take points or images, not {info.kind}; for video clips use "
            "--model pg-swgan-3d or pg-wgan-3d"
        )


def _check_square(height: int, width: int) -> None:
    if height != width:
        raise UserError(f"images must be square for the conv networks, got {height}x{width}")
