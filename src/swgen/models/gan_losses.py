"""The adversarial losses of the GAN family by name, and their positive-unlabeled (PU) forms.

Every loss is written on raw critic scores ``d`` (logits for ``bce``) through two per-sample
losses of the critic, ``f1`` for samples it should call real and ``f2`` for samples it should
call fake, and one per-sample loss of the generator ``g``:

* critic:     ``L_D = E f1(D(x)) + E f2(D(G(z)))``,
* generator:  ``L_G = E g(D(G(z)))``.

================  ===================  ==================  ==================
``loss``          ``f1(d)``            ``f2(d)``           ``g(d)``
================  ===================  ==================  ==================
``bce``           ``softplus(-d)``     ``softplus(d)``     ``softplus(-d)``
``lsgan``         ``(d - 1)^2``        ``d^2``             ``(d - 1)^2``
``hinge``         ``relu(1 - d)``      ``relu(1 + d)``     ``-d``
``wasserstein``   ``-d``               ``d``               ``-d``
================  ===================  ==================  ==================

* ``bce``: Goodfellow et al. 2014 with the non-saturating generator (``-log sigma(d)``).
* ``lsgan``: Mao et al. 2017, the 0-1 coding ``a = 0, b = c = 1`` of their experiments, without
  their factor 1/2 (as the PU-GAN / RelativisticGAN code it is compared with; Adam is blind to
  a constant factor).
* ``hinge``: Lim & Ye 2017, Miyato et al. 2018 (the generator loss ``-E D(G(z))``).
* ``wasserstein``: Arjovsky et al. 2017; meaningful only with a Lipschitz constraint on the
  critic (a gradient penalty, as ``wgan-gp``, or clipping).

Positive-unlabeled GAN (Guo et al., CVPR 2020, :func:`pu_critic_loss`): generated samples are
unlabeled, a share ``pi`` of them taken to look real. The critic minimises the non-negative PU
risk (Kiryo et al. 2017)

    ``pi E f1(D(x)) + max(0, E f2~(D(G(z))) - pi E f2~(D(x)))``,

the max enclosing both terms, as the official code (huangjiadidi/PUGAN, ``GAN_losses_iter.py``
``loss_D`` 5 and 6) writes it. ``f2~`` is ``f2`` except for ``lsgan``, where the official PU-LSGAN
labels negatives -1: ``f2~(d) = (d + 1)^2``. The generator keeps its loss ``g``. The official code
has ``bce`` (PU-SGAN) and ``lsgan`` (PU-LSGAN) only; PU-``hinge`` and PU-``wasserstein`` are
swgen's derivation, the same construction with the table's ``f1`` and ``f2`` (Guo et al.'s table
reports them, their code for them was not found).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.errors import UserError

PerSample = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class AdversarialLoss:
    """The per-sample losses of one named GAN loss (see the module docstring)."""

    real: PerSample  # f1: critic's loss on samples to call real
    fake: PerSample  # f2: critic's loss on samples to call fake
    generator: PerSample  # g: the generator's loss on its samples' scores
    pu_fake: PerSample  # f2 as the PU objective uses it


LOSSES: dict[str, AdversarialLoss] = {
    "bce": AdversarialLoss(
        real=lambda d: F.softplus(-d),
        fake=F.softplus,
        generator=lambda d: F.softplus(-d),
        pu_fake=F.softplus,
    ),
    "lsgan": AdversarialLoss(
        real=lambda d: (d - 1).square(),
        fake=torch.square,
        generator=lambda d: (d - 1).square(),
        pu_fake=lambda d: (d + 1).square(),  # official PU-LSGAN: negatives at -1
    ),
    "hinge": AdversarialLoss(
        real=lambda d: F.relu(1 - d),
        fake=lambda d: F.relu(1 + d),
        generator=torch.neg,
        pu_fake=lambda d: F.relu(1 + d),
    ),
    "wasserstein": AdversarialLoss(
        real=torch.neg,
        fake=lambda d: d,
        generator=torch.neg,
        pu_fake=lambda d: d,
    ),
}
LOSS_NAMES = tuple(LOSSES)
# The PU forms the official code implements; the others are derived (module docstring).
OFFICIAL_PU = ("bce", "lsgan")


def adversarial_loss(name: str) -> AdversarialLoss:
    """The loss called ``name``; an unknown name is a one-line user error."""
    if name not in LOSSES:
        raise UserError(f"unknown model.loss {name!r}; choose one of: {', '.join(LOSS_NAMES)}")
    return LOSSES[name]


def critic_loss(name: str, scores_real: Tensor, scores_fake: Tensor) -> Tensor:
    """``E f1(D(x)) + E f2(D(G(z)))`` for the loss ``name``."""
    loss = adversarial_loss(name)
    return loss.real(scores_real).mean() + loss.fake(scores_fake).mean()


def generator_loss(name: str, scores_fake: Tensor) -> Tensor:
    """``E g(D(G(z)))`` for the loss ``name``."""
    return adversarial_loss(name).generator(scores_fake).mean()


def pu_critic_loss(name: str, scores_real: Tensor, scores_fake: Tensor, prior: float) -> Tensor:
    """PU-GAN's critic loss ``pi E f1(D(x)) + max(0, E f2~(D(G(z))) - pi E f2~(D(x)))``.

    ``prior`` is pi, the share of generated samples taken to look real (Guo et al. 2020).
    """
    loss = adversarial_loss(name)
    positive = prior * loss.real(scores_real).mean()
    unlabeled = loss.pu_fake(scores_fake).mean() - prior * loss.pu_fake(scores_real).mean()
    return positive + unlabeled.clamp_min(0)


PU_SCHEDULES = ("fixed", "rising")


def pu_prior_at(
    step: int, prior: float, schedule: str, increase: float, every: int, cap: float
) -> float:
    """The class prior pi at generator step ``step`` (0-based).

    ``fixed``: ``prior``. ``rising``: the official code's ``prior_increase_mode`` 0 ("basic"),
    ``prior + increase * floor(step / every)`` capped at ``cap`` (the code adds 0.1 after every
    10,000 iterations; the author's Tables 1-2 ran "0.3 to 0.7"). A pure function of the step,
    so a resumed run sees the prior an uninterrupted one would.
    """
    if schedule == "fixed":
        return prior
    if schedule != "rising":
        raise UserError(
            f"unknown model.pu_schedule {schedule!r}; choose one of: {', '.join(PU_SCHEDULES)}"
        )
    return min(max(cap, prior), prior + increase * (step // every))
