"""CycleGAN: unpaired image-to-image translation (Zhu, Park, Isola, Efros; ICCV 2017).

Two generators, ``G: A -> B`` (``generator_ab``) and ``F: B -> A`` (``generator_ba``), and two
critics, ``D_B`` (``critic_b``, real B against G(a)) and ``D_A`` (``critic_a``). With the LSGAN
loss (the default, paper Sec. 4 and the code's ``gan_mode="lsgan"``):

* generators: minimise ``E (D_B(G(a)) - 1)^2 + E (D_A(F(b)) - 1)^2
  + lambda (E ||F(G(a)) - a||_1 + E ||G(F(b)) - b||_1)``   (adversarial + cycle, Eq. 1-3)
  ``+ lambda_identity * lambda (E ||G(b) - b||_1 + E ||F(a) - a||_1)``    (identity, Sec. 5.2),
* critics: minimise ``0.5 (E (D_B(b) - 1)^2 + E D_B(G(a)_pool)^2)`` and the same for ``D_A``,

where ``G(a)_pool`` comes from a history of 50 generated images (Shrivastava et al. 2017): until
the history is full every image is stored and used; then each image replaces a random stored
one with probability 1/2, which the critic sees instead (``HistoryPool``). The history is a
buffer, so a checkpoint carries it and a resumed run continues the same run. One step is one
update of both generators (one Adam) and then one of both critics (another Adam), as the code's
``optimize_parameters``. The lecture's slide swaps the LSGAN targets; the paper's and code's are
used (reference-facts.md, section 4).

Defaults and their sources (the CycleGAN code, ``options/*.py`` and ``cycle_gan_model.py``):
``ngf = ndf = 64``; ResNet generators with 6 residual blocks below 256 px and 9 from 256 px (the
paper); 70 x 70 PatchGAN critics (fewer layers on small images, ``swgen.nn.translation``);
instance norm; weights N(0, 0.02); ``lambda = 10`` (``lambda_A = lambda_B``);
``lambda_identity = 0.5`` (of ``lambda``); pool 50; Adam lr 2e-4, betas (0.5, 0.999); batch 1;
constant then linearly decaying learning rate (100 + 100 epochs), which is swgen's
``train.lr_schedule=linear train.lr_decay_start=0.5``; no weight averaging (``ema_modules`` is
empty, so ``train.ema_decay`` does nothing here).

Options beyond the paper: ``loss="bce"`` (the code's ``vanilla``); ``critic="swd"``, the SWGAN
critic (an encoder to ``code_dim`` features followed by dual SWD blocks, Wu et al. 2019) with its
Algorithm 4 loss and SWGAN's penalty weights: the lecture's "dimension-based division" of the
critic into 1-D distances; the generators then minimise ``E D(G(a))`` instead of an LSGAN term.
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
from swgen.models.swgan import SWGANConfig, SWGANCritic, sliced_critic_loss
from swgen.nn import build_encoder
from swgen.nn.translation import (
    PatchCritic,
    ResnetGenerator,
    check_training_size,
    init_weights,
    patch_layers,
    resnet_blocks,
    translate_any_size,
)
from swgen.registry import MODELS

GAN_LOSSES = ("lsgan", "bce")


@dataclass
class CycleGANConfig:
    width: int = 64  # ngf, channels of the generators' first layer, CycleGAN code
    critic_width: int = 64  # ndf, channels of the critics' first layer, CycleGAN code
    n_blocks: int | None = None  # residual blocks; None: 6 below 256 px, 9 from 256 px (paper)
    critic_layers: int | None = None  # PatchGAN stride-2 layers; None: 3 (70 px patches) from 32 px
    loss: Literal["lsgan", "bce"] = "lsgan"  # adversarial loss, CycleGAN code's gan_mode
    critic: Literal["patch", "swd"] = "patch"  # PatchGAN, or SWGAN's sliced critic (dual SWD)
    code_dim: int = 128  # critic=swd: encoder features, each a dual SWD block's size (SWGAN code)
    lambda_cycle: float = 10.0  # weight of the cycle L1 terms, CycleGAN code's lambda_A, lambda_B
    lambda_identity: float = 0.5  # identity L1 weight as a share of lambda_cycle, CycleGAN code
    pool_size: int = 50  # generated images each critic keeps in its history, CycleGAN code
    init: Literal["normal", "xavier"] = "normal"  # N(0, 0.02) weights; xavier: Attention-GAN
    lr: float = 2e-4  # Adam, generators and critics, CycleGAN code
    betas: tuple[float, float] = (0.5, 0.999)  # Adam, CycleGAN code

    def __post_init__(self) -> None:
        check_positive(self, "width", "critic_width", "code_dim", "lr")


def adversarial_loss(kind: str, scores: Tensor, real: bool) -> Tensor:
    """LSGAN ``E (s - t)^2`` or binary cross-entropy on logits, with target ``t`` 1 (real) or 0.

    Kept here until swgen has a registry of GAN losses by name; then this is one lookup in it.
    """
    target = torch.full_like(scores, 1.0 if real else 0.0)
    if kind == "lsgan":
        return F.mse_loss(scores, target)
    return F.binary_cross_entropy_with_logits(scores, target)


class HistoryPool(nn.Module):
    """The last ``size`` generated images a critic saw, as buffers (see the module docstring)."""

    def __init__(self, size: int, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.size = size
        self.register_buffer("images", torch.zeros(size, *shape))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def query(self, images: Tensor) -> Tensor:
        """The images the critic trains on: each new one, or (once full, with probability 1/2)
        a stored one that the new one replaces. Draws from torch's global generator."""
        if self.size == 0:
            return images
        out = []
        for image in images:
            count = int(self.count)
            if count < self.size:
                self.images[count] = image
                self.count += 1
                out.append(image)
            elif torch.rand(()) > 0.5:
                index = int(torch.randint(self.size, ()))
                out.append(self.images[index].clone())
                self.images[index] = image
            else:
                out.append(image)
        return torch.stack(out)


@MODELS.register("cyclegan", summary="unpaired image-to-image translation (Zhu et al. 2017)")
class CycleGAN(GenerativeModel):
    Config = CycleGANConfig
    maps_data = True
    directions = ("AtoB", "BtoA")
    ema_modules = ()  # the paper averages no weights
    latent_dim = 0

    def __init__(self, config: CycleGANConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        if data.kind != "images" or data.pairing != "unpaired":
            raise UserError(
                f"{type(self).__name__.lower()} translates between two image domains; give "
                "--data a folder with trainA/ and trainB/ (or train/A and train/B), or "
                "--data digits-recolour"
            )
        patch_critic_layers = config.critic_layers if config.critic == "patch" else None
        check_training_size(data.image_size, patch_critic_layers)  # before a run folder is made
        self.n_blocks = config.n_blocks or resnet_blocks(data.image_size)
        self.generator_ab = self.build_generator()
        self.generator_ba = self.build_generator()
        self.critic_a = self.build_critic()
        self.critic_b = self.build_critic()
        self.pool_a = HistoryPool(config.pool_size, data.shape)
        self.pool_b = HistoryPool(config.pool_size, data.shape)
        generators = [*self.generator_ab.parameters(), *self.generator_ba.parameters()]
        critics = [*self.critic_a.parameters(), *self.critic_b.parameters()]
        self.optimizers = {
            "generator": torch.optim.Adam(generators, lr=config.lr, betas=config.betas),
            "critic": torch.optim.Adam(critics, lr=config.lr, betas=config.betas),
        }

    # --- networks ------------------------------------------------------------------------------
    def build_generator(self) -> nn.Module:
        c = self.config
        network = ResnetGenerator(self.data.channels, self.data.channels, c.width, self.n_blocks)
        init_weights(network, c.init)
        return network

    def build_critic(self) -> nn.Module:
        c = self.config
        if c.critic == "swd":
            swgan = SWGANConfig()
            encoder = build_encoder(self.data, c.code_dim, c.critic_width, swgan.critic_norm)
            return SWGANCritic(encoder, c.code_dim, swgan.n_blocks, swgan.negative_slope)
        layers = c.critic_layers or patch_layers(self.data.image_size)
        network = PatchCritic(self.data.channels, c.critic_width, layers)
        init_weights(network, c.init)
        return network

    def map_with_attention(self, network: nn.Module, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """``(network(x), its attention map or None)``; CycleGAN's generators have none."""
        return network(x), None

    def identity_map(self, network: nn.Module, x: Tensor) -> Tensor:
        """What the identity loss asks to leave ``x`` unchanged: the generator itself."""
        return network(x)

    def generators(self, direction: str) -> nn.Module:
        if direction not in self.directions:
            raise UserError(f"unknown direction {direction!r}; choose AtoB or BtoA")
        return self.generator_ab if direction == "AtoB" else self.generator_ba

    # --- losses --------------------------------------------------------------------------------
    def generator_adversarial(self, critic: nn.Module, fake: Tensor) -> Tensor:
        if self.config.critic == "swd":
            return critic(fake).mean()  # SWGAN's sign: the critic is low on real images
        return adversarial_loss(self.config.loss, critic(fake), real=True)

    def critic_loss(
        self, critic: nn.Module, real: Tensor, fake: Tensor
    ) -> tuple[Tensor, dict[str, Tensor]]:
        if self.config.critic == "swd":
            return sliced_critic_loss(critic, real, fake)
        kind = self.config.loss
        loss = 0.5 * (
            adversarial_loss(kind, critic(real), real=True)
            + adversarial_loss(kind, critic(fake), real=False)
        )
        return loss, {}

    def attention_losses(self, maps: dict[str, Tensor | None]) -> dict[str, Tensor]:
        """Extra generator terms from the attention maps (Attention-GAN); none here."""
        return {}

    # --- one step ------------------------------------------------------------------------------
    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        c = self.config
        real_a, real_b = batch.x, batch.y
        assert real_b is not None
        critics = [self.critic_a, self.critic_b]

        requires_grad(critics, False)
        fake_b, attention_a = self.map_with_attention(self.generator_ab, real_a)
        rec_a, attention_fake_b = self.map_with_attention(self.generator_ba, fake_b)
        fake_a, attention_b = self.map_with_attention(self.generator_ba, real_b)
        rec_b, attention_fake_a = self.map_with_attention(self.generator_ab, fake_a)
        terms = {
            "adversarial": self.generator_adversarial(self.critic_b, fake_b)
            + self.generator_adversarial(self.critic_a, fake_a),
            "cycle": c.lambda_cycle * (F.l1_loss(rec_a, real_a) + F.l1_loss(rec_b, real_b)),
        }
        if c.lambda_identity > 0:
            weight = c.lambda_identity * c.lambda_cycle
            identity_b = self.identity_map(self.generator_ab, real_b)
            identity_a = self.identity_map(self.generator_ba, real_a)
            terms["identity"] = weight * (
                F.l1_loss(identity_b, real_b) + F.l1_loss(identity_a, real_a)
            )
        maps = {
            "a": attention_a, "fake_b": attention_fake_b,
            "b": attention_b, "fake_a": attention_fake_a,
        }  # fmt: skip
        terms.update(self.attention_losses(maps))
        loss_generator = sum(terms.values())
        self.optimize(loss_generator, self.optimizers["generator"])

        requires_grad(critics, True)
        loss_a, logs_a = self.critic_loss(self.critic_a, real_a, self.pool_a.query(fake_a.detach()))
        loss_b, logs_b = self.critic_loss(self.critic_b, real_b, self.pool_b.query(fake_b.detach()))
        self.optimize(loss_a + loss_b, self.optimizers["critic"])

        logs = {f"loss_{name}": value.detach() for name, value in terms.items()}
        for suffix, extra in (("a", logs_a), ("b", logs_b)):
            logs.update(
                {f"{k}_{suffix}": v.detach() for k, v in extra.items() if k != "loss_critic"}
            )
        return {
            **logs,
            "loss_generator": loss_generator.detach(),
            "loss_critic_a": loss_a.detach(),
            "loss_critic_b": loss_b.detach(),
        }

    # --- translation ---------------------------------------------------------------------------
    def translate(self, x: Tensor, direction: str) -> dict[str, Tensor]:
        network = self.generators(direction)
        output, attention = translate_any_size(
            lambda padded: self.map_with_attention(network, padded), x
        )
        return (
            {"output": output} if attention is None else {"output": output, "attention": attention}
        )

    def generate(self, z: Tensor) -> Tensor:
        raise UserError("cyclegan translates images; it does not sample from noise")
