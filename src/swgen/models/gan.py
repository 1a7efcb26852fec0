"""GAN with the non-saturating loss (Goodfellow et al., 2014) and the adversarial training loop.

Critic ``D`` outputs a logit ``s(x)``; ``sigma(s)`` is the probability that ``x`` is real.

* critic:    minimise ``-log sigma(s(x)) - log(1 - sigma(s(G(z))))
  = softplus(-s(x)) + softplus(s(G(z)))`` (binary cross-entropy),
* generator: minimise ``-log sigma(s(G(z))) = softplus(-s(G(z)))`` (the non-saturating loss).

``model.loss`` swaps the pair for another by name (``lsgan``, ``hinge``, ``wasserstein``;
:mod:`swgen.models.gan_losses`), ``model.pu_prior`` for its positive-unlabeled form (PU-GAN,
Guo et al. 2020), ``model.smooth_weight`` adds Smooth GAN's generator penalty
(:func:`swgen.models.penalties.generator_smoothness`), ``model.topk_min`` trains the generator
on the samples the critic finds most real (top-k training, :mod:`swgen.models.top_k`),
``model.diffaugment`` augments every image the critic sees (DiffAugment,
:mod:`swgen.models.diff_augment`) and
``model.conditional`` conditions both networks on the class labels
(:mod:`swgen.models.conditioning`). ``lsgan``, ``hinge-gan`` and
``dcgan`` are this class under other defaults.

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
from torch import Tensor, nn
from torch.nn.utils import parametrize

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models import gan_losses
from swgen.models.base import GenerativeModel, process_rank, requires_grad
from swgen.models.conditioning import with_label_inputs
from swgen.models.diff_augment import DiffAugmentSettings, diff_augment, parse_policy
from swgen.models.hyperparameters import Norm, check_positive
from swgen.models.latent_prior import (
    LatentPriorSettings,
    nearest_component,
    shift_to_components,
    training_codes,
)
from swgen.models.penalties import generator_smoothness
from swgen.models.top_k import TopKSettings, top_k_fraction, top_k_mean
from swgen.nn import build_encoder, build_generator
from swgen.registry import MODELS

LossName = Literal["bce", "lsgan", "hinge", "wasserstein"]
PUSchedule = Literal["fixed", "rising"]
SmoothForm = Literal["jacobian", "composed"]


@dataclass
class AdversarialSettings(DiffAugmentSettings, TopKSettings, LatentPriorSettings):
    """Settings of the adversarial objective shared by ``gan`` (and its named variants) and
    ``wgan-gp``: the loss by name, PU-GAN's class prior and Smooth GAN's generator penalty (and
    the latent prior, :mod:`swgen.models.latent_prior`, top-k training,
    :mod:`swgen.models.top_k`, and DiffAugment, :mod:`swgen.models.diff_augment`, as every
    GAN-family model has)."""

    loss: LossName = "bce"  # bce (non-saturating) | lsgan | hinge | wasserstein (gan_losses.py)
    conditional: bool = False  # condition G and D on the data's class labels (cGAN, concatenated)
    pu_prior: float | None = None  # PU-GAN class prior pi of fakes looking real; None: off
    pu_schedule: PUSchedule = "fixed"  # fixed, or rising: +pu_increase every pu_every steps (code)
    pu_increase: float = 0.1  # rising prior's step, PU-GAN code (prior_increase_mode 0)
    pu_every: int = 10_000  # steps between rises, PU-GAN code (every 10,000 iterations)
    pu_max: float = 0.7  # cap of the rising prior; the author's Tables 1-2: "0.3 to 0.7"
    smooth_weight: float = 0.0  # Smooth GAN generator penalty weight gamma (paper value unknown)
    smooth_radius: float = 1.0  # radius R of the ball around z it is taken in (paper value unknown)
    smooth_form: SmoothForm = "jacobian"  # ||dG/dz||_F^2, or composed: ||d D(G(z))/dz||^2

    def check_adversarial(self) -> None:
        self.check_latent_prior(self.latent_dim)
        self.check_top_k()
        self.check_diffaugment()
        if self.pu_prior is not None and not 0 < self.pu_prior < 1:
            raise ValueError(f"pu_prior must be in (0, 1), got {self.pu_prior}")
        check_positive(self, "pu_every")


@dataclass
class GANConfig(AdversarialSettings):
    latent_dim: int = 128  # noise size; DCGAN used 100, Mimicry and SWGAN's code 128
    width: int | None = None  # None: 512 hidden units for points (WGAN-GP toy), 64 channels (DCGAN)
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    critic_norm: Norm = "batch"  # DCGAN's discriminator uses batch norm (images only)
    n_critic: int = 1  # DCGAN: one discriminator update per generator update
    lr: float = 2e-4  # DCGAN
    betas: tuple[float, float] = (0.5, 0.999)  # DCGAN

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "n_critic", "lr")
        self.check_adversarial()


@MODELS.register("gan", summary="GAN with the non-saturating loss (Goodfellow et al. 2014)")
class GAN(GenerativeModel):
    """Non-saturating GAN; also the base of the critic-based models (WGAN, WGAN-GP, SWGAN)."""

    Config = GANConfig
    # Whether train_step adds model.info_weight's term (a model with a step of its own says no).
    trains_component_head = True
    # Codes and interpolation weights come from per_sample_noise (the critic's dropout in CT-GAN
    # and SWG's projections are drawn alike on every process), so W processes train one run.
    shares_noise = True

    # The loss of models whose config has no ``loss`` key (WGAN-GP's subclasses say theirs).
    default_loss: str = "bce"

    def __init__(self, config: GANConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        self.latent_dim = config.latent_dim
        self.current_step = 0  # the step train_step is at (a pure function of it: not saved)
        # A conditional generator reads [z, one_hot(y)]; its critic, the label planes too.
        self.generator = build_generator(
            data, config.latent_dim + self.num_conditions, config.width, self.architecture
        )
        self.critic = self.build_critic()
        self.augmentations = parse_policy(getattr(config, "diffaugment", "none"))
        if self.augmentations and not data.is_pixels:
            raise UserError(
                f"model.diffaugment augments images; the data are {data.kind}, so leave it at none"
            )
        self.optimizers = {
            "generator": self.make_optimizer(self.generator),
            "critic": self.make_optimizer(self.critic),
        }
        # InfoGAN's Q (model.info_weight): which prior component drew a sample.
        self.component_head: nn.Module | None = None
        if getattr(config, "info_weight", 0.0) > 0:
            if not self.trains_component_head:
                raise UserError(
                    f"model.info_weight is not implemented for {type(self).__name__}; leave it at 0"
                )
            self.component_head = build_encoder(
                self.data, config.prior_components, config.width, "layer", self.architecture
            )
            self.optimizers["component_head"] = self.make_optimizer(self.component_head)

    # --- what a GAN variant changes -----------------------------------------------------------
    @property
    def critic_data(self) -> DataInfo:
        """What the critic reads: the data, with one label plane per class when conditional."""
        return with_label_inputs(self.data, self.num_conditions)

    def build_critic(self) -> nn.Module:
        return build_encoder(
            self.critic_data, 1, self.config.width, self.config.critic_norm, self.architecture
        )

    def make_optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        return torch.optim.Adam(module.parameters(), lr=self.config.lr, betas=self.config.betas)

    @property
    def loss_name(self) -> str:
        return getattr(self.config, "loss", self.default_loss)

    def pu_prior(self) -> float | None:
        """PU-GAN's class prior pi at the current step, or ``None`` when the PU form is off."""
        c = self.config
        if getattr(c, "pu_prior", None) is None:
            return None
        return gan_losses.pu_prior_at(
            self.current_step, c.pu_prior, c.pu_schedule, c.pu_increase, c.pu_every, c.pu_max
        )

    def adversarial_critic_loss(self, scores_real: Tensor, scores_fake: Tensor) -> Tensor:
        """The named loss of the critic, in its PU form when ``model.pu_prior`` is set."""
        prior = self.pu_prior()
        if prior is None:
            return gan_losses.critic_loss(self.loss_name, scores_real, scores_fake)
        return gan_losses.pu_critic_loss(self.loss_name, scores_real, scores_fake, prior)

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """The named loss (default binary cross-entropy: real -> 1, fake -> 0)."""
        loss = self.adversarial_critic_loss(self.critic(real), self.critic(fake))
        return loss, {"loss_critic": loss}

    def generator_losses(self, fake: Tensor) -> Tensor:
        """The named loss's generator term per sample (default non-saturating:
        ``-log sigma(s(G(z)))``), lower for samples the critic finds more real."""
        return gan_losses.adversarial_loss(self.loss_name).generator(self.critic(fake))

    def generator_loss(self, fake: Tensor) -> Tensor:
        """The mean of :meth:`generator_losses`, over the ``k`` lowest when top-k training is
        on (``model.topk_min``, :mod:`swgen.models.top_k`)."""
        losses = self.generator_losses(fake).reshape(len(fake), -1).mean(dim=1)
        top_k = isinstance(self.config, TopKSettings)
        fraction = top_k_fraction(self.current_step, self.config) if top_k else 1.0
        if fraction >= 1:  # off: the plain mean, with no gather across processes
            return losses.mean()
        # Chosen among the whole batch of every process, as one process would (top_k_mean).
        return top_k_mean(losses, fraction, self._gather(losses.detach()), process_rank())

    def generator_regulariser(self, noise: Tensor, labels: Tensor | None) -> Tensor | None:
        """Smooth GAN's penalty on the generator's input gradient near ``noise`` (``None`` when
        ``model.smooth_weight`` is 0 or absent), weighted."""
        weight = getattr(self.config, "smooth_weight", 0.0)
        if not weight:
            return None
        c = self.config
        penalty = generator_smoothness(
            lambda z: self.generator(self.condition(z, labels)),
            noise,
            c.smooth_radius,
            c.smooth_form,
            critic=lambda x: self.critic(self.with_labels(x, labels)),
        )
        return weight * penalty

    def component_information(self, noise: Tensor, fake: Tensor) -> Tensor | None:
        """InfoGAN's mutual-information term for the prior's component (Chen et al. 2016, Eq. 5,
        with the categorical code ``c`` = the component that drew ``noise``): ``lambda *
        CE(Q(G(z)), c)``, the negative of its variational lower bound on ``I(c; G(z))`` up to
        the constant ``H(c)``. G and Q both minimise it, so G is pushed to make each component's
        samples tell it apart from the others'. ``None`` when ``model.info_weight`` is 0."""
        if self.component_head is None:
            return None
        components = nearest_component(noise[:, : self.latent_dim], self.config)
        logits = self.component_head(fake)
        return self.config.info_weight * nn.functional.cross_entropy(logits, components)

    def augment(self, images: Tensor) -> Tensor:
        """DiffAugment's ``T`` on a batch the critic is about to see (``model.diffaugment``;
        the images themselves when it is ``none``)."""
        if not self.augmentations:
            return images
        c = self.config
        return diff_augment(images, self.augmentations, c.translation_ratio, c.cutout_ratio)

    def after_critic_update(self) -> None:
        """Hook run after each critic update (WGAN clips the weights here)."""

    # --- the loop ----------------------------------------------------------------------------
    @property
    def batches_per_step(self) -> int:
        return self.config.n_critic

    def noise(self, n: int, like: Tensor) -> Tensor:
        """Prior codes of a training step (:mod:`swgen.models.latent_prior`)."""
        return training_codes(n, self.latent_dim, self.config, like.device)

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, truncation: float | None = None
    ) -> Tensor:
        """The base class's ``N(0, I)`` draws (truncated when asked), moved to the prior's
        components when it has several (a truncation cuts each component's tails)."""
        eps = super().sample_latent(n, generator, truncation)
        return shift_to_components(eps, self.config, generator)

    def prior_components_of(self, codes: Tensor) -> Tensor | None:
        if self.config.prior_components == 1:
            return None
        return nearest_component(codes[:, : self.latent_dim], self.config)

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        real = batch.x
        parts = batch.chunk(self.batches_per_step)
        self.current_step = step  # read by the PU prior's and top-k's schedules

        requires_grad(self.critic, True)
        for part in parts:  # n_critic critic updates, each on a fresh real batch
            critic_real, labels = part.x, part.labels
            with torch.no_grad():  # the critic's update needs no graph through G
                codes = self.condition(self.noise(len(critic_real), critic_real), labels)
                fake = self.generator(codes)
            with parametrize.cached():  # orthogonal weights computed once per update, not per use
                loss, logs = self.critic_loss(
                    self.with_labels(self.augment(critic_real), labels),
                    self.with_labels(self.augment(fake), labels),
                )
            self.optimize(loss, self.optimizers["critic"])
            self.after_critic_update()

        requires_grad(self.critic, False)
        labels = parts[-1].labels  # fakes of the generator step take the last batch's classes
        with parametrize.cached():
            noise = self.noise(len(parts[-1]), real)
            fake = self.generator(self.condition(noise, labels))
            loss_generator = self.generator_loss(self.with_labels(self.augment(fake), labels))
            smoothness = self.generator_regulariser(noise, labels)
            if smoothness is not None:
                loss_generator = loss_generator + smoothness
                logs = {**logs, "generator_smoothness": smoothness}
            information = self.component_information(noise, fake)
            if information is not None:
                loss_generator = loss_generator + information
                logs = {**logs, "component_information": information}
        self.optimize(
            loss_generator,
            *[
                self.optimizers[name]
                for name in ("generator", "component_head")
                if name in self.optimizers
            ],
        )
        requires_grad(self.critic, True)

        logs = {name: value.detach() for name, value in logs.items()}
        return {**logs, "loss_generator": loss_generator.detach()}
