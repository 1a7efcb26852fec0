"""DACAL: divide-and-conquer adversarial learning for photo enhancement, in its multi-scale form
MUSPE (Huang, Paudel, Li, Wu, Timofte, Van Gool; arXiv 1910.10455; the lecture's second half).

The problem is divided three times, each division a setting so the lecture's Table 2 ablation
(l, l+f, l+f+d) is a set of runs:

* perception-based division (the enhancer, ``perception``): additive ``E(x) = x + r_x``
  (MUSPE_l1), multiplicative (l2), multiplicative cascaded by additive (l3) or the parallel
  two-stream fusion (MUSPE_l, the default); multi-scale: the streams are predicted on a copy
  downscaled by ``scale`` and applied at full size, plus a full-resolution residual
  (``swgen.nn.enhance``, where the equations are);
* frequency-based division (``frequency``): the Gaussian ``G_{k,l}`` splits each image into
  ``y_b`` and ``y - y_b``, each judged by its own critic (one critic on whole images when off);
* dimension-based division (``loss`` swgan / adaswgan): each critic is an encoder followed by
  dual SWD blocks (SWGAN's sliced critic, ``swgen.models.swgan``), so it compares many 1-D
  marginals; wgan / adawgan end the encoder in one linear score instead.

Losses, with SWGAN's sign convention (every critic is LOW on targets):

* enhancer: minimise ``content_weight E ||E(x) - y||_1 + adversarial_weight sum_c E C_c(E(x))``
  (paired: ``y`` is the target of ``x``; unpaired, WESPE-style weak supervision from two folders:
  the content term compares the high frequencies of ``E(x)`` and ``x`` instead, a pixel-space
  stand-in for WESPE's VGG content loss, as no pretrained VGG ships offline);
* critic ``c``: minimise ``E C(y) - E C(E(x)) + penalty``, the penalty by ``loss``:

  - ``wgan``: WGAN-GP's ``gp_weight E (||grad C(y_hat)|| - 1)^2``;
  - ``adawgan``: the adaptive penalty ``lambda E max(0, ||g_bar|| - 1)``,
    ``g_bar = eta g_bar + (1 - eta) grad C(y_hat) / lambda`` (the slide;
    :func:`swgen.models.penalties.adaptive_gradient_penalty` says how it is read;
    ``adaptive_rule=dpe`` reads "the running average adapts lambda" as DPE's A-WGAN does,
    :func:`swgen.models.penalties.dpe_adaptive_penalty`);
  - ``swgan``: SWGAN's Algorithm 4 penalties (``lambda1 E ||grad||^2 + lambda2 E (F' - k)^2``);
  - ``adaswgan`` (the lecture's proposal): the adaptive penalty plus SWGAN's slope penalty
    ``lambda2 E (F' - k)^2`` on the dual SWD blocks.

  The default is ``swgan``, chosen by measurement (BENCHMARKS.md, "Photo enhancement"; 3 seeds of
  the photo-pairs preset, 2000 steps): with all three divisions on, SWGAN's penalties are the
  only critic loss that beat the L1-only enhancer on both PSNR_f and SSIM_f (20.6 dB / 0.595
  against 20.4 / 0.573; PSNR higher in every seed). AdaSWGAN as the slide writes it leaves the
  live gradient a weight of ``(1 - eta) = 0.01`` in the penalty, so its critics run away: one seed
  of three fell below the untouched input (11.7 dB) and another to 18.4; under
  ``adaptive_rule=dpe`` it is stable but behind L1-only (20.1 / 0.523).

Video (Recurrent-DACAL, the lecture's last part): on clips (``photo-clips``) the enhancer runs
frame by frame and its coarse stream also sees the previous enhanced frame
(``swgen.nn.enhance``); content loss over every frame, critics judge frames. Perframe-DACAL is
the image model applied to each frame.

The running averages of the adaptive penalty are buffers (one per critic), so a checkpoint
carries them and a resumed run continues the same run. One step: ``n_critic`` critic updates,
then one enhancer update. ``adversarial_weight=0`` is the L1-only enhancer (same network).

Defaults and their sources: no public code exists (reference-facts.md section 6), so the sizes
are ours, for a CPU: coarse width 32, ``scale`` 4, fine residual of 3 layers of 16; kernel 21,
sigma 3 (DPED's colour loss); ``gp_weight = 10`` (WGAN-GP, DPE's A-WGAN); ``eta = 0.99`` (DPE's
``loss_wgan_gp_mv_decay``); dual SWD blocks, ``lambda1 = 20``, ``lambda2 = 10``, ``k = 0.001``
(SWGAN's code); ``content_weight = 1``, ``adversarial_weight = 0.01`` and Adam lr 5e-4 with
betas (0.9, 0.999) (DPED's rate and TensorFlow's default betas); one critic update per step
(DPED, WESPE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel, requires_grad
from swgen.models.gan import check_positive
from swgen.models.penalties import (
    adaptive_gradient_penalty,
    dpe_adaptive_penalty,
    gradient_penalty,
    interpolate,
    slope_penalty,
)
from swgen.models.swgan import SWGANCritic, sliced_critic_loss
from swgen.nn import build_encoder
from swgen.nn.enhance import Enhancer, frequency_split
from swgen.registry import MODELS

LOSSES = ("wgan", "adawgan", "swgan", "adaswgan")
Perception = Literal["parallel", "additive", "multiplicative", "cascaded"]
Loss = Literal["wgan", "adawgan", "swgan", "adaswgan"]
AdaptiveRule = Literal["slide", "dpe"]


@dataclass
class DACALConfig:
    perception: Perception = "parallel"  # MUSPE_l; additive l1, multiplicative l2, cascaded l3
    width: int = 32  # channels of the coarse stream (ours: no public code)
    scale: int = 4  # the coarse stream sees the image downscaled this much (ours)
    fine: bool = True  # add the full-resolution residual stream (ours)
    fine_width: int = 16  # channels of the full-resolution residual (ours)
    fine_depth: int = 3  # 3 x 3 layers of the full-resolution residual, also the tiles' halo
    tile: int = 512  # enhance full-resolution images in tiles this big (same pixels, less memory)
    frequency: bool = True  # two critics, on low and high frequencies (frequency division)
    blur_size: int = 21  # side of the Gaussian kernel G_{k,l}, DPED's colour loss
    blur_sigma: float = 3.0  # sigma of G_{k,l}, DPED's colour loss
    loss: Loss = "swgan"  # critic loss and penalty: wgan, adawgan, swgan, adaswgan (docstring)
    critic_width: int = 32  # channels of each critic's first layer (ours)
    code_dim: int = 64  # encoder features (each a dual SWD block's size with sliced losses)
    n_blocks: int = 4  # m dual SWD blocks (sliced losses), SWGAN code
    gp_weight: float = 10.0  # lambda of the WGAN-GP and adaptive penalties, WGAN-GP and DPE
    eta: float = 0.99  # running-average weight of the adaptive penalty, DPE's mv_decay
    adaptive_rule: AdaptiveRule = "slide"  # ada*: slide (average in the norm), dpe (adapts lambda)
    adaptive_bound: float = 0.05  # dpe rule: lambda grows while the average exceeds this, DPE
    adaptive_grow: float = 2.0  # dpe rule: lambda's growth factor, DPE's loss_wgan_lambda_grow
    lambda1: float = 20.0  # swgan: gradient penalty weight, SWGAN code
    lambda2: float = 10.0  # swgan/adaswgan: slope penalty weight, SWGAN code
    k: float = 0.001  # swgan/adaswgan: target slope of each dual block, SWGAN code
    content_weight: float = 1.0  # L1 to the target (paired) or of high frequencies (unpaired)
    adversarial_weight: float = 0.01  # weight of the critics' terms; 0: the L1-only enhancer
    n_critic: int = 1  # critic updates per enhancer update, DPED and WESPE
    lr: float = 5e-4  # Adam, enhancer and critics, DPED
    betas: tuple[float, float] = (0.9, 0.999)  # Adam, DPED (TensorFlow's defaults)

    def __post_init__(self) -> None:
        check_positive(self, "width", "scale", "fine_width", "fine_depth", "tile", "lr")
        check_positive(self, "blur_size", "blur_sigma", "critic_width", "code_dim", "gp_weight")
        if self.blur_size % 2 == 0:
            raise ValueError(f"blur_size must be odd, got {self.blur_size}")


def as_frames(images: Tensor) -> Tensor:
    """Clips (N, C, T, H, W) as N * T frames (N * T, C, H, W); images unchanged."""
    return images.transpose(1, 2).flatten(0, 1) if images.dim() == 5 else images


class LinearCritic(nn.Module):
    """An encoder ending in one linear score (the critics of wgan / adawgan)."""

    def __init__(self, encoder: nn.Module, code_dim: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(code_dim, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.encoder(x)).squeeze(1)


@MODELS.register(
    "dacal", summary="photo enhancement by divide-and-conquer adversarial learning (DACAL)"
)
class DACAL(GenerativeModel):
    Config = DACALConfig
    maps_data = True
    enhances = True  # swgen enhance takes its runs
    directions = ("AtoB",)  # inputs (domain A) to enhanced photos (B)
    ema_modules = ("enhancer",)
    latent_dim = 0

    def __init__(self, config: DACALConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        if data.kind not in ("images", "video") or data.pairing not in ("paired", "unpaired"):
            raise UserError(
                "dacal enhances photos; give --data photo-pairs, a folder with input/ and "
                "target/ (paired), or one with trainA/ and trainB/ (low and high quality)"
            )
        c = config
        self.recurrent = data.kind == "video"
        self.enhancer = Enhancer(
            data.channels, c.width, c.perception, c.scale, c.fine, c.fine_width, c.fine_depth,
            recurrent=self.recurrent,
        )  # fmt: skip
        self.views = ("low", "high") if c.frequency else ("image",)
        self.critics = nn.ModuleDict({view: self.build_critic() for view in self.views})
        self.adaptive = c.loss in ("adawgan", "adaswgan")
        self.register_buffer("gradient_average", torch.zeros(len(self.views)))
        if self.adaptive and c.adaptive_rule == "dpe":
            # lambda of each critic (grows during training; a buffer, so a resume continues it;
            # only under this rule, so that runs of the other losses keep their checkpoints)
            self.register_buffer("penalty_weight", torch.full((len(self.views),), c.gp_weight))
        self.optimizers = {
            "enhancer": torch.optim.Adam(self.enhancer.parameters(), lr=c.lr, betas=c.betas),
            "critic": torch.optim.Adam(self.critics.parameters(), lr=c.lr, betas=c.betas),
        }

    def build_critic(self) -> nn.Module:
        """A critic of single images (of frames, for video)."""
        c = self.config
        frame = DataInfo("images", (self.data.channels, self.data.image_size, self.data.image_size))
        encoder = build_encoder(frame, c.code_dim, c.critic_width, "layer")
        if c.loss in ("swgan", "adaswgan"):
            return SWGANCritic(encoder, c.code_dim, c.n_blocks, 0.2)
        return LinearCritic(encoder, c.code_dim)

    # --- the divisions ---------------------------------------------------------------------
    def enhance(self, x: Tensor, tile: int | None = None) -> Tensor:
        """``E(x)`` of images (N, C, H, W), or of clips (N, C, T, H, W) frame by frame, each
        frame's enhancer seeing the enhanced frame before it (Recurrent-DACAL)."""
        if x.dim() == 4:
            return self.enhancer(x, tile)
        outputs: list[Tensor] = []
        for t in range(x.shape[2]):
            frame = x[:, :, t]
            outputs.append(self.enhancer(frame, tile, outputs[-1] if outputs else None))
        return torch.stack(outputs, dim=2)

    def view(self, images: Tensor) -> dict[str, Tensor]:
        """What each critic sees: the low and high frequencies, or the whole image (frames of
        clips one by one)."""
        images = as_frames(images)
        if not self.config.frequency:
            return {"image": images}
        low, high = frequency_split(images, self.config.blur_size, self.config.blur_sigma)
        return {"low": low, "high": high}

    def critic_loss(self, index: int, name: str, real: Tensor, fake: Tensor) -> tuple[Tensor, dict]:
        c = self.config
        critic = self.critics[name]
        if c.loss == "swgan":
            return sliced_critic_loss(critic, real, fake, c.lambda1, c.lambda2, c.k)
        if isinstance(critic, SWGANCritic):
            codes_real, codes_fake = critic.encoder(real), critic.encoder(fake)
            gap = critic.score(codes_fake).mean() - critic.score(codes_real).mean()
        else:
            gap = critic(fake).mean() - critic(real).mean()
        logs = {"wasserstein": gap}
        if self.adaptive and c.adaptive_rule == "dpe":
            penalty, average, weight = dpe_adaptive_penalty(
                critic, real, fake, self.gradient_average[index], self.penalty_weight[index],
                c.eta, c.adaptive_bound, c.adaptive_grow,
            )  # fmt: skip
            self.gradient_average[index], self.penalty_weight[index] = average, weight
            logs["gradient_average"], logs["penalty_weight"] = average, weight
        elif self.adaptive:
            penalty, average = adaptive_gradient_penalty(
                critic, real, fake, self.gradient_average[index], c.gp_weight, c.eta
            )
            self.gradient_average[index] = average
            logs["gradient_average"] = average
        else:
            penalty = c.gp_weight * gradient_penalty(critic, real, fake, target=1.0)[0]
        loss = -gap + penalty
        if isinstance(critic, SWGANCritic):
            slopes = slope_penalty(critic.blocks, interpolate(codes_real, codes_fake), c.k)
            loss = loss + c.lambda2 * slopes
            logs["slope_penalty"] = slopes
        return loss, {**logs, "gradient_penalty": penalty}

    def content_loss(self, enhanced: Tensor, batch: Batch) -> Tensor:
        if self.data.pairing == "paired":
            assert batch.y is not None
            return F.l1_loss(enhanced, batch.y)
        c = self.config
        high = [
            frequency_split(as_frames(t), c.blur_size, c.blur_sigma)[1] for t in (enhanced, batch.x)
        ]
        return F.l1_loss(*high)

    # --- one step --------------------------------------------------------------------------
    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        c = self.config
        assert batch.y is not None
        logs: dict[str, Tensor] = {}
        adversarial = c.adversarial_weight > 0
        if adversarial:
            requires_grad(self.critics, True)
            targets = self.view(batch.y)
            for _ in range(c.n_critic):
                with torch.no_grad():
                    fakes = self.view(self.enhance(batch.x))
                total = torch.zeros((), device=batch.x.device)
                for index, name in enumerate(self.views):
                    loss, extra = self.critic_loss(index, name, targets[name], fakes[name])
                    total = total + loss
                    logs.update({f"{key}_{name}": v.detach() for key, v in extra.items()})
                self.optimize(total, self.optimizers["critic"])
            logs["loss_critic"] = total.detach()
            requires_grad(self.critics, False)

        enhanced = self.enhance(batch.x)
        content = self.content_loss(enhanced, batch)
        loss = c.content_weight * content
        if adversarial:
            views = self.view(enhanced)
            scores = sum(self.critics[name](views[name]).mean() for name in self.views)
            loss = loss + c.adversarial_weight * scores
            logs["loss_adversarial"] = scores.detach()
        self.optimize(loss, self.optimizers["enhancer"])
        requires_grad(self.critics, True)  # nothing left frozen between steps
        return {**logs, "loss_content": content.detach(), "loss_enhancer": loss.detach()}

    # --- enhancement -------------------------------------------------------------------------
    def translate(self, x: Tensor, direction: str = "AtoB") -> dict[str, Tensor]:
        """``E(x)`` at ``x``'s own size (tiled at full resolution), clamped to [-1, 1]; clips
        (N, C, T, H, W) for a video run."""
        if direction not in self.directions:
            raise UserError(f"unknown direction {direction!r}; dacal enhances AtoB")
        return {"output": self.enhance(x, tile=self.config.tile).clamp(-1, 1)}

    def generate(self, z: Tensor) -> Tensor:
        raise UserError("dacal enhances photos; it does not sample from noise")
