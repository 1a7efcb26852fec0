"""Networks for every model: MLPs for points; for images, swgen's shared DCGAN-style conv stacks
or, by name, the official networks of each paper.

Models build their networks only through :func:`build_generator` and :func:`build_encoder`, so a
generator or critic is the same network whichever loss trains it. ``architecture`` picks the
image networks from :data:`ARCHITECTURES`:

* ``"shared"``: swgen's DCGAN-style networks (``nn/conv.py``), the default;
* ``"wgan-gp-resnet"``: the WGAN-GP 64 x 64 ResNet of the official SWGAN code (``nn/resnet.py``);
* ``"wgan-gp-mnist"``: the WGAN-GP / CT-GAN MNIST networks (``nn/wgan_gp_mnist.py``);
* ``"began"``: the official SWAE linear encoder and BEGAN decoder (``nn/began.py``);
* ``"wae-dcgan"``: the official WAE MNIST networks (``nn/wae_dcgan.py``);
* ``"swg-dcgan"``: the official SWG DCGAN networks (``nn/swg_dcgan.py``).

On points every architecture is the same MLP: the papers' toy experiments all use the WGAN-GP
toy networks, which it reproduces.
"""

from __future__ import annotations

from torch import nn

from swgen.data.base import DataInfo
from swgen.errors import UserError
from swgen.nn import began, resnet, swg_dcgan, wae_dcgan, wgan_gp_mnist  # noqa: F401  (register)
from swgen.nn.architectures import ARCHITECTURES, Architecture
from swgen.nn.conv import NORMS, ConvEncoder, ConvGenerator, check_choice, num_stages
from swgen.nn.mlp import MLP

__all__ = [
    "ARCHITECTURES",
    "MLP",
    "NORMS",
    "Architecture",
    "ConvEncoder",
    "ConvGenerator",
    "build_encoder",
    "build_generator",
    "default_width",
    "num_stages",
]

POINT_WIDTH = 512  # WGAN-GP toy experiments: 3 hidden ReLU layers of 512
IMAGE_WIDTH = ARCHITECTURES.get("shared").width  # DCGAN: 64 channels at full resolution


def default_width(info: DataInfo, architecture: str = "shared") -> int:
    """Width used when a model's config leaves ``width`` as None: the paper's own for images."""
    if info.kind == "points":
        return POINT_WIDTH
    return ARCHITECTURES.get(architecture).width


def build_generator(
    info: DataInfo, latent_dim: int, width: int | None = None, architecture: str = "shared"
) -> nn.Module:
    """A network mapping ``(n, latent_dim)`` codes to ``(n, *info.shape)`` samples.

    ``architecture`` names the image networks (see :data:`ARCHITECTURES`); points always get
    the WGAN-GP toy MLP. ``width=None`` is the architecture's paper width.
    """
    arch = ARCHITECTURES.get(architecture)  # unknown names fail for points too
    _check_kind(info)
    width = width or default_width(info, architecture)
    if info.kind == "points":
        return MLP(latent_dim, info.shape[0], width=width)
    channels, height, size = info.shape
    _check_square(height, size)
    return arch.generator(latent_dim, channels, size, width)


def build_encoder(
    info: DataInfo,
    out_features: int,
    width: int | None = None,
    norm: str = "layer",
    architecture: str = "shared",
) -> nn.Module:
    """A network mapping ``(n, *info.shape)`` samples to ``(n, out_features)`` features.

    Used as critic (``out_features=1``), SWGAN's feature map and autoencoders' encoder. ``norm``
    applies to images only (points use a plain MLP), where the architecture's official code
    normalises; critics trained with a gradient penalty must not use ``"batch"``. Images give an
    ``nn.Module`` whose ``main`` is an ``nn.Sequential`` ending in ``nn.Linear``.
    """
    check_choice("normalisation", norm, NORMS)
    arch = ARCHITECTURES.get(architecture)
    width = width or default_width(info, architecture)
    _check_kind(info)
    if info.kind == "points":
        return MLP(info.shape[0], out_features, width=width)
    channels, height, size = info.shape
    _check_square(height, size)
    return arch.encoder(channels, size, out_features, width, norm)


def _check_kind(info: DataInfo) -> None:
    if info.kind not in ("points", "images"):
        raise UserError(
            f"this model's networks take points or images, not {info.kind}; for video clips use "
            "--model pg-swgan-3d or pg-wgan-3d"
        )


def _check_square(height: int, width: int) -> None:
    if height != width:
        raise UserError(f"images must be square for the conv networks, got {height}x{width}")
