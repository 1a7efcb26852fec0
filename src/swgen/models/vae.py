"""Variational auto-encoder (Kingma & Welling, ICLR 2014; Rezende et al., ICML 2014).

An encoder ``q(z | x) = N(mu(x), diag sigma^2(x))`` and a decoder ``p(x | z)`` (``self.generator``)
maximise the evidence lower bound; swgen minimises its negative, averaged over the batch:

    ``L = E_{q(z|x)} [-log p(x | z)] + KL(q(z | x) || N(0, I))``,
    ``KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - log sigma_j^2 - 1)``      (Kingma & Welling, App. B),

with one draw ``z = mu + sigma * eps``, ``eps ~ N(0, I)`` (the reparameterisation trick, their
Section 2.4). Samples decode draws of the prior ``N(0, I)``. The decoder likelihood is a setting:

* ``decoder="bernoulli"`` (their MNIST experiments): pixels in [0, 1] are Bernoulli means,
  ``-log p(x | z) = sum_pixels BCE(m(z), x01)`` with ``m = (G(z) + 1) / 2`` (the shared
  generator ends in tanh, so ``m = sigmoid(2a)`` of its last activation ``a``);
* ``decoder="gaussian"`` (their Frey Face experiments): ``-log p(x | z) = ||x - G(z)||^2 /
  (2 decoder_std^2)`` up to a constant, in model space (pixels in [-1, 1], or points). The
  paper learns the variance; swgen fixes it (``decoder_std``), a setting. Points need it.

``model.conditional=true`` gives the conditional VAE (Sohn, Lee, Yan, NeurIPS 2015): encoder
and decoder both read the class label, and ``--label K`` decodes prior draws as class K.

Defaults: 20-D code, Adam lr 1e-3, batch 64 (the PyTorch examples' MNIST VAE; Kingma & Welling
used Adagrad and batch 100); swgen's shared networks (the paper's are one-hidden-layer MLPs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel
from swgen.models.conditioning import with_label_inputs
from swgen.models.hyperparameters import Norm, check_positive
from swgen.nn import build_encoder, build_generator
from swgen.registry import MODELS


def gaussian_kl(mu: Tensor, log_variance: Tensor) -> Tensor:
    """``KL(N(mu, diag exp(log_variance)) || N(0, I))`` per row (Kingma & Welling, App. B)."""
    return 0.5 * (mu.square() + log_variance.exp() - log_variance - 1).sum(dim=1)


def bernoulli_nll(mean: Tensor, target: Tensor, eps: float = 1e-6) -> Tensor:
    """``-sum log Bernoulli(target; mean)`` per row, ``mean`` and ``target`` in [0, 1]."""
    mean = mean.clamp(eps, 1 - eps)
    nll = F.binary_cross_entropy(mean, target, reduction="none")
    return nll.flatten(start_dim=1).sum(dim=1)


def gaussian_nll(mean: Tensor, target: Tensor, std: float) -> Tensor:
    """``||target - mean||^2 / (2 std^2)`` per row: ``-log N(target; mean, std^2 I)`` up to its
    constant ``d log(std sqrt(2 pi))``, which has no gradient."""
    return (target - mean).square().flatten(start_dim=1).sum(dim=1) / (2 * std**2)


@dataclass
class VAEConfig:
    latent_dim: int = 20  # code size, the PyTorch examples' MNIST VAE (paper: 2 to 200)
    decoder: Literal["bernoulli", "gaussian"] = "bernoulli"  # p(x|z): paper's MNIST / Frey Face
    decoder_std: float = 0.1  # sigma of the Gaussian decoder in model space (paper learns it)
    conditional: bool = False  # conditional VAE (Sohn et al. 2015): encoder and decoder see y
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "shared"  # image networks: shared or a name
    encoder_norm: Norm = "batch"  # normalisation of the conv encoder (images only)
    lr: float = 1e-3  # Adam, the PyTorch examples' VAE (the paper: Adagrad)
    betas: tuple[float, float] = (0.9, 0.999)  # Adam's defaults

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "decoder_std", "lr")


@MODELS.register("vae", summary="variational auto-encoder (Kingma & Welling 2014)")
class VAE(GenerativeModel):
    Config = VAEConfig

    def __init__(self, config: VAEConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        c = config
        if c.decoder == "bernoulli" and not data.is_pixels:
            raise UserError(
                "a Bernoulli decoder needs pixels in [0, 1]; on points use model.decoder=gaussian"
            )
        self.latent_dim = c.latent_dim
        # mu and log sigma^2 side by side; a conditional encoder also reads the label planes.
        self.encoder = build_encoder(
            with_label_inputs(data, self.num_conditions),
            2 * c.latent_dim,
            c.width,
            c.encoder_norm,
            self.architecture,
        )
        self.generator = build_generator(
            data, c.latent_dim + self.num_conditions, c.width, self.architecture
        )
        parameters = [*self.encoder.parameters(), *self.generator.parameters()]
        self.optimizers = {"autoencoder": torch.optim.Adam(parameters, lr=c.lr, betas=c.betas)}

    def posterior(self, x: Tensor, labels: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(mu, log sigma^2)`` of ``q(z | x)`` (and ``y`` when conditional)."""
        mu, log_variance = self.encoder(self.with_labels(x, labels)).chunk(2, dim=1)
        return mu, log_variance.clamp(-30.0, 20.0)  # exp() stays finite

    def latent_codes(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """The posterior means ``mu(x)``: the code space ``swgen explore`` draws."""
        return self.posterior(x, labels)[0]

    def negative_log_likelihood(self, decoded: Tensor, x: Tensor) -> Tensor:
        if self.config.decoder == "bernoulli":
            return bernoulli_nll((decoded + 1) / 2, (x + 1) / 2)
        return gaussian_nll(decoded, x, self.config.decoder_std)

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        x, labels = batch.x, batch.labels
        mu, log_variance = self.posterior(x, labels)
        eps = torch.randn_like(mu)
        z = mu + (0.5 * log_variance).exp() * eps  # the reparameterisation trick
        decoded = self.generator(self.condition(z, labels))
        reconstruction = self.negative_log_likelihood(decoded, x).mean()
        kl = gaussian_kl(mu, log_variance).mean()
        loss = reconstruction + kl
        self.optimize(loss, self.optimizers["autoencoder"])
        logs = {"loss_vae": loss, "reconstruction": reconstruction, "kl": kl}
        return {name: value.detach() for name, value in logs.items()}
