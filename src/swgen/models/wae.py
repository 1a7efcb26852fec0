"""Wasserstein auto-encoder (Tolstikhin, Bousquet, Gelly, Schoelkopf, ICLR 2018).

A deterministic encoder ``Q`` maps data to codes, the decoder ``G`` (``self.generator``) maps
codes back; both descend the penalised optimal-transport objective

    c(x, G(Q(x))) + lambda * D_Z(Q_Z, P_Z),    c(x, y) = ||x - y||_2^2,

with ``P_Z = N(0, sigma^2 I)``. swgen computes the cost as the official code's ``l2sq``: the
squared error summed over pixels (coordinates), averaged over the batch, times 0.05
(``reconstruction_weight``; the paper writes the plain ``||x - y||^2``). Two choices of ``D_Z``:

* ``penalty="mmd"`` (WAE-MMD, Algorithm 2): the unbiased MMD estimate with the inverse
  multiquadratic kernel summed over seven scales, :func:`imq_mmd`;
* ``penalty="gan"`` (WAE-GAN, Algorithm 1): an MLP adversary ``D`` in the latent space. Each step
  first updates ``D`` to ascend ``lambda/n sum log D(z_i) + log(1 - D(Q(x_i)))`` (binary
  cross-entropy, prior samples -> 1, codes -> 0), then the auto-encoder descends the cost plus
  ``-lambda/n sum log D(Q(x_i))`` (the non-saturating form of the official code).

Defaults are the paper's MNIST setting, also the official code's ``config_mnist``: d_z = 8,
sigma_z^2 = 1, lambda = 10, Adam lr 1e-3 with beta1 0.5 (adversary lr 5e-4), adversary 4 hidden
layers of 512 units. (The paper's CelebA setting: d_z = 64, sigma_z^2 = 2, lambda = 100 for MMD
and 1 for GAN, lr 3e-4 / adversary 1e-3.) Departures: no encoder pre-training; swgen's shared
encoder and generator networks (``architecture=paper``: config_mnist's); one constant rate by
default, as for every model. config_mnist's ``manual`` schedule (100 epochs; the rates halved at
epoch 30 and a tenth of the first from epoch 50) is the engine's ``train.lr_schedule=step
train.lr_milestones=[0.3,0.5] train.lr_factors=[0.5,0.1]``: at a constant 1e-3 the paper
networks' samples swing from epoch to epoch (digits, 10,000 steps: 500-sample FID between 73 and
384 over the last half), which the decay is there to settle. The encoder sees its input with a
little noise during training (``input_noise``), as the official code's default
``e_noise = "add_noise"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.models.base import GenerativeModel, requires_grad
from swgen.models.gan import Norm, check_positive
from swgen.nn import MLP, build_encoder, build_generator
from swgen.registry import MODELS

IMQ_SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Multiples of the base constant ``C = 2 d_z sigma^2`` summed by the official WAE code."""


def _squared_distances(x: Tensor, y: Tensor) -> Tensor:
    """``||x_i - y_j||^2`` as an ``(n, m)`` matrix (clamped at 0 against rounding)."""
    norms_x = x.square().sum(dim=1, keepdim=True)
    norms_y = y.square().sum(dim=1, keepdim=True)
    return (norms_x + norms_y.T - 2 * x @ y.T).clamp_min(0)


def imq_mmd(
    codes: Tensor, prior: Tensor, variance: float = 1.0, scales: tuple[float, ...] = IMQ_SCALES
) -> Tensor:
    r"""Unbiased MMD^2 between codes and prior samples with inverse multiquadratic kernels.

    .. math::
        \mathrm{MMD}^2 = \sum_{s} \Big[ \frac{1}{n(n-1)} \sum_{i \ne j} k_s(q_i, q_j)
            + \frac{1}{m(m-1)} \sum_{i \ne j} k_s(p_i, p_j)
            - \frac{2}{nm} \sum_{i, j} k_s(q_i, p_j) \Big],
        \qquad k_s(x, y) = \frac{s C}{s C + \|x - y\|^2}, \quad C = 2 d_z \sigma^2,

    the estimator of Tolstikhin et al. (Algorithm 2) with the kernel of their Section 4, summed
    over the scales ``s`` of the official code (``IMQ_SCALES``). Its expectation is 0 when codes
    and prior samples come from the same distribution (it can be slightly negative).

    Args:
        codes: ``(n, d_z)`` samples of Q_Z, ``n >= 2``.
        prior: ``(m, d_z)`` samples of P_Z, ``m >= 2``.
        variance: sigma^2 of the prior N(0, sigma^2 I), which sets ``C``.
        scales: multiples of ``C``.
    """
    n, m = codes.shape[0], prior.shape[0]
    if n < 2 or m < 2:
        raise ValueError(f"swgen: imq_mmd needs at least 2 samples of each, got {n} and {m}")
    base = 2 * codes.shape[1] * variance
    within_codes = _squared_distances(codes, codes)
    within_prior = _squared_distances(prior, prior)
    across = _squared_distances(codes, prior)
    off_codes = 1 - torch.eye(n, device=codes.device, dtype=codes.dtype)
    off_prior = 1 - torch.eye(m, device=codes.device, dtype=codes.dtype)
    total = codes.new_zeros(())
    for scale in scales:
        c = base * scale
        total = total + (c / (c + within_codes) * off_codes).sum() / (n * (n - 1))
        total = total + (c / (c + within_prior) * off_prior).sum() / (m * (m - 1))
        total = total - 2 * (c / (c + across)).sum() / (n * m)
    return total


@dataclass
class WAEConfig:
    latent_dim: int = 8  # d_z, paper's MNIST setting (CelebA: 64)
    penalty: Literal["mmd", "gan"] = "mmd"  # D_Z: WAE-MMD (Algorithm 2) or WAE-GAN (Algorithm 1)
    wae_lambda: float = 10.0  # lambda, paper's MNIST setting and official config_mnist
    prior_variance: float = 1.0  # sigma_z^2 of P_Z = N(0, sigma^2 I), paper's MNIST setting
    reconstruction_weight: float = 0.05  # official code's l2sq cost: 0.05 * sum of squares
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    encoder_norm: Norm = "batch"  # official code: batch norm in the encoder (images only)
    input_noise: float = 0.01  # official e_noise="add_noise": N(0, 0.01^2), truncated at 2 std
    lr: float = 1e-3  # Adam, encoder and decoder, paper's MNIST setting / config_mnist
    betas: tuple[float, float] = (0.5, 0.999)  # Adam, beta1 0.5 (official code), beta2 default
    adversary_lr: float = 5e-4  # Adam for the WAE-GAN adversary, config_mnist lr_adv
    adversary_width: int = 512  # WAE-GAN adversary hidden units, paper's MNIST/CelebA adversary
    adversary_depth: int = 4  # WAE-GAN adversary hidden layers, paper / config_mnist

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "prior_variance", "lr", "adversary_lr")
        check_positive(self, "adversary_width", "adversary_depth")
        if self.input_noise < 0:
            raise ValueError(f"input_noise must be >= 0, got {self.input_noise}")
        if self.wae_lambda < 0 or self.reconstruction_weight <= 0:
            raise ValueError("wae_lambda must be >= 0 and reconstruction_weight positive")


@MODELS.register(
    "wae", summary="Wasserstein auto-encoder, WAE-MMD and WAE-GAN (Tolstikhin et al. 2018)"
)
class WAE(GenerativeModel):
    Config = WAEConfig
    paper_architecture = "wae-dcgan"  # official code: config_mnist's DCGAN networks

    def __init__(self, config: WAEConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        c = config
        self.latent_dim = c.latent_dim
        self.encoder = build_encoder(data, c.latent_dim, c.width, c.encoder_norm, self.architecture)
        self.generator = build_generator(
            data, c.latent_dim, c.width, self.architecture
        )  # the decoder G
        autoencoder = [*self.encoder.parameters(), *self.generator.parameters()]
        self.optimizers = {"autoencoder": torch.optim.Adam(autoencoder, lr=c.lr, betas=c.betas)}
        if c.penalty == "gan":
            self.adversary = MLP(c.latent_dim, 1, width=c.adversary_width, depth=c.adversary_depth)
            self.optimizers["adversary"] = torch.optim.Adam(
                self.adversary.parameters(), lr=c.adversary_lr, betas=c.betas
            )

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, truncation: float | None = None
    ) -> Tensor:
        """Codes of the prior ``N(0, sigma_z^2 I)`` (truncated at ``truncation`` sigma_z)."""
        z = super().sample_latent(n, generator, truncation)
        return z * math.sqrt(self.config.prior_variance)

    def add_input_noise(self, real: Tensor) -> Tensor:
        """The official code's ``e_noise = "add_noise"`` encoder (an implicit random encoder):
        during training the encoder sees ``x + eps``, ``eps`` from ``N(0, input_noise^2)``
        truncated at two standard deviations (``tf.truncated_normal``); the cost still compares
        the reconstruction with the clean ``x``. ``input_noise = 0`` is the deterministic
        encoder of the paper."""
        if self.config.input_noise == 0:
            return real
        noise = torch.empty_like(real)
        nn.init.trunc_normal_(noise, 0.0, 1.0, -2.0, 2.0)
        return real + self.config.input_noise * noise

    def reconstruction_cost(self, real: Tensor, reconstructed: Tensor) -> Tensor:
        """``0.05 * mean_i ||x_i - G(Q(x_i))||^2`` (sum over pixels, mean over the batch)."""
        squared = (reconstructed - real).square().flatten(start_dim=1).sum(dim=1)
        return self.config.reconstruction_weight * squared.mean()

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        real = batch.x
        c = self.config
        prior = torch.randn(real.shape[0], self.latent_dim, device=real.device)
        prior = prior * math.sqrt(c.prior_variance)
        codes = self.encoder(self.add_input_noise(real))
        logs: dict[str, Tensor] = {}
        if c.penalty == "mmd":
            penalty = imq_mmd(codes, prior, c.prior_variance)
            logs["mmd"] = penalty
        else:
            # Algorithm 1: the adversary first, on the codes of this batch ...
            adversary_loss = c.wae_lambda * (
                F.softplus(-self.adversary(prior)).mean()
                + F.softplus(self.adversary(codes.detach())).mean()
            )
            self.optimize(adversary_loss, self.optimizers["adversary"])
            logs["loss_adversary"] = adversary_loss
            # ... then the auto-encoder against the updated adversary: -log D(Q(x)).
            requires_grad(self.adversary, False)
            penalty = F.softplus(-self.adversary(codes)).mean()
            logs["gan_penalty"] = penalty
        reconstruction = self.reconstruction_cost(real, self.generator(codes))
        loss = reconstruction + c.wae_lambda * penalty
        self.optimize(loss, self.optimizers["autoencoder"])
        if c.penalty == "gan":
            requires_grad(self.adversary, True)
        logs.update(loss_autoencoder=loss, reconstruction=reconstruction)
        return {name: value.detach() for name, value in logs.items()}
