"""GANs named by their loss, for convenience: ``lsgan`` and ``hinge-gan``.

Each is :class:`swgen.models.gan.GAN` (DCGAN networks and optimiser) with ``model.loss`` set;
``--model gan model.loss=lsgan`` trains the same model.

* ``lsgan`` (Mao et al., ICCV 2017): least squares, critic ``E (D(x) - 1)^2 + E D(G(z))^2``,
  generator ``E (D(G(z)) - 1)^2`` (the 0-1 coding of their experiments; Adam lr 2e-4, beta1 0.5
  as their DCGAN-based networks and the PU-GAN code).
* ``hinge-gan`` (Lim & Ye 2017; Miyato et al., ICLR 2018): critic ``E relu(1 - D(x)) +
  E relu(1 + D(G(z)))``, generator ``-E D(G(z))``. Miyato et al. pair it with spectral norm,
  which swgen's networks do not have; the critic keeps DCGAN's batch norm.
"""

from __future__ import annotations

from dataclasses import dataclass

from swgen.models.gan import GAN, GANConfig, LossName
from swgen.registry import MODELS


@dataclass
class LSGANConfig(GANConfig):
    loss: LossName = "lsgan"  # Mao et al. 2017, least squares with the 0-1 coding


@dataclass
class HingeGANConfig(GANConfig):
    loss: LossName = "hinge"  # Lim & Ye 2017, Miyato et al. 2018


@MODELS.register("lsgan", summary="least-squares GAN (Mao et al. 2017)")
class LSGAN(GAN):
    Config = LSGANConfig


@MODELS.register("hinge-gan", summary="GAN with the hinge loss (Lim & Ye 2017; Miyato et al. 2018)")
class HingeGAN(GAN):
    Config = HingeGANConfig
