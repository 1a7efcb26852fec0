"""Sliced Wasserstein generator, SWG (Deshpande, Zhang, Schwing, CVPR 2018).

The discriminator ``D = head o D_`` is trained as a real-vs-fake classifier (binary
cross-entropy); the generator does not fool it but matches, in the discriminator's feature space
``D_`` (the penultimate layer), the fake batch to the real batch by the squared sliced
Wasserstein distance over random unit directions ``omega_j``:

* discriminator: minimise ``softplus(-D(x)) + softplus(D(G(z)))`` (mean over the batch),
* generator:     minimise ``SW_2^2 = (1/K) sum_j W_2^2(omega_j^T D_(G(z)), omega_j^T D_(x))``,
  for equal batches the mean over directions and samples of the squared difference of sorted
  projections (:func:`swgen.sliced.sliced_wasserstein` squared; the real features are treated
  as constants).

Defaults are the official code's (``ishansd/swg``): 10,000 directions (its README and the
paper; ``gan.py`` defaults to 5,000), one discriminator update per generator update on the same
real batch and noise, the generator updated first, Adam lr 1e-4 with beta1 0.5 for both networks,
a layer-normalised DCGAN discriminator whose flattened last conv stage is ``D_``. Departures:
noise ``N(0, I)`` of size 128 as swgen's other models (the code draws 100 uniform(-1, 1)
values), and swgen's shared networks. On a CPU the projections dominate the step for images
(features of 2,048 values at 16 px, width 64): lower ``n_projections`` to trade accuracy for speed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from swgen.data.base import Batch
from swgen.models.base import requires_grad
from swgen.models.ctgan import FeatureCritic
from swgen.models.gan import GAN, Norm, check_positive
from swgen.models.latent_prior import LatentPriorSettings
from swgen.nn import build_encoder
from swgen.registry import MODELS
from swgen.sliced import sliced_wasserstein


@dataclass
class SWGConfig(LatentPriorSettings):
    latent_dim: int = 128  # swgen's shared noise size (official code: 100, uniform(-1, 1))
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    critic_norm: Norm = "layer"  # official code: layer-normalised DCGAN discriminator
    conditional: bool = False  # condition G and D on the data's class labels (cGAN, concatenated)
    n_projections: int = 10_000  # random unit directions per step, paper and official README
    lr: float = 1e-4  # Adam, both networks, official code
    betas: tuple[float, float] = (0.5, 0.999)  # Adam beta1 0.5 (official code), beta2 default

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "n_projections", "lr")
        self.check_latent_prior(self.latent_dim)


@MODELS.register("swg", summary="sliced Wasserstein generator (Deshpande et al. 2018)")
class SWG(GAN):
    """SWG reuses the GAN's networks, optimisers and BCE discriminator loss; its step differs
    (the generator's loss needs the real batch)."""

    Config = SWGConfig
    paper_architecture = "swg-dcgan"  # official code (ishansd/swg): its DCGAN networks
    batches_per_step = 1
    trains_component_head = False

    def build_critic(self) -> nn.Module:
        c = self.config
        return FeatureCritic(
            build_encoder(self.critic_data, 1, c.width, c.critic_norm, self.architecture)
        )

    def generator_loss(  # type: ignore[override]
        self, fake: Tensor, real: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        """``SW_2^2`` between the discriminator features of ``fake`` and ``real``, of the global
        batch under several processes (sorting needs every sample)."""
        features_real = self._gather(self.critic.features(real).detach())
        features_fake = self._gather(self.critic.features(fake))
        distance = sliced_wasserstein(
            features_fake, features_real, self.config.n_projections, p=2, generator=generator
        )
        return distance.square()

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        real, labels = batch.x, batch.labels
        z = self.condition(self.noise(len(real), real), labels)
        real_seen = self.with_labels(real, labels)  # with label planes when conditional

        requires_grad(self.critic, False)
        fake = self.with_labels(self.generator(z), labels)
        loss_generator = self.generator_loss(fake, real_seen)
        self.optimize(loss_generator, self.optimizers["generator"])
        requires_grad(self.critic, True)

        with torch.no_grad():  # the discriminator's update needs no graph through G
            fake = self.with_labels(self.generator(z), labels)
        loss_critic, _ = self.critic_loss(real_seen, fake)
        self.optimize(loss_critic, self.optimizers["critic"])
        return {"loss_generator": loss_generator.detach(), "loss_critic": loss_critic.detach()}
