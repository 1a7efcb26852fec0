"""SPADE / GauGAN: semantic image synthesis (Park, Liu, Wang, Zhu; CVPR 2019).

A generator ``G`` maps a label map ``m`` (one-hot, ``swgen.nn.label_maps.one_hot``) to an image;
the map enters through spatially-adaptive normalisation (``swgen.nn.spade``). A multi-scale
PatchGAN ``D = (D_1, ..., D_num_d)`` (``D_k`` on the input average-pooled ``k - 1`` times) scores
``concat(m, image)``. With hinge scores ``d`` (the last layer of each ``D_k``) and the
intermediate layer outputs ``D_k^(j)`` (the code's ``pix2pix_model.py`` and ``loss.py``):

* critic: minimise ``(1/num_d) sum_k [E relu(1 - D_k(m, x)) + E relu(1 + D_k(m, G(m)))]``,
* generator: minimise ``-(1/num_d) sum_k E D_k(m, G(m))``
  ``+ (lambda_feat / num_d) sum_k sum_j E |D_k^(j)(m, G(m)) - D_k^(j)(m, x)|``  (feature
  matching, Wang et al. 2018, with the real features detached)
  ``+ lambda_kld KL(N(mu, sigma^2) || N(0, I))`` with the style encoder, where
  ``KL = -1/2 sum (1 + logvar - mu^2 - exp(logvar))`` summed over the batch and the code's
  coordinates (the code's ``KLDLoss``), and ``G`` starts from ``z = mu + sigma * eps`` of the
  encoded real image (VAE, Kingma & Welling 2014).

One step is one generator update (the style encoder trains with it, under the generator's Adam)
and then one critic update on a fresh synthesis by the updated generator, as the code's
``run_generator_one_step`` and ``run_discriminator_one_step`` (``D_steps_per_G = 1``).

Defaults and their sources (the SPADE code, ``options/*.py``): ``ngf = ndf = 64``;
``norm_G = spectralspadesyncbatch3x3`` (spectral norm on the residual blocks' convolutions, batch
norm inside SPADE: plain batch norm here, one process; instance norm as a setting) with 128
hidden channels in each SPADE layer; ``norm_D = spectralinstance``, ``n_layers_D = 4``,
``num_D = 2``; hinge loss; ``lambda_feat = 10``; ``z_dim = 256``, ``lambda_kld = 0.05``; TTUR
learning rates: the generator's ``lr / 2 = 1e-4``, the critic's ``2 lr = 4e-4`` with Adam betas
(0, 0.9). The paper states beta2 = 0.999; an author said "the paper is wrong. We did use beta2
== 0.9" (NVlabs/SPADE#88, quoting #50), and the code uses 0.9 under TTUR: swgen follows the code.
No weight averaging (``ema_modules`` is empty).

Departures, on purpose: no VGG perceptual loss (the code's ``lambda_vgg = 10`` needs ImageNet
VGG19 weights, which swgen never downloads); no instance-boundary channel and no don't-care
label; the generator's depth follows the image size (``swgen.nn.spade.upsamplings``); at test
time without a style image the style encoder's codes are drawn from N(0, I) with a fixed seed
per call, so a synthesis repeats.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel, per_sample_noise, requires_grad
from swgen.models.gan_losses import critic_loss, generator_loss
from swgen.models.hyperparameters import check_positive
from swgen.nn.label_maps import one_hot
from swgen.nn.spade import MultiscalePatchCritic, SPADEGenerator, StyleEncoder
from swgen.nn.translation import pad_to_multiple
from swgen.registry import MODELS

STYLE_SEED = 0  # codes drawn at test time without a style image (see the module docstring)


@dataclass
class SPADEConfig:
    width: int = 64  # ngf, the generator's last block's channels (16x at the head), SPADE code
    critic_width: int = 64  # ndf, channels of each critic's first layer, SPADE code
    critic_layers: int = 4  # n_layers_D: convolutions before the scores (last at stride 1)
    num_d: int = 2  # num_D, critics at halving scales, SPADE code
    spade_hidden: int = 128  # nhidden, channels of each SPADE layer's shared conv, SPADE code
    norm: Literal["batch", "instance"] = "batch"  # SPADE's param-free norm (code: sync batch)
    spectral: bool = True  # spectral norm in G's residual blocks and D (norm_G, norm_D)
    loss: Literal["hinge", "bce", "lsgan", "wasserstein"] = "hinge"  # gan_mode, SPADE code
    lambda_feat: float = 10.0  # feature matching weight (over num_d critics), SPADE code
    style_encoder: bool = False  # --use_vae: start G from the code of an encoded image
    z_dim: int = 256  # style code size, SPADE code
    encoder_width: int = 64  # the style encoder's first channels (ndf), SPADE code
    lambda_kld: float = 0.05  # KL weight with the style encoder, SPADE code
    lr_generator: float = 1e-4  # TTUR: lr / 2 with lr = 2e-4, SPADE code
    lr_critic: float = 4e-4  # TTUR: 2 lr, SPADE code
    betas: tuple[float, float] = (0.0, 0.9)  # Adam under TTUR, SPADE code (paper: 0.999)

    def __post_init__(self) -> None:
        check_positive(self, "width", "critic_width", "critic_layers", "num_d", "spade_hidden")
        check_positive(self, "z_dim", "encoder_width", "lr_generator", "lr_critic")
        if self.lambda_feat < 0 or self.lambda_kld < 0:
            raise ValueError("lambda_feat and lambda_kld must be >= 0")


def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I)) = -1/2 sum (1 + logvar - mu^2 - exp(logvar))``,
    summed over every row and coordinate (the SPADE code's ``KLDLoss``, not a mean)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def feature_matching(
    fake: list[list[Tensor]], real: list[list[Tensor]], weight: float = 10.0
) -> Tensor:
    """``(weight / num_d) sum_k sum_j mean |fake_k^(j) - real_k^(j)|`` over every critic ``k``
    and its intermediate outputs ``j`` (all but its last, the scores); real features detached
    (the SPADE code's ``GAN_Feat_loss``)."""
    total = fake[0][0].new_zeros(())
    for fake_layers, real_layers in zip(fake, real, strict=True):
        for f, r in zip(fake_layers[:-1], real_layers[:-1], strict=True):
            total = total + F.l1_loss(f, r.detach())
    return total * weight / len(fake)


def multiscale_critic_loss(name: str, real: list[list[Tensor]], fake: list[list[Tensor]]) -> Tensor:
    """The critic's loss averaged over the critics' scores (each critic's last output)."""
    losses = [critic_loss(name, r[-1], f[-1]) for r, f in zip(real, fake, strict=True)]
    return torch.stack(losses).mean()


def multiscale_generator_loss(name: str, fake: list[list[Tensor]]) -> Tensor:
    """The generator's adversarial loss averaged over the critics (hinge: ``-E D_k(G(m))``)."""
    return torch.stack([generator_loss(name, f[-1]) for f in fake]).mean()


@MODELS.register("spade", summary="semantic image synthesis from label maps (Park et al. 2019)")
class SPADE(GenerativeModel):
    Config = SPADEConfig
    maps_data = True
    directions = ("AtoB",)  # label map -> image
    ema_modules = ()  # the code averages no weights
    latent_dim = 0

    def __init__(self, config: SPADEConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        if data.kind != "images" or data.map_classes < 1 or data.pairing != "paired":
            raise UserError(
                "spade synthesises images from label maps; give --data a folder with label/ "
                "(class-index PNGs) and image/ of the same names, or --data scenes"
            )
        c = config
        self.classes = data.map_classes
        channels = data.target_shape[0]
        self.generator = SPADEGenerator(
            self.classes, channels, c.width, data.image_size, c.spade_hidden, c.norm, c.spectral,
            z_dim=c.z_dim if c.style_encoder else 0,
        )  # fmt: skip
        self.critic = MultiscalePatchCritic(
            self.classes + channels, c.critic_width, c.critic_layers, c.num_d, c.spectral
        )
        generator_params = list(self.generator.parameters())
        if c.style_encoder:
            self.encoder = StyleEncoder(channels, c.encoder_width, data.image_size, c.z_dim)
            generator_params += list(self.encoder.parameters())
        self.style_code: Tensor | None = None  # see ``styled``
        self.optimizers = {
            "generator": torch.optim.Adam(generator_params, lr=c.lr_generator, betas=c.betas),
            "critic": torch.optim.Adam(self.critic.parameters(), lr=c.lr_critic, betas=c.betas),
        }

    # --- synthesis -----------------------------------------------------------------------------
    def encode(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``(z, mu, logvar)`` of images by the style encoder, ``z = mu + exp(logvar / 2) eps``."""
        mu, logvar = self.encoder(images)
        eps = per_sample_noise(len(images), mu.shape[1], device=mu.device, dtype=mu.dtype)
        return mu + eps * torch.exp(0.5 * logvar), mu, logvar

    def synthesise(self, maps: Tensor, real: Tensor) -> tuple[Tensor, Tensor | None]:
        """``(G(m), KL)`` for training: with the style encoder G starts from the real images'
        codes and the KL term is returned; else ``KL`` is ``None``."""
        if not self.config.style_encoder:
            return self.generator(maps), None
        z, mu, logvar = self.encode(real)
        return self.generator(maps, z), kl_divergence(mu, logvar)

    def discriminate(
        self, maps: Tensor, fake: Tensor, real: Tensor
    ) -> tuple[list[list[Tensor]], list[list[Tensor]]]:
        """Every critic's layer outputs for ``concat(m, fake)`` and ``concat(m, real)``, in one
        pass over both halves (as the code; instance norm keeps the rows apart)."""
        both = torch.cat([torch.cat([maps, fake], 1), torch.cat([maps, real], 1)])
        outputs = self.critic(both)
        n = len(fake)
        return [[o[:n] for o in out] for out in outputs], [[o[n:] for o in out] for out in outputs]

    # --- one step ------------------------------------------------------------------------------
    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        c = self.config
        assert batch.y is not None
        maps, real = one_hot(batch.x, self.classes).to(batch.y.dtype), batch.y

        requires_grad(self.critic, False)
        fake, kld = self.synthesise(maps, real)
        pred_fake, pred_real = self.discriminate(maps, fake, real)
        terms = {"adversarial": multiscale_generator_loss(c.loss, pred_fake)}
        if c.lambda_feat > 0:
            terms["feature_matching"] = feature_matching(pred_fake, pred_real, c.lambda_feat)
        if kld is not None:
            terms["kld"] = c.lambda_kld * kld
        loss_generator = sum(terms.values())
        self.optimize(loss_generator, self.optimizers["generator"])

        requires_grad(self.critic, True)
        with torch.no_grad():
            fake = self.synthesise(maps, real)[0]
        pred_fake, pred_real = self.discriminate(maps, fake, real)
        loss_critic = multiscale_critic_loss(c.loss, pred_real, pred_fake)
        self.optimize(loss_critic, self.optimizers["critic"])

        logs = {f"loss_{name}": value.detach() for name, value in terms.items()}
        return {
            **logs,
            "loss_generator": loss_generator.detach(),
            "loss_critic": loss_critic.detach(),
        }

    # --- translation ---------------------------------------------------------------------------
    @contextmanager
    def styled(self, code: Tensor | None) -> Iterator[None]:
        """Within the block, :meth:`translate` starts every synthesis from ``code`` (a (1, z_dim)
        style code of :meth:`style_of`), so ``swgen translate --style`` renders maps in the style
        of one image."""
        saved, self.style_code = self.style_code, code
        try:
            yield
        finally:
            self.style_code = saved

    @torch.no_grad()
    def style_of(self, image: Tensor) -> Tensor:
        """The style code (the encoder's mean) of one model-space image (1, C, H, W), resized to
        the training size."""
        if not self.config.style_encoder:
            raise UserError(
                "--style needs a run trained with the style encoder (model.style_encoder=true); "
                "drop --style"
            )
        size = self.data.image_size
        if image.shape[-2:] != (size, size):
            image = F.interpolate(image, size=(size, size), mode="bicubic", align_corners=False)
        return self.encoder(image.to(self.device))[0]

    @torch.no_grad()
    def translate(self, x: Tensor, direction: str) -> dict[str, Tensor]:
        """Label maps (n, 1, H, W) of class indices (any H, W) to images at their size: maps are
        padded (edge labels repeated) to a multiple of the generator's stride and the output
        cropped back."""
        if direction not in self.directions:
            raise UserError(f"unknown direction {direction!r}; spade maps labels to images (AtoB)")
        if x.numel() and (x.min() < 0 or x.max() >= self.classes):
            raise UserError(
                f"label maps hold class indices from {int(x.min())} to {int(x.max())}, but this "
                f"run knows {self.classes} classes (0..{self.classes - 1})"
            )
        height, width = x.shape[-2:]
        stride = 2**self.generator.ups
        maps = one_hot(pad_to_multiple(x.float(), stride, stride), self.classes)
        z = None
        if self.config.style_encoder:
            if self.style_code is not None:
                z = self.style_code.to(maps).expand(len(maps), -1)
            else:
                generator = torch.Generator().manual_seed(STYLE_SEED)
                z = torch.randn(len(maps), self.config.z_dim, generator=generator).to(maps)
        return {"output": self.generator(maps, z)[..., :height, :width]}

    def generate(self, z: Tensor) -> Tensor:
        raise UserError("spade synthesises images from label maps; it does not sample from noise")
