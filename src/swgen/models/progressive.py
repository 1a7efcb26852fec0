"""Progressive growing (Karras et al., ICLR 2018): ``pg-wgan`` and ``pg-swgan`` for images.

Both networks start at 4 x 4 and double up to ``data.image_size``; each new level is faded in
over a transition phase (alpha 0 -> 1, for both networks and for the real images, downsampled to
the current level and blended the same way) and then stabilised. The schedule counts images shown
to the critic, as PGGAN's kimg::

    level 0 stabilise | level 1 transition | level 1 stabilise | level 2 transition | ...

One ``train_step`` is one critic update then one generator update, on a minibatch whose size
depends on the level (``minibatch``, one entry per level from 4 px, the last repeating). The
phase is model state: the buffer ``images_shown`` is saved in checkpoints, so ``--resume``
continues mid-phase; the engine only asks :meth:`batch_size` how many rows to bring. Adam's
moments are reset whenever the level or the fading state changes (PGGAN's
``reset_opt_for_new_lod``). ``generate`` returns samples at the current level upsampled (nearest)
to the data size, and ``real_view`` gives real data as the model currently sees it, so grids and
metrics compare like with like at the current resolution.

* ``pg-wgan``: PGGAN's WGAN-GP, critic ``D(G(z)) - D(x) + 10 (||grad D(x_hat)|| - 1)^2
  + 0.001 D(x)^2`` (the drift term keeps D(x) near 0), generator ``-D(G(z))``.
* ``pg-swgan``: the SWGAN paper's progressive critic (official ``progressive_training`` code):
  the critic's last layer gives 128 features, one dual SWD block (m = 1, 128 x 128) maps them to
  ``R``; critic ``mean R(x) - mean R(G(z)) + lambda1 ||grad R(x_hat)||^2 + lambda2
  mean(F'(t) - k)^2`` with lambda1 = 50, lambda2 = 10, k = 0.01, no drift term; generator
  ``mean R(G(z))`` (low on real, as in ``swgan``).

Defaults are PGGAN's (latent 512, fmap_base 8192, fmap_max 512, 600 kimg per phase, Adam 1e-3
betas (0, 0.99) eps 1e-8) with the SWGAN code's minibatch by resolution
{4: 32, 8: 32, 16: 16, 32: 16, 64: 8, 128: 8, 256: 4}; ``swgen/configs/pg-*/`` holds CPU presets.
Departures from the official code, on purpose:

* the gradient penalty of ``pg-swgan`` is ``||grad R(x_hat)||^2`` (the code multiplies the
  gradient by ``(1 - u)``) and the slope penalty uses the true derivative, as in ``swgan``;
* the dual block's projection stays orthonormal through torch's parametrisation (no QR retraction);
* PGGAN repeats each minibatch 4 times (``minibatch_repeats``); swgen draws a fresh one per step;
* the generator's EMA is the engine's (``train.ema_decay``, 0.999 like PGGAN's Gs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel, requires_grad
from swgen.models.gan import check_positive
from swgen.models.penalties import gradient_penalty, interpolate, slope_penalty
from swgen.nn.progressive import (
    ProgressiveCritic,
    ProgressiveGenerator,
    Size,
    feature_maps,
    resize_to,
)
from swgen.registry import MODELS
from swgen.sliced import DualSWDBlock

SWGAN_MINIBATCH = (32, 32, 16, 16, 8, 8, 4)  # official SWGAN code, 4 px ... 256 px


def schedule(images: int, levels: int, stabilise: int, transition: int) -> tuple[int, float]:
    """``(level, alpha)`` after ``images`` images shown; PGGAN's ``TrainingSchedule`` lod.

    Phase ``p`` lasts ``stabilise + transition`` images: level ``p`` is stabilised, then level
    ``p + 1`` fades in with ``alpha = (images into the transition) / transition``. After the last
    level is reached it stays, with ``alpha = 1``. (PGGAN's ``lod`` is ``levels - 1 - level +
    (1 - alpha)``.)
    """
    last = levels - 1
    phase, within = divmod(int(images), stabilise + transition)
    if phase >= last:
        return last, 1.0
    if within < stabilise:
        return phase, 1.0
    return phase + 1, (within - stabilise) / transition


@dataclass
class ProgressiveConfig:
    latent_dim: int = 512  # PGGAN (the SWGAN 3D code uses 128)
    fmap_base: int = 8192  # PGGAN: nf(stage) = min(fmap_base / 2^stage, fmap_max)
    fmap_max: int = 512  # PGGAN
    stabilise_kimg: float = 600.0  # PGGAN code lod_training_kimg (the paper: 800)
    transition_kimg: float = 600.0  # PGGAN code lod_transition_kimg (the paper: 800)
    minibatch: tuple[int, ...] = SWGAN_MINIBATCH  # per level from 4 px; the last one repeats
    mbstd_group: int = 4  # PGGAN minibatch stddev group size (1 turns it off)
    lr: float = 1e-3  # PGGAN and the SWGAN code (1.5e-3 at 128 px and up)
    betas: tuple[float, float] = (0.0, 0.99)  # PGGAN
    eps: float = 1e-8  # Adam epsilon, PGGAN
    reset_optimizer: bool = True  # PGGAN reset_opt_for_new_lod
    gp_weight: float = 10.0  # PGGAN wgan_lambda
    drift: float = 0.001  # PGGAN wgan_epsilon

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "fmap_base", "fmap_max", "lr", "stabilise_kimg")
        if self.transition_kimg < 0:
            raise ValueError(f"transition_kimg must be >= 0, got {self.transition_kimg}")
        if not self.minibatch or min(self.minibatch) < 1:
            raise ValueError(f"minibatch must list positive sizes, got {self.minibatch}")


@dataclass
class ProgressiveSWGANConfig(ProgressiveConfig):
    code_dim: int = 128  # features of the critic's last layer = size of the dual block, SWGAN code
    negative_slope: float = 0.2  # F_i = LeakyReLU_0.2(scale * t + offset), SWGAN code
    lambda1: float = 50.0  # gradient penalty, SWGAN code: 10 * 5
    lambda2: float = 10.0  # slope penalty, SWGAN code: 10 * 1
    k: float = 0.01  # target slope of each F_i, SWGAN code (progressive version)
    drift: float = 0.0  # the SWGAN code has no drift term


def is_power_of_two(n: int) -> bool:
    return n >= 4 and n & (n - 1) == 0


class ProgressiveGAN(GenerativeModel):
    """The shared machinery: schedule state, growing networks, the real-data fade, one step."""

    ema_modules = ("generator",)
    critic_features = 1

    def __init__(self, config: ProgressiveConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        self.latent_dim = config.latent_dim
        self.sizes = self.level_sizes(data)
        widths = [
            feature_maps(i, config.fmap_base, config.fmap_max) for i, _ in enumerate(self.sizes)
        ]
        channels = data.shape[0]
        self.generator = ProgressiveGenerator(config.latent_dim, channels, self.sizes, widths)
        self.critic = ProgressiveCritic(
            channels, self.sizes, widths, self.critic_features, config.mbstd_group
        )
        self.build_head()
        # The phase, saved with the weights: images shown to the critic, and the (level, fading)
        # stage of the previous step (-1 before the first), to reset Adam when it changes.
        self.register_buffer("images_shown", torch.zeros((), dtype=torch.long))
        self.register_buffer("last_stage", torch.full((), -1, dtype=torch.long))
        self.optimizers = {
            "generator": self.make_optimizer(self.generator.parameters()),
            "critic": self.make_optimizer(self.critic_parameters()),
        }

    # --- what the variants change ------------------------------------------------------------
    def level_sizes(self, data: DataInfo) -> list[Size]:
        """Sample size at each level: 4 x 4, 8 x 8, ... up to the image size."""
        if data.kind != "images":
            raise UserError(
                f"{self.name()} trains on images but the data are {data.kind}; "
                f"use {self.name()}-3d for video or choose an image dataset"
            )
        channels, height, width = data.shape
        if height != width or not is_power_of_two(width):
            raise UserError(
                f"{self.name()} grows from 4 px by doubling, so data.image_size must be a power "
                f"of two (8, 16, 32, 64, ...), got {height}x{width}"
            )
        return [(4 * 2**i, 4 * 2**i) for i in range(int(width).bit_length() - 2)]

    def build_head(self) -> None:
        """Extra critic parts (the dual block of pg-swgan)."""

    def critic_parameters(self) -> list[nn.Parameter]:
        return list(self.critic.parameters())

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """PGGAN's WGAN-GP with drift: ``D(G(z)) - D(x) + lambda GP + epsilon D(x)^2``."""
        c = self.config
        score_real = self.score(real)
        wasserstein = score_real.mean() - self.score(fake).mean()
        penalty, _ = gradient_penalty(self.score, real, fake, target=1.0)
        drift = score_real.square().mean()
        loss = -wasserstein + c.gp_weight * penalty + c.drift * drift
        logs = {"wasserstein": wasserstein, "gradient_penalty": penalty, "drift": drift}
        return loss, {"loss_critic": loss, **logs}

    def generator_loss(self, fake: Tensor) -> Tensor:
        return -self.score(fake).mean()

    def score(self, x: Tensor) -> Tensor:
        """The critic at the current level and fade, one score per sample."""
        level, alpha = self.phase()
        return self.critic(x, level, alpha).squeeze(1)

    @classmethod
    def name(cls) -> str:
        return "pg-wgan"

    # --- the phase -----------------------------------------------------------------------------
    def phase(self) -> tuple[int, float]:
        """``(level, alpha)`` of the current step, from the images shown so far."""
        c = self.config
        stabilise = max(1, round(c.stabilise_kimg * 1000))
        transition = round(c.transition_kimg * 1000)
        if transition == 0:  # no fade: each level starts at alpha = 1
            level, _ = schedule(int(self.images_shown), len(self.sizes), stabilise, 1)
            return level, 1.0
        return schedule(int(self.images_shown), len(self.sizes), stabilise, transition)

    def batch_size(self, configured: int) -> int:
        """Minibatch of the current level (the engine's ``train.batch_size`` is not used)."""
        level, _ = self.phase()
        sizes = self.config.minibatch
        return sizes[min(level, len(sizes) - 1)]

    def stage(self) -> dict[str, Any]:
        level, alpha = self.phase()
        size = self.sizes[level]
        return {
            "level": level,
            "resolution": "x".join(str(s) for s in size),
            "alpha": round(alpha, 6),
            "images_shown": int(self.images_shown),
            "grown": level == len(self.sizes) - 1 and alpha == 1.0,
        }

    def real_at_level(self, real: Tensor) -> Tensor:
        """Real samples at the current level, faded like the generator's output.

        Downsampled (box average) to the level's size; while the level fades in, blended with the
        level below upsampled back: ``fade_in(up(down(x)), x, alpha)`` (PGGAN's reals lerp).
        """
        level, alpha = self.phase()
        x = resize_to(real, self.sizes[level])
        if level > 0 and alpha < 1.0:
            low = resize_to(resize_to(x, self.sizes[level - 1]), self.sizes[level])
            x = torch.lerp(low, x, alpha)
        return x

    def real_view(self, real: Tensor) -> Tensor:
        """Real data as the model currently learns it, at the data's full size."""
        return resize_to(self.real_at_level(real), tuple(self.data.shape[1:]))

    def generate(self, z: Tensor) -> Tensor:
        level, alpha = self.phase()
        return resize_to(self.generator(z, level, alpha), tuple(self.data.shape[1:]))

    def make_optimizer(self, parameters: Any) -> torch.optim.Optimizer:
        c = self.config
        return torch.optim.Adam(parameters, lr=c.lr, betas=c.betas, eps=c.eps)

    # --- one step ------------------------------------------------------------------------------
    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        real = batch.x
        level, alpha = self.phase()
        stage = 2 * level + (alpha < 1.0)
        if self.config.reset_optimizer and int(self.last_stage) not in (-1, stage):
            for optimizer in self.optimizers.values():
                optimizer.state.clear()  # PGGAN: fresh Adam moments for each new lod
        self.last_stage.fill_(stage)

        real = self.real_at_level(real)
        n = len(real)
        requires_grad(self.critic_modules(), True)
        with torch.no_grad():
            fake = self.generator(self.noise(n, real), level, alpha)
        loss_critic, logs = self.critic_loss(real, fake)
        self.optimize(loss_critic, self.optimizers["critic"])

        requires_grad(self.critic_modules(), False)
        fake = self.generator(self.noise(n, real), level, alpha)
        loss_generator = self.generator_loss(fake)
        self.optimize(loss_generator, self.optimizers["generator"])
        requires_grad(self.critic_modules(), True)

        # Images shown count the global minibatch, whatever the number of processes.
        self.images_shown += self.batch_size(n)
        logs = {name: value.detach() for name, value in logs.items()}
        device = loss_generator.device
        extra = {
            "level": torch.tensor(float(level), device=device),
            "alpha": torch.tensor(float(alpha), device=device),
        }
        return {**logs, "loss_generator": loss_generator.detach(), **extra}

    def critic_modules(self) -> list[nn.Module]:
        return [self.critic]

    def noise(self, n: int, like: Tensor) -> Tensor:
        return torch.randn(n, self.latent_dim, device=like.device)


@MODELS.register(
    "pg-wgan", summary="progressive growing with WGAN-GP and drift (Karras et al. 2018)"
)
class ProgressiveWGAN(ProgressiveGAN):
    """PGGAN with WGAN-GP and the drift term (Karras et al. 2018, Sec. 4 and Appendix A.1)."""

    Config = ProgressiveConfig


@MODELS.register(
    "pg-swgan", summary="progressive growing with SWGAN's dual SWD block (Wu et al. 2019)"
)
class ProgressiveSWGAN(ProgressiveGAN):
    """PG-SWGAN: the progressive critic ends in one dual SWD block (Wu et al. 2019, Sec. 5)."""

    Config = ProgressiveSWGANConfig

    @property
    def critic_features(self) -> int:  # type: ignore[override]
        return self.config.code_dim

    @classmethod
    def name(cls) -> str:
        return "pg-swgan"

    def build_head(self) -> None:
        self.dual = DualSWDBlock(self.config.code_dim, self.config.negative_slope)

    def critic_parameters(self) -> list[nn.Parameter]:
        return [*self.critic.parameters(), *self.dual.parameters()]

    def critic_modules(self) -> list[nn.Module]:
        return [self.critic, self.dual]

    def codes(self, x: Tensor) -> Tensor:
        level, alpha = self.phase()
        return self.critic(x, level, alpha)

    def score(self, x: Tensor) -> Tensor:
        """``R(x) = mean_i F_i(theta_i^T E(x))``."""
        return self.dual(self.codes(x)).mean(dim=1)

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        c = self.config
        codes_real, codes_fake = self.codes(real), self.codes(fake)
        score_real = self.dual(codes_real).mean(dim=1)
        gap = self.dual(codes_fake).mean(dim=1).mean() - score_real.mean()
        grad_penalty, _ = gradient_penalty(self.score, real, fake, target=0.0)
        slopes = slope_penalty([self.dual], interpolate(codes_real, codes_fake), c.k)
        loss = -gap + c.lambda1 * grad_penalty + c.lambda2 * slopes
        if c.drift:
            loss = loss + c.drift * score_real.square().mean()
        logs = {"wasserstein": gap, "gradient_penalty": grad_penalty, "slope_penalty": slopes}
        return loss, {"loss_critic": loss, **logs}

    def generator_loss(self, fake: Tensor) -> Tensor:
        return self.score(fake).mean()
