"""StyleGAN (Karras, Laine, Aila; CVPR 2019): a style-based generator against ProGAN's critic.

The generator (:mod:`swgen.nn.stylegan`) maps ``z`` to ``w = f(z)`` through an 8-layer mapping
network (learning-rate multiplier 0.01), starts from a learned constant 4 x 4 input, and sets
each layer's style from ``w`` (AdaIN: noise, bias, leaky ReLU, instance norm, ``x (1 + y_s) +
y_b``; StyleGAN2's weight demodulation with ``style_form=demodulate``), with a per-pixel noise
input per layer whose per-channel scale starts at 0. One ``train_step`` (official
``training_loop.py`` and ``loss.py``, ``D_repeats = 1``):

1. critic: minimise ``E softplus(D(G(z))) + E softplus(-D(x)) + (gamma / 2) E ||grad_x D(x)||^2``
   (non-saturating logistic loss with R1 on real images, ``D_logistic_simplegp``, gamma = 10);
   with ``r1_every = k > 1`` the R1 term is its own update every ``k`` steps, weighted by ``k``,
   and the critic's Adam takes ``lr k / (k + 1)`` and ``beta^(k / (k + 1))`` (StyleGAN2's lazy
   regularisation);
2. generator: minimise ``E softplus(-D(G(z)))`` (``G_logistic_nonsaturating``);
3. ``w_avg <- beta w_avg + (1 - beta) mean_batch(w)`` (beta 0.995, a buffer), for truncation.

Every fake image of a step is drawn with style mixing: with probability 0.9 a second code
``z2`` is mapped and the layers from a crossover uniform in ``[1, layers)`` take ``w2``
(:func:`swgen.nn.stylegan.mix_styles`; one draw per batch, as the code).

The critic is ProGAN's (``D_basic``: equalised learning rate, minibatch standard deviation),
:class:`swgen.nn.progressive.ProgressiveCritic`; ``critic=swd`` puts SWGAN's dual-SWD critic in
its place, with SWGAN's Algorithm 4 loss and penalties (as ``cyclegan critic=swd``; R1 is then
off, SWGAN's gradient penalty does its work) and the generator minimising ``E D(G(z))``.
``loss`` swaps the logistic loss for another GAN loss by name (:mod:`swgen.models.gan_losses`).

``structure=progressive`` grows 4 px -> full size with PGGAN's schedule (the ``images_shown``
buffer, ``stabilise_kimg``/``transition_kimg``, ``minibatch`` per resolution, faded real images,
Adam reset per phase: as ``pg-wgan``); the default ``fixed`` trains every resolution from the
start (the code's ``structure='fixed'``), which suits swgen's small images.

Sampling: ``generate`` maps ``z`` (a code's first ``latent_dim`` entries) and, when
``swgen sample/eval --truncation PSI`` asked for it, truncates in W: ``w' = w_avg + psi (w -
w_avg)`` on the first ``truncation_layers`` layers. The prior is never cut; ``sample_codes``
appends ``psi`` to each code as one more entry (as a conditional model appends its class), so a
code says everything about its sample. ``style_space`` tells ``swgen explore --style-mix`` and
``swgen eval`` (perceptual path length, :mod:`swgen.metrics.path_length`) that the model has a W.

Defaults are the code's (latent and w 512, fmap_base 8192, fmap_max 512, Adam 1e-3 betas (0,
0.99) eps 1e-8, minibatch by resolution of one GPU); the generator's EMA is the engine's
(``train.ema_decay``; the code's half-life of 10k images is ``0.5^(batch / 10000)``, 0.9978 at
batch 32). Departures, on purpose: the code updates ``w_avg`` in every training pass of G (so
twice a step), swgen once, from the generator step's codes; the code repeats each minibatch 4
times, swgen draws a fresh one per step; the critic has no blur; lazy R1 is off by default (the
StyleGAN1 code's R1 runs every step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import torch
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models import gan_losses
from swgen.models.base import GenerativeModel, requires_grad
from swgen.models.gan import LossName, check_positive
from swgen.models.progressive import ProgressiveGAN, is_power_of_two
from swgen.models.swgan import SWGANConfig, SWGANCritic, sliced_critic_loss
from swgen.nn import build_encoder
from swgen.nn.progressive import ProgressiveCritic, Size, feature_maps, resize_to
from swgen.nn.stylegan import StyleGenerator, mix_styles, truncate_styles
from swgen.registry import MODELS

STYLEGAN_MINIBATCH = (128, 128, 128, 64, 32, 16, 8, 4)  # code, 1 GPU: 4 px ... 512 px


@dataclass
class StyleGANConfig:
    latent_dim: int = 512  # size of z and of w (the code's latent_size = dlatent_size)
    mapping_layers: int = 8  # dense layers of the mapping network, code
    mapping_lrmul: float = 0.01  # learning-rate multiplier of the mapping network, code
    fmap_base: int = 8192  # feature maps nf(stage) = min(fmap_base / 2^stage, fmap_max), code
    fmap_max: int = 512  # code
    style_form: Literal["adain", "demodulate"] = "adain"  # StyleGAN's AdaIN | StyleGAN2's demod
    blur: bool = True  # [1, 2, 1] blur after each upsampling conv of G, code
    mixing_prob: float = 0.9  # probability of style mixing per batch, code style_mixing_prob
    w_avg_beta: float = 0.995  # EMA of w kept for truncation, code dlatent_avg_beta
    truncation_layers: int = 8  # layers --truncation acts on (4 to 32 px), code truncation_cutoff
    critic: Literal["progan", "swd"] = "progan"  # ProGAN's D (code D_basic) | SWGAN's dual SWD
    loss: LossName = "bce"  # critic=progan: bce = non-saturating logistic (code), or another
    r1_gamma: float = 10.0  # R1 weight gamma on real images, code r1_gamma; 0 turns it off
    r1_every: int = 1  # R1 every k steps, weighted by k (StyleGAN2's lazy R1: 16); code: 1
    mbstd_group: int = 4  # minibatch stddev group size of the critic (1 turns it off), code
    code_dim: int = 128  # critic=swd: encoder features, each a dual SWD block's size, SWGAN code
    critic_width: int | None = None  # critic=swd: encoder channels (None: swgen's default)
    structure: Literal["fixed", "progressive"] = "fixed"  # grow 4 px -> full size, or not (code)
    stabilise_kimg: float = 600.0  # structure=progressive: kimg per stabilise phase, code
    transition_kimg: float = 600.0  # structure=progressive: kimg per fade-in phase, code
    minibatch: tuple[int, ...] = STYLEGAN_MINIBATCH  # structure=progressive: per level from 4 px
    reset_optimizer: bool = True  # structure=progressive: fresh Adam per phase, code
    lr: float = 1e-3  # Adam, both networks, code (raised from 128 px)
    betas: tuple[float, float] = (0.0, 0.99)  # Adam, code
    eps: float = 1e-8  # Adam epsilon, code

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "mapping_layers", "mapping_lrmul", "fmap_base")
        check_positive(self, "fmap_max", "truncation_layers", "r1_every", "lr", "stabilise_kimg")
        if not 0 <= self.mixing_prob <= 1:
            raise ValueError(f"mixing_prob must be in [0, 1], got {self.mixing_prob}")
        if not self.minibatch or min(self.minibatch) < 1:
            raise ValueError(f"minibatch must list positive sizes, got {self.minibatch}")


def r1_penalty(critic: Any, real: Tensor) -> Tensor:
    """R1 (Mescheder et al. 2018; the code's ``D_logistic_simplegp``): ``E ||grad_x D(x)||^2``
    at real samples, the squared norm of each sample's flattened gradient, averaged (the loss
    weighs it by ``gamma / 2``). The graph is kept, so the penalty trains the critic."""
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(real).sum(), real, create_graph=True)
    return grad.flatten(start_dim=1).square().sum(dim=1).mean()


@MODELS.register("stylegan", summary="style-based generator, ProGAN critic (Karras et al. 2019)")
class StyleGAN(GenerativeModel):
    Config = StyleGANConfig
    ema_modules = ("generator",)  # the code's Gs; w_avg, a buffer, is copied as it is
    # Has a W space (``map_latents``, ``synthesize``): explore --style-mix, eval's path length.
    style_space: ClassVar[bool] = True

    def __init__(self, config: StyleGANConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        if getattr(config, "conditional", False):
            raise UserError("stylegan is unconditional; drop model.conditional")
        self.latent_dim = config.latent_dim
        self.sizes = self.level_sizes(data)
        widths = [
            feature_maps(i, config.fmap_base, config.fmap_max) for i in range(len(self.sizes))
        ]
        channels = data.shape[0]
        self.generator = StyleGenerator(
            config.latent_dim, channels, widths, config.mapping_layers, config.mapping_lrmul,
            config.style_form, config.blur,
        )  # fmt: skip
        if config.critic == "swd":
            swgan = SWGANConfig()
            encoder = build_encoder(data, config.code_dim, config.critic_width, swgan.critic_norm)
            self.critic: nn.Module = SWGANCritic(
                encoder, config.code_dim, swgan.n_blocks, swgan.negative_slope
            )
        else:
            self.critic = ProgressiveCritic(channels, self.sizes, widths, 1, config.mbstd_group)
        # Progressive growing's phase, saved with the weights (as pg-wgan's).
        self.register_buffer("images_shown", torch.zeros((), dtype=torch.long))
        self.register_buffer("last_stage", torch.full((), -1, dtype=torch.long))
        # StyleGAN2's lazy regularisation keeps Adam's effective step per k critic updates.
        ratio = config.r1_every / (config.r1_every + 1) if config.r1_every > 1 else 1.0
        self.optimizers = {
            "generator": self.make_optimizer(self.generator.parameters()),
            "critic": self.make_optimizer(self.critic.parameters(), ratio),
        }

    def make_optimizer(self, parameters: Any, ratio: float = 1.0) -> torch.optim.Optimizer:
        c = self.config
        betas = (c.betas[0] ** ratio, c.betas[1] ** ratio)
        return torch.optim.Adam(parameters, lr=c.lr * ratio, betas=betas, eps=c.eps)

    def level_sizes(self, data: DataInfo) -> list[Size]:
        """4 x 4, 8 x 8, ... up to the image size (square, a power of two, as the code needs)."""
        if data.kind != "images":
            raise UserError(f"stylegan trains on images but the data are {data.kind}")
        _, height, width = data.shape
        if height != width or not is_power_of_two(width):
            raise UserError(
                "stylegan builds its images from 4 px by doubling, so data.image_size must be a "
                f"power of two (8, 16, 32, 64, ...), got {height}x{width}"
            )
        return [(4 * 2**i, 4 * 2**i) for i in range(int(width).bit_length() - 2)]

    # --- the phase (progressive growing; fixed: the last level from the start) ---------------
    # With structure=progressive the phase is pg-wgan's: ProgressiveGAN's methods, which read
    # only ``sizes``, ``images_shown``, ``data`` and the config keys this model shares with it.
    real_at_level = ProgressiveGAN.real_at_level
    real_view = ProgressiveGAN.real_view

    def phase(self) -> tuple[int, float]:
        """``(level, alpha)`` of the current step (PGGAN's schedule; fixed: the last level)."""
        if self.config.structure == "fixed":
            return len(self.sizes) - 1, 1.0
        return ProgressiveGAN.phase(self)  # type: ignore[arg-type]

    def batch_size(self, configured: int) -> int:
        if self.config.structure == "fixed":
            return configured
        return ProgressiveGAN.batch_size(self, configured)  # type: ignore[arg-type]

    def stage(self) -> dict[str, Any]:
        if self.config.structure == "fixed":
            return {}
        return ProgressiveGAN.stage(self)  # type: ignore[arg-type]

    # --- W space -------------------------------------------------------------------------------
    @property
    def num_style_layers(self) -> int:
        """Style layers the current level uses (two per resolution)."""
        return 2 * self.phase()[0] + 2

    def map_latents(self, z: Tensor) -> Tensor:
        """``w = f(z)``, (N, latent_dim) -> (N, latent_dim)."""
        return self.generator.mapping(z)

    def synthesize(self, ws: Tensor, noise: list[Tensor] | None = None) -> Tensor:
        """Images (model space, the data's size) from per-layer styles ``ws`` (N, layers, D),
        or one ``w`` (N, D) for every layer; ``noise``: one map per layer (drawn if ``None``)."""
        if ws.dim() == 2:
            ws = self.generator.broadcast(ws)
        level, alpha = self.phase()
        images = self.generator.synthesize(ws, level, alpha, noise)
        return resize_to(images, tuple(self.data.shape[1:]))

    def mix(self, destination: Tensor, source: Tensor, layers: range) -> Tensor:
        """Per-layer styles (N, layers, D): ``destination``'s ``w`` (N, D), with the ``layers``
        taken from ``source``'s (N, D), as the paper's Figure 3."""
        ws = self.generator.broadcast(destination).clone()
        ws[:, layers.start : layers.stop] = source.unsqueeze(1)
        return ws

    def noise_maps(self, n: int, generator: torch.Generator | None = None) -> list[Tensor]:
        """One N(0, 1) map per style layer of the current level, for ``synthesize``."""
        shapes = self.generator.synthesis.noise_shapes(self.phase()[0])
        noise = [torch.randn(n, 1, *shape, generator=generator) for shape in shapes]
        return [map_.to(self.device) for map_ in noise]

    def style_ranges(self) -> dict[str, range]:
        """The layers of coarse, middle and fine styles (paper Sec. 3.1: 4-8 px, 16-32 px,
        64 px and up); at fewer than five resolutions the last one alone is fine and the one
        before it middle, so each kind has a layer."""
        levels = self.phase()[0] + 1
        coarse = max(1, min(2, levels - 2))
        middle = max(coarse, min(4, levels - 1))
        ranges = {
            "coarse": range(0, 2 * coarse),
            "middle": range(2 * coarse, 2 * middle),
            "fine": range(2 * middle, 2 * levels),
        }
        return {name: layers for name, layers in ranges.items() if len(layers)}

    # --- sampling ------------------------------------------------------------------------------
    def sample_codes(
        self,
        n: int,
        generator: torch.Generator | None = None,
        labels: Tensor | None = None,
        truncation: float | None = None,
    ) -> Tensor:
        """Codes ``z ~ N(0, I)``; with ``truncation`` psi, each with psi appended, which
        ``generate`` applies in W (the prior itself is never cut)."""
        z = super().sample_codes(n, generator, labels)
        if truncation is None:
            return z
        if not (isinstance(truncation, int | float) and 0 <= truncation <= 1):
            raise UserError(
                "stylegan truncates in W, w' = w_avg + psi (w - w_avg): --truncation is psi, "
                f"between 0 (the average image) and 1 (no truncation; the paper shows 0.7), "
                f"got {truncation!r}"
            )
        return torch.cat([z, z.new_full((n, 1), float(truncation))], dim=1)

    def generate(self, codes: Tensor) -> Tensor:
        """Images of ``codes`` with the fixed noise maps (the code's ``randomize_noise=False``):
        one code, one image, and sampling leaves the random stream of training untouched."""
        ws = self.generator.broadcast(self.map_latents(codes[:, : self.latent_dim]))
        if codes.shape[1] > self.latent_dim:  # psi appended by sample_codes: truncate in W
            psi = codes[:, self.latent_dim]
            ws = truncate_styles(ws, self.generator.w_avg, psi, self.config.truncation_layers)
        return self.synthesize(ws, self.generator.synthesis.fixed_noise(self.phase()[0]))

    # --- losses --------------------------------------------------------------------------------
    def score(self, x: Tensor) -> Tensor:
        """The critic, one score per sample (SWGAN's critic reads the data's full size)."""
        if self.config.critic == "swd":
            return self.critic(resize_to(x, tuple(self.data.shape[1:])))
        level, alpha = self.phase()
        return self.critic(x, level, alpha).squeeze(1)

    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        c = self.config
        if c.critic == "swd":
            size = tuple(self.data.shape[1:])
            return sliced_critic_loss(self.critic, resize_to(real, size), resize_to(fake, size))
        loss = gan_losses.critic_loss(c.loss, self.score(real), self.score(fake))
        logs = {"loss_adversarial": loss}
        if c.r1_gamma > 0 and c.r1_every == 1:  # StyleGAN: R1 in every critic loss
            penalty = r1_penalty(self.score, real)
            loss = loss + c.r1_gamma / 2 * penalty
            logs["r1_penalty"] = penalty
        return loss, {"loss_critic": loss, **logs}

    def lazy_r1(self, real: Tensor, step: int) -> Tensor | None:
        """StyleGAN2's lazy R1: ``k (gamma / 2) E ||grad D(x)||^2`` on steps ``0, k, 2k, ...``
        (``None`` on the others, when R1 is off, or when it is in every critic loss)."""
        c = self.config
        if c.critic == "swd" or c.r1_gamma <= 0 or c.r1_every == 1 or step % c.r1_every:
            return None
        return c.r1_every * c.r1_gamma / 2 * r1_penalty(self.score, real)

    def generator_loss(self, fake: Tensor) -> Tensor:
        if self.config.critic == "swd":
            return self.score(fake).mean()  # SWGAN's sign: the critic is low on real images
        return gan_losses.generator_loss(self.config.loss, self.score(fake))

    # --- one step ------------------------------------------------------------------------------
    def fake_images(self, n: int, level: int, alpha: float) -> tuple[Tensor, Tensor]:
        """``(G(z), w)`` for ``n`` fresh codes, with style mixing (module docstring)."""
        device = self.device
        z1 = torch.randn(n, self.latent_dim, device=device)
        z2 = torch.randn(n, self.latent_dim, device=device)
        layers = 2 * level + 2
        mixing = bool(torch.rand(()) < self.config.mixing_prob) and layers > 1
        crossover = int(torch.randint(1, max(2, layers), ())) if mixing else layers
        w1 = self.map_latents(z1)
        w2 = self.map_latents(z2) if mixing else w1
        ws = mix_styles(w1, w2, crossover, self.generator.num_layers)
        return self.generator.synthesize(ws, level, alpha), w1

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        c = self.config
        level, alpha = self.phase()
        stage = 2 * level + (alpha < 1.0)
        if c.structure == "progressive" and c.reset_optimizer:
            if int(self.last_stage) not in (-1, stage):
                for optimizer in self.optimizers.values():
                    optimizer.state.clear()  # PGGAN and StyleGAN: fresh Adam for each new lod
        self.last_stage.fill_(stage)
        real = self.real_at_level(batch.x)
        n = len(real)

        requires_grad(self.critic, True)
        with torch.no_grad():
            fake, _ = self.fake_images(n, level, alpha)
        loss_critic, logs = self.critic_loss(real, fake)
        self.optimize(loss_critic, self.optimizers["critic"])
        regulariser = self.lazy_r1(real, step)
        if regulariser is not None:
            self.optimize(regulariser, self.optimizers["critic"])
            logs["r1_penalty"] = regulariser / (c.r1_every * c.r1_gamma / 2)

        requires_grad(self.critic, False)
        fake, w = self.fake_images(n, level, alpha)
        loss_generator = self.generator_loss(fake)
        self.optimize(loss_generator, self.optimizers["generator"])
        requires_grad(self.critic, True)

        with torch.no_grad():  # the code's dlatent_avg, over the batch of every process
            batch_mean = self._gather(w.detach()).mean(dim=0)
            self.generator.w_avg.lerp_(batch_mean, 1 - c.w_avg_beta)
        if c.structure == "progressive":
            self.images_shown += self.batch_size(n)
        logs = {name: value.detach() for name, value in logs.items()}
        device = loss_generator.device
        extra = (
            {"level": torch.tensor(float(level), device=device)} if c.structure != "fixed" else {}
        )
        return {**logs, "loss_generator": loss_generator.detach(), **extra}
