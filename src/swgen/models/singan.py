"""SinGAN: a pyramid of fully convolutional GANs learnt from ONE image (Rott Shaham, Dekel and
Michaeli, ICCV 2019), as the official code tamarott/SinGAN trains it.

Scales ``n = 0 .. N`` run coarse to fine (the paper numbers them the other way: its N is our
0); sizes come from ``swgen.nn.singan.pyramid_sizes``. Each scale has a generator ``G_n`` and a
patch critic ``D_n`` (``swgen.nn.singan``), ``nfc = min(32 2^floor(n/4), 128)`` wide. Sampling
(paper Eq. 1-2, the code's ``draw_concat``/``SinGAN_generate``)::

    x_0 = G_0(z_0)                                   z_0: ONE noise channel broadcast to C
    x_n = G_n(sigma_n z_n + up(x_{n-1}), up(x_{n-1}))  = psi_n(...) + up(x_{n-1})   (residual)

with every generator input zero-padded by 5 px (``(3 - 1) 5 / 2``). Training, one scale after
the other, earlier scales frozen (and in eval mode, as the code's ``G.eval()``); per iteration
(the code's ``train_single_scale``)::

    repeat 3:  prev <- random draw of the coarser scales, upsampled (zeros at n = 0)
               fake <- G_n(sigma_n z + prev, prev)
               D loss: -mean D(x_n) + mean D(fake) + 0.1 GP
    repeat 3:  fake <- G_n(sigma_n z + prev, prev)     (regenerated: see the departures)
               G loss: -mean D(fake) + alpha ||G_n(sigma_n z_rec + prev_rec, prev_rec) - x_n||^2

* GP (``patch_gradient_penalty``): the code's per-pixel form, ``mean_pixels (||grad_x
  sum D(x_hat)||_channels - 1)^2`` with ONE ``u ~ U[0, 1]`` mixing the image; the paper's
  WGAN-GP takes one norm over the whole image. Weight 0.1 (``lambda_grad``).
* Reconstruction: fixed noise ``{z*, 0, ..., 0}`` (``z*`` drawn once, a buffer), ``alpha = 10``
  (mean squared error over pixels, ``nn.MSELoss``).
* Noise amplitude (``noise_amp``): ``sigma_0 = 1``; ``sigma_n = 0.1 RMSE(x_n, prev_rec)``,
  computed when scale n starts, where ``prev_rec`` is the reconstruction of the coarser scales
  upsampled to scale n.
* Adam lr 5e-4 (G and D), betas (0.5, 0.999), a fresh state per scale; lr x0.1 from 80% of
  the scale's iterations (the code's MultiStepLR at 1600 of 2000). A new scale starts from the
  previous scale's weights when its width is the same.

How steps map onto swgen's engine: one engine step is one SinGAN iteration; scale ``n`` takes
steps ``n S .. (n + 1) S - 1`` (``S = model.steps_per_scale``), so the run needs
``train.steps = (N + 1) S`` (``swgen train`` reports the scales; more steps keep training the
finest scale). Everything the pyramid is made of lives in buffers saved with the weights: the
real image at every scale, ``z*``, the amplitudes and the last scale started, so ``--resume``
continues across a scale boundary as an uninterrupted run and checkpoints load with
``weights_only=True``. One Adam per network family holds every scale's parameters: the
parameters of scales not trained have no gradients and stay untouched, and each scale's first
update starts Adam's moments afresh, as the code's new optimiser per scale.

Departures from the official code, on purpose:

* the G steps regenerate the fake from the iteration's noise (the code reuses the D loop's
  ``fake``, which raises the in-place error on PyTorch >= 1.5: issues #110, #137, #147, PR
  #146);
* ``z*`` is drawn once (the paper's fixed noise); the code redraws ``z_opt`` at every iteration
  of the coarsest scale and keeps the last;
* resizing is torch's antialiased bicubic, and upsampling goes straight to the next scale's
  size (the code's ``imresize`` by ``1 / r`` then crops to it);
* the image is in [-1, 1] with any number of channels (the code: 3).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel, requires_grad, truncated_normal
from swgen.models.gan import check_positive
from swgen.nn.singan import ScaleCritic, ScaleGenerator, Size, pyramid_sizes, resize, scale_width
from swgen.registry import MODELS

MAX_SAMPLE_SIDE = 4096  # --size: the largest side of a sample (memory)
NOT_ONE_IMAGE = (
    "singan learns from one image, and these data are a set of images; give --data image:PATH "
    "(a photo of yours) or --data china / flower"
)


@dataclass
class SinGANConfig:
    max_size: int = 250  # long side of the finest scale, official code
    min_size: int = 25  # short side of the coarsest scale, official code
    scale_factor: float = 0.75  # nominal r between scales (recomputed exact), official code
    nfc: int = 32  # feature maps at the coarsest scales (x2 every 4 scales), official code
    max_nfc: int = 128  # cap of the doubling, official code
    layers: int = 5  # conv blocks per G and D (receptive field 11 px), official code
    steps_per_scale: int = 2000  # iterations per scale (niter), official code
    d_steps: int = 3  # critic updates per iteration (Dsteps), official code
    g_steps: int = 3  # generator updates per iteration (Gsteps), official code
    lr: float = 5e-4  # Adam, G and D (lr_g, lr_d), official code
    betas: tuple[float, float] = (0.5, 0.999)  # Adam (beta1 0.5), official code
    lr_drop_at: float = 0.8  # share of a scale's steps after which lr x lr_drop (1600/2000)
    lr_drop: float = 0.1  # MultiStepLR gamma, official code
    gp_weight: float = 0.1  # lambda_grad, official code (per-pixel gradient norm)
    alpha: float = 10.0  # reconstruction weight, official code (100 for super-resolution)
    noise_amp: float = 0.1  # sigma_n = noise_amp * RMSE(x_n, upsampled reconstruction)

    def __post_init__(self) -> None:
        check_positive(self, "max_size", "min_size", "nfc", "max_nfc", "steps_per_scale")
        check_positive(self, "d_steps", "g_steps", "lr", "alpha", "noise_amp")
        if not 0 < self.scale_factor < 1:
            raise ValueError(f"scale_factor must be in (0, 1), got {self.scale_factor}")
        if self.layers < 2:
            raise ValueError(f"layers must be at least 2 (head and tail), got {self.layers}")
        if self.min_size <= 2 * self.layers:
            raise ValueError(
                f"min_size must be above 2 * layers = {2 * self.layers} (the critic's "
                f"unpadded convolutions take {2 * self.layers} px), got {self.min_size}"
            )
        if self.max_size <= self.min_size:
            raise ValueError(f"max_size must be above min_size, got {self.max_size}")
        if not 0 <= self.lr_drop_at <= 1 or not 0 < self.lr_drop <= 1:
            raise ValueError("lr_drop_at must be in [0, 1] and lr_drop in (0, 1]")
        if self.gp_weight < 0:
            raise ValueError(f"gp_weight must be >= 0, got {self.gp_weight}")


def patch_gradient_penalty(
    critic: nn.Module, real: Tensor, fake: Tensor, u: Tensor | None = None
) -> Tensor:
    """The official code's ``calc_gradient_penalty``: ``mean_{i,j} (||g_ij||_2 - 1)^2`` where
    ``g = grad_x sum D(x_hat)`` at ``x_hat = u x + (1 - u) x_fake`` (ONE ``u ~ U[0, 1]`` for the
    image) and ``||g_ij||`` is the norm over channels at pixel (i, j); not WGAN-GP's one norm of
    the whole gradient. Unweighted (the caller multiplies by ``gp_weight``)."""
    if u is None:
        u = torch.rand((), device=real.device, dtype=real.dtype)
    x_hat = (u * real.detach() + (1 - u) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


@MODELS.register("singan", summary="a pyramid of patch GANs learnt from one image (SinGAN 2019)")
class SinGAN(GenerativeModel):
    """SinGAN (module docstring). Capabilities read by the CLI and ``swgen eval``:
    ``learns_one_image`` (single-image metrics and ``swgen singan``) and
    ``samples_any_size`` (``swgen sample --size``)."""

    Config = SinGANConfig
    ema_modules = ()  # the code keeps no average of the weights
    learns_one_image = True
    samples_any_size = True

    def __init__(self, config: SinGANConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        if data.kind != "images" or data.num_classes or data.pairing != "none":
            raise UserError(
                "singan learns from one image, but these data are "
                + (data.kind if data.kind != "images" else "a labelled or paired image set")
                + "; give --data image:PATH (a photo of yours) or --data china / flower"
            )
        if data.map_classes:
            raise UserError("singan learns from one image, not label maps; give --data image:PATH")
        if not data.single_image:
            raise UserError(NOT_ONE_IMAGE)
        channels, height, width = data.shape
        self.channels = channels
        self.sizes, self.factor = pyramid_sizes(
            height, width, config.max_size, config.min_size, config.scale_factor
        )
        self.pad = config.layers  # (kernel 3 - 1) * layers / 2
        self.widths = [scale_width(n, config.nfc, config.max_nfc) for n in self.num_scales_range]
        self.generators = nn.ModuleList(
            ScaleGenerator(channels, w, config.layers) for w in self.widths
        )
        self.critics = nn.ModuleList(ScaleCritic(channels, w, config.layers) for w in self.widths)
        # The pyramid's state, saved with the weights (module docstring).
        for n, size in enumerate(self.sizes):
            self.register_buffer(f"real_{n}", torch.zeros(1, channels, *size))
        self.register_buffer("reals_filled", torch.zeros((), dtype=torch.bool))
        self.register_buffer("z_star", torch.randn(1, 1, *self.sizes[0]))
        self.register_buffer("noise_amps", torch.ones(len(self.sizes)))
        self.register_buffer("scales_started", torch.zeros((), dtype=torch.long))
        self.sample_sizes: list[Size] = list(self.sizes)
        self.optimizers = {
            "generator": self.make_optimizer(self.generators.parameters()),
            "critic": self.make_optimizer(self.critics.parameters()),
        }

    @classmethod
    def check_run(cls, config: Any) -> None:
        """Before a new run writes anything (``swgen train``): refuse data that are not one
        image and an image too small for the pyramid, and warn when ``train.steps`` is not
        ``scales x model.steps_per_scale``."""
        from swgen.data import build_dataset

        info = build_dataset(config.data).info
        if not getattr(info, "single_image", False):
            raise UserError(NOT_ONE_IMAGE)
        c = config.model
        sizes, _ = pyramid_sizes(*info.shape[1:], c.max_size, c.min_size, c.scale_factor)
        needed = len(sizes) * c.steps_per_scale
        if config.train.steps != needed:
            warnings.warn(
                f"singan: the pyramid has {len(sizes)} scales of {c.steps_per_scale} steps "
                f"(model.steps_per_scale), {needed} in all, but train.steps={config.train.steps}"
                + (" (the finest scales stay untrained)" if config.train.steps < needed else "")
                + f"; give train.steps={needed}",
                stacklevel=2,
            )

    # --- the pyramid ----------------------------------------------------------------------------
    @property
    def num_scales_range(self) -> range:
        return range(len(self.sizes))

    @property
    def finest(self) -> int:
        return len(self.sizes) - 1

    def real(self, n: int) -> Tensor:
        """The training image at scale ``n`` (model space, (1, C, h_n, w_n))."""
        return getattr(self, f"real_{n}")

    def scale_at(self, step: int) -> int:
        """The scale trained at engine step ``step`` (the finest after the last scale's steps)."""
        return min(step // self.config.steps_per_scale, self.finest)

    @property
    def current_scale(self) -> int:
        """The last scale whose training has started (what samples come from)."""
        return int(self.scales_started)

    def make_optimizer(self, parameters: Any) -> torch.optim.Optimizer:
        return torch.optim.Adam(parameters, lr=self.config.lr, betas=self.config.betas)

    def batch_size(self, configured: int) -> int:
        return 1  # the one image

    def stage(self) -> dict[str, Any]:
        n = self.current_scale
        return {
            "scale": n,
            "scales": len(self.sizes),
            "resolution": "x".join(map(str, self.sizes[n])),
            "scale_factor": round(self.factor, 6),
            "grown": n == self.finest,
        }

    def real_view(self, real: Tensor) -> Tensor:
        """The training image at the current scale, upsampled to the finest size (as
        ``generate`` shows samples), once per row: every row of single-image data is the image."""
        image = resize(resize(real[:1], self.sizes[self.current_scale]), self.sizes[-1])
        return image.expand(len(real), -1, -1, -1)

    # --- one scale, and the cascade -------------------------------------------------------------
    def scale_output(self, n: int, z: Tensor, prev: Tensor) -> Tensor:
        """``x_n = G_n(pad(sigma_n z + prev), prev)``; at ``n = 0``, ``prev`` is zeros."""
        padding = [self.pad] * 4
        x_in = F.pad(self.noise_amps[n] * z + prev, padding)
        return self.generators[n](x_in, prev)

    def cascade(
        self,
        noises: list[Tensor],
        sizes: list[Size],
        first: int,
        last: int,
        prev: Tensor | None = None,
    ) -> Tensor:
        """``x_last`` from scales ``first .. last`` with noise maps ``noises[n]`` (C channels),
        starting from ``prev`` at ``sizes[first]`` (zeros by default; an injected image for
        editing, harmonisation and paint-to-image)."""
        x = prev
        if x is None:
            x = torch.zeros(len(noises[first]), self.channels, *sizes[first], device=self.device)
        for n in range(first, last + 1):
            x = self.scale_output(n, noises[n], resize(x, sizes[n]))
        return x

    def random_noise(self, count: int, sizes: list[Size], generator: Any = None) -> list[Tensor]:
        """Fresh noise maps: one channel broadcast to C at the coarsest scale, C elsewhere."""
        shapes = self.noise_shapes(sizes)
        maps = [torch.randn(count, *shape, generator=generator) for shape in shapes]
        return [self.full_channels(z.to(self.device)) for z in maps]

    def full_channels(self, z: Tensor) -> Tensor:
        return z.expand(-1, self.channels, -1, -1) if z.shape[1] == 1 else z

    def reconstruction_noise(self, count: int = 1) -> list[Tensor]:
        """``{z*, 0, ..., 0}``: the noise that reproduces the training image."""
        first = self.full_channels(self.z_star).expand(count, -1, -1, -1)
        rest = [torch.zeros(count, self.channels, *s, device=self.device) for s in self.sizes[1:]]
        return [first, *rest]

    def noise_shapes(self, sizes: list[Size]) -> list[tuple[int, int, int]]:
        return [(1 if n == 0 else self.channels, *size) for n, size in enumerate(sizes)]

    def upsampled_draw(self, n: int, noises: list[Tensor]) -> Tensor:
        """The coarser scales' output upsampled to scale ``n`` (zeros at ``n = 0``)."""
        if n == 0:
            return torch.zeros(len(noises[0]), self.channels, *self.sizes[0], device=self.device)
        return resize(self.cascade(noises, self.sizes, 0, n - 1), self.sizes[n])

    # --- training ---------------------------------------------------------------------------------
    def fill_reals(self, image: Tensor) -> None:
        """The training image at every scale, from the finest (resized from the data's image)."""
        with torch.no_grad():
            finest = resize(image[:1].float(), self.sizes[-1])
            for n, size in enumerate(self.sizes):
                self.real(n).copy_(resize(finest, size))
        self.reals_filled.fill_(True)

    def start_scale(self, n: int) -> None:
        """Begin scale ``n``: copy scale ``n - 1``'s weights when the width is the same, and set
        ``sigma_n = noise_amp * RMSE(x_n, upsampled reconstruction)``."""
        if n > 0 and self.widths[n] == self.widths[n - 1]:
            self.generators[n].load_state_dict(self.generators[n - 1].state_dict())
            self.critics[n].load_state_dict(self.critics[n - 1].state_dict())
        if n > 0:
            with torch.no_grad():
                self.freeze_coarser(n)
                prev_rec = self.upsampled_draw(n, self.reconstruction_noise())
                rmse = (self.real(n) - prev_rec).square().mean().sqrt()
                self.noise_amps[n] = self.config.noise_amp * rmse
        self.scales_started.fill_(n)

    def freeze_coarser(self, n: int) -> None:
        """Scales below ``n`` run in eval mode (their batch norms use running statistics)."""
        for k in range(n):
            self.generators[k].eval()

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        c = self.config
        if not self.data.single_image:
            raise UserError(NOT_ONE_IMAGE)
        if not bool(self.reals_filled):
            self.fill_reals(batch.x)
        n = self.scale_at(step)
        while self.current_scale < n:
            self.start_scale(self.current_scale + 1)
        generator, critic = self.generators[n], self.critics[n]
        self.freeze_coarser(n)
        generator.train()
        critic.train()
        real = self.real(n)

        # The engine sets each rate before the step; the drop at 80% of the scale is the model's.
        within = step - n * c.steps_per_scale
        factor = c.lr_drop if within >= round(c.lr_drop_at * c.steps_per_scale) else 1.0
        rates = [g["lr"] for o in self.optimizers.values() for g in o.param_groups]
        for group in (g for o in self.optimizers.values() for g in o.param_groups):
            group["lr"] *= factor

        z = self.random_noise(1, self.sizes)[n]
        with torch.no_grad():
            prev_rec = self.upsampled_draw(n, self.reconstruction_noise())
        requires_grad(critic, True)
        for _ in range(c.d_steps):
            with torch.no_grad():
                prev = self.upsampled_draw(n, self.random_noise(1, self.sizes))
                fake = self.scale_output(n, z, prev)
            score_real, score_fake = critic(real).mean(), critic(fake).mean()
            penalty = patch_gradient_penalty(critic, real, fake)
            loss_critic = -score_real + score_fake + c.gp_weight * penalty
            self.optimize(loss_critic, self.optimizers["critic"])

        requires_grad(critic, False)
        z_rec = self.reconstruction_noise()[n]
        for _ in range(c.g_steps):
            fake = self.scale_output(n, z, prev)
            adversarial = -critic(fake).mean()
            reconstruction = F.mse_loss(self.scale_output(n, z_rec, prev_rec), real)
            loss_generator = adversarial + c.alpha * reconstruction
            self.optimize(loss_generator, self.optimizers["generator"])
        requires_grad(critic, True)

        groups = [g for o in self.optimizers.values() for g in o.param_groups]
        for group, rate in zip(groups, rates, strict=True):
            group["lr"] = rate
        return {
            "loss_critic": loss_critic.detach(),
            "loss_generator": loss_generator.detach(),
            "wasserstein": (score_real - score_fake).detach(),
            "gradient_penalty": penalty.detach(),
            "reconstruction": reconstruction.detach(),
            "scale": torch.tensor(float(n)),
            "noise_amp": self.noise_amps[n].detach().clone(),
        }

    # --- sampling ---------------------------------------------------------------------------------
    def set_sample_size(self, height: int, width: int) -> None:
        """Draw later samples at ``height x width``: every scale's noise map is scaled by the
        ratio to the training size (the code's ``scale_v``, ``scale_h``)."""
        finest_h, finest_w = self.sizes[-1]
        if not (1 <= height <= MAX_SAMPLE_SIDE and 1 <= width <= MAX_SAMPLE_SIDE):
            raise UserError(
                f"--size {height}x{width} is out of range; give each side between 1 and "
                f"{MAX_SAMPLE_SIDE} px (the training size is {finest_h}x{finest_w})"
            )
        sizes = [(round(h * height / finest_h), round(w * width / finest_w)) for h, w in self.sizes]
        sizes[-1] = (height, width)
        if min(min(size) for size in sizes) < 1:
            raise UserError(
                f"--size {height}x{width} is too small: its coarsest scale would be "
                f"{sizes[0][0]}x{sizes[0][1]} px; give at least "
                f"{math.ceil(finest_h / self.sizes[0][0])}x{math.ceil(finest_w / self.sizes[0][1])}"
            )
        self.sample_sizes = sizes

    @property
    def latent_dim(self) -> int:  # type: ignore[override]
        """Every scale's noise map, flattened (for the sizes samples are drawn at)."""
        return sum(math.prod(shape) for shape in self.noise_shapes(self.sample_sizes))

    def sample_latent(
        self, n: int, generator: torch.Generator | None = None, truncation: float | None = None
    ) -> Tensor:
        if truncation is None:
            z = torch.randn(n, self.latent_dim, generator=generator)
        else:
            z = truncated_normal((n, self.latent_dim), truncation, generator)
        return z.to(self.device)

    def split_latent(self, z: Tensor) -> list[Tensor]:
        """Flat codes -> the noise map of every scale (C channels each)."""
        shapes = self.noise_shapes(self.sample_sizes)
        if z.shape[1] != self.latent_dim:
            raise UserError(
                f"singan codes of {z.shape[1]} values do not fit samples of "
                f"{self.sample_sizes[-1][0]}x{self.sample_sizes[-1][1]} ({self.latent_dim})"
            )
        parts = z.split([math.prod(shape) for shape in shapes], dim=1)
        return [
            self.full_channels(p.reshape(len(z), *s)) for p, s in zip(parts, shapes, strict=True)
        ]

    def generate(self, z: Tensor, start_scale: int = 0) -> Tensor:
        """Samples from noise maps ``z`` (flat, :meth:`split_latent`) at the sample size (while
        training: from the scales trained so far, upsampled to it). Scales below
        ``start_scale`` take the reconstruction noise (the code's ``gen_start_scale``: the
        image's coarse layout is kept, finer details vary)."""
        return resize(self.synthesise(z, start_scale), self.sample_sizes[-1])

    def synthesise(self, z: Tensor, start_scale: int = 0) -> Tensor:
        """:meth:`generate` at the current scale's sample size."""
        noises = self.split_latent(z)
        if start_scale:
            if not 0 <= start_scale <= self.finest:
                raise UserError(
                    f"the start scale must be between 0 and {self.finest}, got {start_scale}"
                )
            if self.sample_sizes != self.sizes:
                raise UserError(
                    "a start scale above 0 keeps the training image's layout, so it samples at "
                    "the training size; drop --size or the start scale"
                )
            rec = self.reconstruction_noise(len(z))
            noises = [rec[n] if n < start_scale else noises[n] for n in range(len(noises))]
        return self.cascade(noises, self.sample_sizes, 0, self.current_scale)

    @torch.no_grad()
    def samples_from(self, count: int, start_scale: int, generator: torch.Generator) -> Tensor:
        """``count`` samples at the training size of the current scale, from ``start_scale``."""
        self.eval()
        self.sample_sizes = list(self.sizes)
        return self.synthesise(self.sample_latent(count, generator), start_scale)

    def training_image(self) -> Tensor:
        """The training image at the current scale, (1, C, h, w) in [-1, 1]."""
        return self.real(self.current_scale)

    def reconstruct(self) -> Tensor:
        """The image the fixed noise ``{z*, 0, ..., 0}`` gives at the current scale."""
        return self.cascade(self.reconstruction_noise(), self.sizes, 0, self.current_scale)
