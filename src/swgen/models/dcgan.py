"""DCGAN (Radford, Metz, Chintala, ICLR 2016): the non-saturating GAN with the DCGAN recipe.

The recipe of Section 3 of the paper, on swgen's shared DCGAN-style conv networks
(``swgen.nn.conv``): strided convolutions instead of pooling (transposed in the generator),
batch norm in both networks except the discriminator's input stage, ReLU in the generator with
tanh at its output, LeakyReLU(0.2) in the discriminator, weights from N(0, 0.02), Adam lr 2e-4
with beta1 0.5, batch 128 (``train.batch_size``; the presets keep their own), a 100-D uniform
noise (swgen draws N(0, I), as most reimplementations). Departures: the shared generator ends in
a 3x3 convolution after its last upsampling instead of a transposed convolution to the image,
and its first layer is a linear projection to 4 x 4 (as the paper's Figure 1).

This is :class:`swgen.models.gan.GAN` under the paper's defaults, so the loss, PU-GAN, Smooth
GAN and conditioning settings of ``gan`` apply to it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from swgen.models.gan import GAN, GANConfig, Norm
from swgen.registry import MODELS


@dataclass
class DCGANConfig(GANConfig):
    latent_dim: int = 100  # Radford et al. 2016, Section 4 (z of 100 dimensions)
    architecture: str = "shared"  # swgen's DCGAN-style conv stacks (strided, no pooling)
    critic_norm: Norm = "batch"  # batch norm in the discriminator, not on its input stage
    lr: float = 2e-4  # Adam, Radford et al. 2016, Section 4
    betas: tuple[float, float] = (0.5, 0.999)  # beta1 0.5, Radford et al. 2016, Section 4


@MODELS.register("dcgan", summary="non-saturating GAN with the DCGAN recipe (Radford et al. 2016)")
class DCGAN(GAN):
    Config = DCGANConfig
