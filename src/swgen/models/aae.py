"""Adversarial auto-encoder (Makhzani, Shlens, Jaitly, Goodfellow, Frey; ICLR workshop 2016).

A deterministic encoder ``q(z | x)`` and a decoder ``p(x | z)`` (``self.generator``) form an
auto-encoder; a discriminator ``A`` on the code space makes the aggregated posterior ``q(z)``
match a prior ``p(z)``. Each step runs the paper's two phases on one batch (their Section 2):

1. reconstruction: encoder and decoder descend ``E ||x - G(Q(x))||^2`` (mean over pixels);
2. regularisation: ``A`` descends the binary cross-entropy of prior draws (-> 1) against codes
   ``Q(x)`` (-> 0), then the encoder, as the generator of the codes, descends
   ``-E log A(Q(x))`` (the non-saturating form).

Priors (``model.prior``): ``gaussian``, ``N(0, I)``; ``mixture``, the paper's 2-D mixture of 10
Gaussians (their Figure 2): component ``k`` is ``N((1.4, 0), diag(0.5^2, 0.05^2))`` rotated by
``2 pi k / 10``, an elongated blob on a ring (the spread of the paper's figure; the constants
are those of common reimplementations, the paper gives none).

``model.supervised_prior=true`` is the lecture's semi-supervised variant (the paper's Section
2.3, Figure 5): ``A`` also reads the one-hot label, and the prior draw of a sample of class
``k`` comes from component ``k``, so each class is pushed to its own component. The paper adds an
eleventh "unlabelled" slot for unlabelled samples; swgen's data are all labelled or not at all,
so it has none. ``--label K`` then samples component K.

``model.conditional=true`` feeds the label to the decoder as well (the paper's Section 5,
"disentangling style and content"), so that the code keeps only the style.

Defaults: a 2-D code (the paper's and the lecture's MNIST code-space figures), an adversary of
two hidden layers of 1000 units (the paper's MNIST networks). The optimiser is swgen's choice
(Adam lr 1e-3, beta1 0.5, as WAE-GAN); the paper used SGD with momentum 0.9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel, requires_grad
from swgen.models.conditioning import one_hot
from swgen.models.hyperparameters import Norm, check_positive
from swgen.nn import MLP, build_encoder, build_generator
from swgen.registry import MODELS

MIXTURE_COMPONENTS = 10  # the paper's Figure 2
MIXTURE_SHIFT = 1.4  # distance of each component's centre from the origin
MIXTURE_STD = (0.5, 0.05)  # radial and tangential standard deviations of a component


def mixture_prior(
    components: Tensor, count: int = MIXTURE_COMPONENTS, generator: torch.Generator | None = None
) -> Tensor:
    """One 2-D draw from component ``components[i]`` of the ring of ``count`` Gaussians."""
    noise = torch.randn(len(components), 2, generator=generator)
    radial = MIXTURE_SHIFT + MIXTURE_STD[0] * noise[:, 0]
    tangential = MIXTURE_STD[1] * noise[:, 1]
    angle = 2 * math.pi * components.float().cpu() / count
    cos, sin = angle.cos(), angle.sin()
    return torch.stack([radial * cos - tangential * sin, radial * sin + tangential * cos], dim=1)


@dataclass
class AAEConfig:
    latent_dim: int = 2  # code size; 2 as the paper's and the lecture's code-space figures
    prior: Literal["gaussian", "mixture"] = "gaussian"  # p(z): N(0, I) or the 2-D ring of 10
    supervised_prior: bool = False  # labels pick the mixture component (paper's Section 2.3)
    conditional: bool = False  # the decoder also reads the label (paper's Section 5)
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "shared"  # image networks: shared or a name
    encoder_norm: Norm = "batch"  # normalisation of the conv encoder (images only)
    lr: float = 1e-3  # Adam, encoder and decoder (swgen's choice; the paper: SGD, momentum)
    adversary_lr: float = 1e-3  # Adam, the code-space discriminator
    betas: tuple[float, float] = (0.5, 0.999)  # Adam, beta1 0.5 as WAE-GAN
    adversary_width: int = 1000  # hidden units of the discriminator, paper's MNIST networks
    adversary_depth: int = 2  # hidden layers of the discriminator, paper's MNIST networks

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "lr", "adversary_lr")
        check_positive(self, "adversary_width", "adversary_depth")
        if self.prior == "mixture" and self.latent_dim != 2:
            raise ValueError(f"the mixture prior is 2-D; set latent_dim=2, not {self.latent_dim}")
        if self.supervised_prior and self.prior != "mixture":
            raise ValueError("supervised_prior needs prior=mixture (one component per class)")


@MODELS.register("aae", summary="adversarial auto-encoder (Makhzani et al. 2016)")
class AAE(GenerativeModel):
    Config = AAEConfig

    def __init__(self, config: AAEConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        c = config
        if c.supervised_prior and not 0 < data.num_classes <= MIXTURE_COMPONENTS:
            raise ValueError(
                f"supervised_prior needs data with 1 to {MIXTURE_COMPONENTS} classes, "
                f"this data has {data.num_classes}"
            )
        self.latent_dim = c.latent_dim
        self.encoder = build_encoder(data, c.latent_dim, c.width, c.encoder_norm, self.architecture)
        self.generator = build_generator(
            data, c.latent_dim + self.num_conditions, c.width, self.architecture
        )
        extra = MIXTURE_COMPONENTS if c.supervised_prior else 0
        self.adversary = MLP(
            c.latent_dim + extra, 1, width=c.adversary_width, depth=c.adversary_depth
        )
        autoencoder = [*self.encoder.parameters(), *self.generator.parameters()]
        self.optimizers = {
            "autoencoder": torch.optim.Adam(autoencoder, lr=c.lr, betas=c.betas),
            "adversary": torch.optim.Adam(
                self.adversary.parameters(), lr=c.adversary_lr, betas=c.betas
            ),
            "encoder": torch.optim.Adam(self.encoder.parameters(), lr=c.lr, betas=c.betas),
        }

    # --- the prior ---------------------------------------------------------------------------
    def prior_sample(
        self, n: int, components: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """``n`` draws of ``p(z)`` (from the given mixture components, else uniform ones)."""
        if self.config.prior == "gaussian":
            return torch.randn(n, self.latent_dim, generator=generator)
        if components is None:
            components = torch.randint(0, MIXTURE_COMPONENTS, (n,), generator=generator)
        return mixture_prior(components, MIXTURE_COMPONENTS, generator)

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, truncation: float | None = None
    ) -> Tensor:
        if truncation is not None:
            self.check_truncation()
            return super().sample_latent(n, generator, truncation)
        return self.prior_sample(n, generator=generator).to(self.device)

    def check_truncation(self) -> None:
        """Truncating the prior's tails is defined for the Gaussian prior only."""
        if self.config.prior != "gaussian":
            raise UserError(
                f"--truncation cuts the tails of a Gaussian prior; this run's prior is "
                f"{self.config.prior!r}: drop --truncation"
            )

    @property
    def samples_by_class(self) -> bool:
        return self.config.supervised_prior or super().samples_by_class

    def sample_codes(
        self,
        n: int,
        generator: torch.Generator | None = None,
        labels: Tensor | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """Prior codes; with the supervised prior, of the labels' components (classes in turn
        when ``None``), so ``--label K`` decodes component K."""
        if not self.config.supervised_prior:
            return super().sample_codes(n, generator, labels, truncation)
        if truncation is not None:
            self.check_truncation()
        if labels is None:
            labels = torch.arange(n) % self.data.num_classes
        z = self.prior_sample(n, labels.cpu(), generator).to(self.device)
        return self.condition(z, labels)

    def adversary_input(self, codes: Tensor, components: Tensor | None) -> Tensor:
        if not self.config.supervised_prior:
            return codes
        assert components is not None
        return torch.cat([codes, one_hot(components, MIXTURE_COMPONENTS).to(codes)], dim=1)

    def latent_codes(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """The codes ``Q(x)``: the code space ``swgen explore`` draws."""
        return self.encoder(x)

    # --- one step: reconstruction phase, then regularisation phase ----------------------------
    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        x, labels = batch.x, batch.labels
        reconstructed = self.generator(self.condition(self.encoder(x), labels))
        reconstruction = (reconstructed - x).square().mean()
        self.optimize(reconstruction, self.optimizers["autoencoder"])

        components = labels if self.config.supervised_prior else None
        prior = self.prior_sample(len(x), None if components is None else components.cpu())
        prior = self.adversary_input(prior.to(x.device), components)
        with torch.no_grad():  # the discriminator's update needs no graph through Q
            codes = self.adversary_input(self.encoder(x), components)
        loss_adversary = (
            F.softplus(-self.adversary(prior)).mean() + F.softplus(self.adversary(codes)).mean()
        )
        self.optimize(loss_adversary, self.optimizers["adversary"])

        requires_grad(self.adversary, False)
        codes = self.adversary_input(self.encoder(x), components)
        loss_encoder = F.softplus(-self.adversary(codes)).mean()
        self.optimize(loss_encoder, self.optimizers["encoder"])
        requires_grad(self.adversary, True)
        logs = {
            "loss_reconstruction": reconstruction,
            "loss_adversary": loss_adversary,
            "loss_encoder": loss_encoder,
        }
        return {name: value.detach() for name, value in logs.items()}
