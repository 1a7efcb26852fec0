"""GAN with the non-saturating loss (Goodfellow et al., 2014) and the adversarial training loop.

Critic ``D`` outputs a logit ``s(x)``; ``sigma(s)`` is the probability that ``x`` is real.

* critic:    minimise ``-log sigma(s(x)) - log(1 - sigma(s(G(z))))
  = softplus(-s(x)) + softplus(s(G(z)))`` (binary cross-entropy),
* generator: minimise ``-log sigma(s(G(z))) = softplus(-s(G(z)))`` (the non-saturating loss).

One ``train_step`` is ``n_critic`` critic updates, each on a fresh real batch and fresh noise,
then one generator update (so ``train.steps`` counts generator updates, as in WGAN and Mimicry).
:class:`GAN` holds that loop; WGAN, WGAN-GP and SWGAN only replace :meth:`critic_loss`,
:meth:`generator_loss`, the critic and the optimisers. Defaults follow DCGAN (Radford et al.,
2016): Adam lr 2e-4, betas (0.5, 0.999), batch norm in both networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize

from swgen.data.base import Batch, DataInfo
from swgen.models.base import GenerativeModel, per_sample_noise, requires_grad
from swgen.nn import build_encoder, build_generator
from swgen.registry import MODELS

Norm = Literal["none", "layer", "batch", "instance"]


@dataclass
class GANConfig:
    latent_dim: int = 128  # noise size; DCGAN used 100, Mimicry and SWGAN's code 128
    width: int | None = None  # None: 512 hidden units for points (WGAN-GP toy), 64 channels (DCGAN)
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    critic_norm: Norm = "batch"  # DCGAN's discriminator uses batch norm (images only)
    n_critic: int = 1  # DCGAN: one discriminator update per generator update
    lr: float = 2e-4  # DCGAN
    betas: tuple[float, float] = (0.5, 0.999)  # DCGAN

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "n_critic", "lr")


def check_positive(config: object, *names: str) -> None:
    """Reject non-positive hyperparameters (a ``ValueError`` becomes a one-line user error)."""
    for name in names:
        if getattr(config, name) <= 0:
            raise ValueError(f"{name} must be positive, got {getattr(config, name)}")


@MODELS.register("gan")
class GAN(GenerativeModel):
    """Non-saturating GAN; also the base of the critic-based models (WGAN, WGAN-GP, SWGAN)."""

    Config = GANConfig
    # Codes and interpolation weights come from per_sample_noise (the critic's dropout in CT-GAN
    # and SWG's projections are drawn alike on every process), so W processes train one run.
    shares_noise = True

    def __init__(self, config: GANConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        self.latent_dim = config.latent_dim
        self.generator = build_generator(data, config.latent_dim, config.width, self.architecture)
        self.critic = self.build_critic()
        self.optimizers = {
            "generator": self.make_optimizer(self.generator),
            "critic": self.make_optimizer(self.critic),
        }

    # --- what a GAN variant changes -----------------------------------------------------------
    def build_critic(self) -> nn.Module:
        return build_encoder(
            self.data, 1, self.config.width, self.config.critic_norm, self.architecture
        )

    def make_optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(module.parameters(), lr=self.config.lr, betas=self.config.betas)

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """Binary cross-entropy: real -> 1, fake -> 0."""
        loss = F.softplus(-self.critic(real)).mean() + F.softplus(self.critic(fake)).mean()
        return loss, {"loss_critic": loss}

    def generator_loss(self, fake: Tensor) -> Tensor:
        """Non-saturating: maximise log D(G(z))."""
        return F.softplus(-self.critic(fake)).mean()

    def after_critic_update(self) -> None:
        """Hook run after each critic update (WGAN clips the weights here)."""

    # --- the loop ----------------------------------------------------------------------------
    @property
    def batches_per_step(self) -> int:
        return self.config.n_critic

    def noise(self, n: int, like: Tensor) -> Tensor:
        return per_sample_noise(n, self.latent_dim, device=like.device)

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        real = batch.x
        batches = [part.x for part in batch.chunk(self.batches_per_step)]

        requires_grad(self.critic, True)
        for critic_real in batches:  # n_critic critic updates, each on a fresh real batch
            with torch.no_grad():  # the critic's update needs no graph through G
                fake = self.generator(self.noise(len(critic_real), critic_real))
            with parametrize.cached():  # orthogonal weights computed once per update, not per use
                loss, logs = self.critic_loss(critic_real, fake)
            self.optimize(loss, self.optimizers["critic"])
            self.after_critic_update()

        requires_grad(self.critic, False)
        with parametrize.cached():
            fake = self.generator(self.noise(len(batches[-1]), real))
            loss_generator = self.generator_loss(fake)
        self.optimize(loss_generator, self.optimizers["generator"])
        requires_grad(self.critic, True)

        logs = {name: value.detach() for name, value in logs.items()}
        return {**logs, "loss_generator": loss_generator.detach()}
