"""WGAN with gradient penalty (Gulrajani et al., 2017, Algorithm 1).

* critic:    minimise ``E D(G(z)) - E D(x) + lambda E[(||grad D(x_hat)||_2 - 1)^2]`` with
  ``x_hat = (1 - mu) x + mu G(z)``, one ``mu ~ U[0, 1]`` per sample,
* generator: minimise ``-E D(G(z))``.

Defaults are the paper's: Adam lr 1e-4, betas (0, 0.9), lambda = 10, n_critic = 5, and a critic
without batch norm (layer norm instead), since the penalty is taken per sample. On the toy sets
the shipped presets (``configs/wgan-gp/<toy>.yaml``) take the official toy code's settings
(gan_toy.py: lambda = 0.1, betas (0.5, 0.9)): with Algorithm 1's the generator on 2-D noise
drifts off the 25-Gaussian grid as a thin curve (3 ± 3.6 modes at 1500 steps), with the toy
code's it covers 22 ± 2 at 1500 steps and 23.7 ± 0.6 at 6000 (3 seeds; BENCHMARKS.md).

``model.loss`` keeps the penalty under another adversarial loss (hinge + GP, ...);
``model.pu_prior`` gives PU-WGAN-GP, the positive-unlabeled objective on the Wasserstein
scores (``f1(d) = -d``, ``f2(d) = d``): swgen's derivation, not in the official PU-GAN code
(:mod:`swgen.models.gan_losses`). ``model.smooth_weight`` adds Smooth GAN's generator penalty,
which the paper pairs with this gradient-penalised critic.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from swgen.data.base import DataInfo
from swgen.models.gan import GAN, AdversarialSettings, LossName, Norm, check_positive
from swgen.models.penalties import gradient_penalty
from swgen.registry import MODELS


@dataclass
class WGANGPConfig(AdversarialSettings):
    loss: LossName = "wasserstein"  # the critic's loss under the penalty (gan_losses.py)
    latent_dim: int = 128  # Gulrajani et al.'s image models (their toy code uses 2)
    width: int | None = None  # None: 512 hidden units for points (the paper's toy MLP), 64 channels
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    critic_norm: Norm = "layer"  # the paper: no batch norm in the critic; layer norm
    n_critic: int = 5  # Gulrajani et al., Algorithm 1
    gp_weight: float = 10.0  # lambda, Gulrajani et al., Algorithm 1
    lr: float = 1e-4  # Adam alpha, Gulrajani et al., Algorithm 1
    betas: tuple[float, float] = (0.0, 0.9)  # Adam (beta1, beta2), Gulrajani et al., Algorithm 1

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "n_critic", "lr")
        self.check_adversarial()
        if self.critic_norm == "batch":
            raise ValueError("critic_norm 'batch' breaks the per-sample gradient penalty")


@MODELS.register("wgan-gp", summary="WGAN with gradient penalty (Gulrajani et al. 2017)")
class WGANGP(GAN):
    Config = WGANGPConfig
    default_loss = "wasserstein"

    def paper_architecture_for(self, data: DataInfo) -> str:
        """Gulrajani et al.'s MNIST networks for grey images, their 64x64 ResNet for colour."""
        return "wgan-gp-mnist" if data.channels == 1 else "wgan-gp-resnet"

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        scores_real, scores_fake = self.critic(real), self.critic(fake)
        wasserstein = scores_real.mean() - scores_fake.mean()
        penalty, _ = gradient_penalty(self.critic, real, fake, target=1.0)
        loss = self.adversarial_critic_loss(scores_real, scores_fake)
        loss = loss + self.config.gp_weight * penalty
        return loss, {"loss_critic": loss, "wasserstein": wasserstein, "gradient_penalty": penalty}
