"""The named image architectures a model can pick: swgen's shared one and each paper's own.

An :class:`Architecture` is a pair of factories (generator, encoder) and the width its paper
used. Each paper network registers itself in its own file with
``ARCHITECTURES.register(name)(Architecture(...))``; :func:`swgen.nn.build_generator` and
:func:`swgen.nn.build_encoder` look the name up here. On points every architecture is the same
MLP (the WGAN-GP toy networks, which all the papers' toy experiments use), so an architecture
only describes images.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from swgen.nn.conv import ConvEncoder, ConvGenerator
from swgen.registry import Registry

# (latent_dim, channels, image_size, width) -> generator
GeneratorFactory = Callable[[int, int, int, int], nn.Module]
# (channels, image_size, out_features, width, norm) -> encoder
EncoderFactory = Callable[[int, int, int, int, str], nn.Module]


@dataclass(frozen=True)
class Architecture:
    """A generator and an encoder for images, and the width their paper used."""

    generator: GeneratorFactory
    encoder: EncoderFactory
    width: int  # used when a model's config leaves ``width`` as None
    source: str  # the official file the networks reproduce


ARCHITECTURES: Registry[Architecture] = Registry("architecture")

ARCHITECTURES.register("shared")(
    Architecture(
        generator=lambda latent, channels, size, width: ConvGenerator(
            latent, channels, size, width=width
        ),
        encoder=lambda channels, size, out, width, norm: ConvEncoder(
            channels, size, out, width=width, norm=norm
        ),
        width=64,  # DCGAN: 64 channels at the highest resolution
        source="swgen's DCGAN-style networks (swgen/nn/conv.py)",
    )
)
