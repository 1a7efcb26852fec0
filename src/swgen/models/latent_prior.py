"""A latent prior of well-separated Gaussians (``model.prior_components``), for the GAN family.

A continuous generator fed one Gaussian maps a connected set onto the data, so when the data lie
on disconnected pieces (the ten digit classes) it must put some of its samples in the gaps
between them (Tanielian et al., ICML 2020, "Learning disconnected manifolds: a no GAN's land"):
on digits these are the blends of two digits that a classifier does not recognise. A prior whose
mass is itself (nearly) disconnected lifts that constraint: with

    z = s e_c + eps,    c ~ U{0, ..., K - 1},    eps ~ N(0, I_d),

``e_c`` the c-th coordinate axis and ``s`` = ``prior_separation``, the K components lie ``s sqrt 2``
standard deviations apart along the line joining any two, and the generator can give each its own
piece of the data. This is DeLiGAN's mixture-of-Gaussians latent space (Gurumurthy et al., CVPR
2017) with fixed rather than learnt means, and much like InfoGAN's categorical code (Chen et al.,
NeurIPS 2016), whose mutual-information term ``model.info_weight`` adds (:class:`GAN`). No labels
are used: the generator learns which component shows what. ``K = 1`` is the papers' ``N(0, I)``,
drawn exactly as before.

Measured on the main job (SWGAN on digits, 3 seeds; BENCHMARKS.md, "Does a prior of separated
Gaussians close the gap?"): over 2700 steps K = 10, s = 8 raise the share of samples the digits
classifier is sure of from 78.1% to 88.7% at the same classifier FID, s = 16 gives 91.9% at a
worse FID and recall, and s = 32 collapses, so the default separation is 8. Over 4000 steps
s = 16 wins (93.0% at FID 4.6, recall 0.80 against s = 8's 90.9%, 4.9 and 0.86), and the main
job's preset uses it. Some runs let two digits share a component; ``info_weight`` 0.01 made every
component one digit and raised the share from 90.0% to 93.7% in three paired seeds (FID 4.1 to
5.1), and the preset uses it too. On Fashion-MNIST, whose classes overlap, s = 16 collapses each
component to nearly one image and s = 4 helps (one seed): K and s belong to the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from swgen.models.base import per_sample_noise


@dataclass
class LatentPriorSettings:
    """The latent prior of the GAN family (mixed into each model's config)."""

    prior_components: int = 1  # K Gaussians in the latent prior; 1: N(0, I), the papers' prior
    prior_separation: float = 8.0  # s: each component's mean is s e_c (digits: see BENCHMARKS)
    # InfoGAN (Chen et al. 2016, Eq. 5), c the drawing component: Q(G(z)) learns c.
    info_weight: float = 0.0  # lambda of InfoGAN's term lambda CE(Q(G(z)), c) for G and Q; 0: off

    def check_latent_prior(self, latent_dim: int) -> None:
        components, separation = self.prior_components, self.prior_separation
        if isinstance(components, bool) or not isinstance(components, int) or components < 1:
            raise ValueError(f"prior_components must be a whole number >= 1, got {components!r}")
        if components > latent_dim:
            raise ValueError(
                f"prior_components ({components}) cannot exceed latent_dim ({latent_dim}): each "
                "component's mean lies on its own latent axis"
            )
        if not (isinstance(separation, int | float) and math.isfinite(separation)):
            raise ValueError(f"prior_separation must be a number, got {separation!r}")
        if separation <= 0:
            raise ValueError(f"prior_separation must be positive, got {separation!r}")
        weight = self.info_weight
        if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 0):
            raise ValueError(f"info_weight must be a number >= 0, got {weight!r}")
        if weight > 0 and components == 1:
            raise ValueError(
                "info_weight needs a prior of several components to tell apart; set "
                "prior_components (e.g. 10) or leave info_weight at 0"
            )


def component_means(components: Tensor, latent_dim: int, separation: float) -> Tensor:
    """``s e_c`` for each component index ``c``: rows of the ``(n, latent_dim)`` mean matrix."""
    means = torch.zeros(len(components), latent_dim, device=components.device)
    means[torch.arange(len(components), device=components.device), components] = separation
    return means


def nearest_component(z: Tensor, settings: LatentPriorSettings) -> Tensor:
    """The component whose mean ``s e_c`` is nearest each code of ``z`` (``(n,)`` indices).

    ``||z - s e_c||^2 = ||z||^2 - 2 s z_c + s^2``, so it is the largest of the first K
    coordinates. It is the component a code was drawn from unless the noise moved it past
    another mean: the gap between the drawn component's coordinate and another's is
    ``N(s, 2)``, so that happens with probability at most ``(K - 1) Phi(-s / sqrt 2)``
    (7e-8 at K = 10, s = 8)."""
    return z[:, : settings.prior_components].argmax(dim=1)


def training_codes(n: int, latent_dim: int, settings: LatentPriorSettings, device) -> Tensor:
    """``n`` prior codes for a training step, from the noise stream every process shares
    (:func:`per_sample_noise`): the Gaussian part first, then one uniform per sample that picks
    its component."""
    eps = per_sample_noise(n, latent_dim, device=device)
    if settings.prior_components == 1:
        return eps
    uniform = per_sample_noise(n, 1, uniform=True, device=device)[:, 0]
    last = settings.prior_components - 1
    components = (uniform * settings.prior_components).long().clamp(max=last)
    return eps + component_means(components, latent_dim, settings.prior_separation)


def shift_to_components(
    eps: Tensor, settings: LatentPriorSettings, generator: torch.Generator | None = None
) -> Tensor:
    """Sampling: Gaussian draws ``eps`` (plain or truncated) moved to components drawn from
    ``generator`` after them, so a seed gives the same codes whatever the device."""
    if settings.prior_components == 1:
        return eps
    components = torch.randint(0, settings.prior_components, (len(eps),), generator=generator)
    return eps + component_means(
        components.to(eps.device), eps.shape[1], settings.prior_separation
    ).to(eps.dtype)
