"""CT-GAN: WGAN-GP plus the consistency term (Wei, Gong, Liu, Lu, Wang, ICLR 2018).

The critic has dropout in its hidden layers, so two passes of the same real batch, ``x'`` and
``x''``, are two perturbed critics. The consistency term asks them to agree, on the score ``D``
and on the penultimate features ``D_``:

    CT = E_x max(0, d(D(x'), D(x'')) + 0.1 d(D_(x'), D_(x'')) - M')

with ``d`` the squared difference (for ``D_``, averaged over the features), as in the official
code. The critic then minimises

    E D(G(z)) - E D(x) + lambda_GP E (||grad D(x_hat)||_2 - 1)^2 + lambda_CT CT,

and the generator ``-E D(G(z))`` (dropout is active in every training pass, as in the code).
Defaults are the paper's CIFAR-10 setting and its code (``CT_gan_cifar.py``): lambda_GP = 10,
lambda_CT = 2, M' = 0, dropout 0.5 after every hidden layer of the critic and no normalisation
in it, n_critic = 5, Adam lr 1e-4, betas (0.5, 0.9). On images the networks are the official
code's by default (``architecture="paper"``: for grey images the MNIST critic of
``CT_gan_mnist.py``, 5x5 convs with 64/128/256 channels, and its generator; the WGAN-GP ResNet
for colour); ``architecture="shared"`` puts CT-GAN on swgen's shared networks. The margin is
compared with the unweighted distance, as in the paper (the code compares it with
``lambda_CT * d``; the same at M' = 0).

:class:`FeatureCritic` (a swgen encoder split into features ``D_`` and a linear head, with
optional dropout) is also SWG's discriminator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from swgen.models.diff_augment import DiffAugmentSettings
from swgen.models.gan import Norm, check_positive
from swgen.models.latent_prior import LatentPriorSettings
from swgen.models.penalties import gradient_penalty
from swgen.models.top_k import TopKSettings
from swgen.models.wgan_gp import WGANGP
from swgen.nn import build_encoder
from swgen.registry import MODELS

ACTIVATIONS = (nn.ReLU, nn.LeakyReLU)


class Dropout(nn.Dropout):
    """``nn.Dropout`` with a CPU mask from uniforms: ``x [u >= p] / (1 - p)``, ``u ~ U[0, 1)``.

    The same distribution as torch's Bernoulli mask (each unit kept with probability ``1 - p``,
    scaled by ``1 / (1 - p)``), drawn with ``rand``: on the CPU torch's ``bernoulli_`` drew a
    mask about three times as slowly (BENCHMARKS.md, "Speed"), and with dropout after every
    critic layer the masks were a third of a CT-GAN step. On other devices, and in evaluation
    mode or in place, it is ``nn.Dropout``.
    """

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0 or self.inplace or x.device.type != "cpu":
            return super().forward(x)
        keep = torch.rand_like(x).ge_(self.p)
        return x * keep.mul_(1 / (1 - self.p))  # ge_ kept the dtype: 0.0 or 1.0


class FeatureCritic(nn.Module):
    """``D(x) = head(D_(x))``: a swgen encoder to one score, split before its last linear layer.

    ``encoder`` is what :func:`swgen.nn.build_encoder` returns (an ``MLP`` for points, a
    ``ConvEncoder`` for images): a sequence of layers ending in a ``Linear``. Its layers are
    reused as they are (same initialisation); with ``dropout > 0`` a ``Dropout`` follows every
    hidden activation (``placement="every"``, the official code's), so the features ``D_`` (the
    input of the last layer) are dropped out too, or only the last one (``placement="last"``:
    dropout on ``D_`` alone, the lighter perturbation).
    """

    PLACEMENTS = ("every", "last")

    def __init__(self, encoder: nn.Module, dropout: float = 0.0, placement: str = "every") -> None:
        super().__init__()
        if placement not in self.PLACEMENTS:
            raise ValueError(f"unknown dropout placement {placement!r}; use 'every' or 'last'")
        layers = encoder.main if hasattr(encoder, "main") else encoder
        if not isinstance(layers, nn.Sequential) or not isinstance(layers[-1], nn.Linear):
            raise TypeError("swgen: FeatureCritic needs a sequence of layers ending in Linear")
        hidden = list(layers)[:-1]
        activations = [i for i, layer in enumerate(hidden) if isinstance(layer, ACTIVATIONS)]
        dropped = set(activations if placement == "every" else activations[-1:])
        body: list[nn.Module] = []
        for index, layer in enumerate(hidden):
            body.append(layer)
            if dropout > 0 and index in dropped:
                body.append(Dropout(dropout))
        self.features = nn.Sequential(*body)
        self.head = layers[-1]

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def consistency_term(
    scores: tuple[Tensor, Tensor],
    features: tuple[Tensor, Tensor],
    margin: float = 0.0,
    feature_weight: float = 0.1,
) -> Tensor:
    """``mean_x max(0, (D(x') - D(x''))^2 + 0.1 mean_k (D_k(x') - D_k(x''))^2 - M')``.

    ``scores`` are the two passes' ``(n, 1)`` scores, ``features`` their ``(n, k)`` penultimate
    features; the term is Eq. 4 of Wei et al. with the official code's squared distances.
    """
    score_gap = (scores[0] - scores[1]).square().flatten(start_dim=1).sum(dim=1)
    feature_gap = (features[0] - features[1]).square().flatten(start_dim=1).mean(dim=1)
    return (score_gap + feature_weight * feature_gap - margin).clamp_min(0).mean()


@dataclass
class CTGANConfig(DiffAugmentSettings, TopKSettings, LatentPriorSettings):
    latent_dim: int = 128  # noise size, official code
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "paper"  # official MNIST critic (64/128/256, 5x5) for grey images
    critic_norm: Norm = "none"  # official code: no normalisation in the CT critic
    conditional: bool = False  # condition G and D on the data's class labels (cGAN, concatenated)
    dropout: float = 0.5  # official code: keep_prob 0.5 after every hidden critic layer
    dropout_placement: Literal["every", "last"] = "every"  # official code: after every layer
    n_critic: int = 5  # official code (as WGAN-GP)
    gp_weight: float = 10.0  # lambda_GP, paper and official code
    ct_weight: float = 2.0  # lambda_CT, paper (CIFAR-10) and official code
    ct_margin: float = 0.0  # M', paper (CIFAR-10) and official code
    ct_feature_weight: float = 0.1  # weight of the D_ distance, paper Eq. 4
    lr: float = 1e-4  # Adam, official code
    betas: tuple[float, float] = (0.5, 0.9)  # Adam, official code

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "n_critic", "lr")
        self.check_latent_prior(self.latent_dim)
        self.check_top_k()
        self.check_diffaugment()
        if self.critic_norm == "batch":
            raise ValueError("critic_norm 'batch' breaks the per-sample gradient penalty")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


@MODELS.register("ctgan", summary="WGAN-GP plus the consistency term (Wei et al. 2018)")
class CTGAN(WGANGP):
    Config = CTGANConfig

    def build_critic(self) -> nn.Module:
        c = self.config
        encoder = build_encoder(self.critic_data, 1, c.width, c.critic_norm, self.architecture)
        return FeatureCritic(encoder, c.dropout, c.dropout_placement)

    def consistency(self, real: Tensor) -> tuple[Tensor, Tensor]:
        """``(CT, D(x'))``: the consistency term over two passes of ``real`` and the first
        pass's scores (reused for the Wasserstein estimate, as the official code does)."""
        c = self.config
        features = (self.critic.features(real), self.critic.features(real))
        scores = (self.critic.head(features[0]), self.critic.head(features[1]))
        term = consistency_term(scores, features, c.ct_margin, c.ct_feature_weight)
        return term, scores[0]

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        c = self.config
        consistency, scores_real = self.consistency(real)
        wasserstein = scores_real.mean() - self.critic(fake).mean()
        penalty, _ = gradient_penalty(self.critic, real, fake, target=1.0)
        loss = -wasserstein + c.gp_weight * penalty + c.ct_weight * consistency
        logs = {"wasserstein": wasserstein, "gradient_penalty": penalty, "consistency": consistency}
        return loss, {"loss_critic": loss, **logs}
