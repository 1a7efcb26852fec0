"""WGAN with weight clipping (Arjovsky et al., 2017, Algorithm 1).

The critic ``f`` estimates ``W1(P_r, P_g) ~ max_{|w| <= c} E f(x) - E f(G(z))``:

* critic:    minimise ``E f(G(z)) - E f(x)``, then clip every critic parameter to ``[-c, c]``,
* generator: minimise ``-E f(G(z))``.

Defaults are the paper's: RMSprop lr 5e-5, c = 0.01, n_critic = 5, DCGAN critic with batch
norm. Departure: the paper's 100 critic updates during the first 25 generator updates (and every
500th) are not done; every step uses ``n_critic``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from swgen.models.diff_augment import DiffAugmentSettings
from swgen.models.gan import GAN, Norm, check_positive
from swgen.models.latent_prior import LatentPriorSettings
from swgen.models.top_k import TopKSettings
from swgen.registry import MODELS


@dataclass
class WGANConfig(DiffAugmentSettings, TopKSettings, LatentPriorSettings):
    latent_dim: int = 128  # noise size; shared default of swgen's models (paper: 100)
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    critic_norm: Norm = "batch"  # the paper's DCGAN critic keeps batch norm
    conditional: bool = False  # condition G and D on the data's class labels (cGAN, concatenated)
    n_critic: int = 5  # Arjovsky et al., Algorithm 1
    clip: float = 0.01  # c, Arjovsky et al., Algorithm 1
    lr: float = 5e-5  # RMSprop, Arjovsky et al., Algorithm 1

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "n_critic", "clip", "lr")
        self.check_latent_prior(self.latent_dim)
        self.check_top_k()
        self.check_diffaugment()


@MODELS.register("wgan", summary="WGAN with weight clipping (Arjovsky et al. 2017)")
class WGAN(GAN):
    Config = WGANConfig

    def make_optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.RMSprop(module.parameters(), lr=self.config.lr)

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        wasserstein = self.critic(real).mean() - self.critic(fake).mean()
        return -wasserstein, {"loss_critic": -wasserstein, "wasserstein": wasserstein}

    def after_critic_update(self) -> None:
        with torch.no_grad():
            for parameter in self.critic.parameters():
                parameter.clamp_(-self.config.clip, self.config.clip)

    def generator_losses(self, fake: Tensor) -> Tensor:
        return -self.critic(fake)
