"""pix2pix: paired image-to-image translation with a conditional GAN (Isola, Zhu, Zhou, Efros;
CVPR 2017).

A U-Net generator ``G`` (``swgen.nn.unet``) maps an input ``x`` to an output; a conditional
PatchGAN critic ``D`` scores overlapping patches of the pair ``[x, y]`` (channels concatenated).
With the paper's loss (Eq. 4, the code's ``gan_mode="vanilla"``, a sigmoid cross-entropy):

* generator: minimise ``E g(D(x, G(x))) + lambda_L1 E ||y - G(x)||_1``   (cGAN + L1, Eq. 1-4),
* critic: minimise ``0.5 (E f1(D(x, y)) + E f2(D(x, G(x))))``            (halved, as the code),

with ``f1, f2, g`` the named loss's per-sample terms (``swgen.models.gan_losses``; ``bce``:
``f1(d) = g(d) = softplus(-d) = -log sigma(d)``, ``f2(d) = softplus(d)``). The paper's noise
``z`` is not an input: the generator's only randomness is dropout (Sec. 2.1), which the code
keeps on at test time. One step is one critic update and then one generator update (the code's
``optimize_parameters``), both on the same ``G(x)``; no history of generated images.

Test time (``test_dropout``): the code's ``test.py`` never calls ``model.eval()`` unless given
``--eval``, so by default dropout stays on and batch norm normalises with the statistics of the
test batch, as in the paper (Sec. 2.1, 6.1.3). swgen's default is ``test_dropout=false``, the
code's ``--eval``: dropout off and batch norm's running statistics, so a translation is a fixed
function of its input, the same in every command, chunk and batch (reproducible outputs, and
metrics that do not depend on how held-out inputs are grouped). ``test_dropout=true`` is the
paper's behaviour, with dropout masks drawn from a fixed seed (``TEST_NOISE_SEED``) at every
call, so even it repeats exactly, and batch norm's running statistics left untouched.

Defaults and their sources (the code's ``options/*.py``, ``pix2pix_model.py``, ``networks.py``):
``ngf = ndf = 64``; ``unet_256`` (8 levels at 256 px: log2 of the size, ``num_downs``); dropout
0.5 just outside the innermost level (``swgen.nn.unet`` says which levels at small sizes); the
70 x 70 PatchGAN (3 stride-2 layers; fewer on small images, ``swgen.nn.translation``) on the
6-channel pair; batch norm in both; weights N(0, 0.02); ``lambda_L1 = 100``; Adam lr 2e-4,
betas (0.5, 0.999); batch 1 (the presets take a few images); 100 epochs constant and 100 decaying
to zero (``train.lr_schedule=linear train.lr_decay_start=0.5``); no weight averaging.

Options beyond the paper: ``loss`` lsgan, hinge or wasserstein (the last meaningful only with a
Lipschitz critic); ``critic="swd"``, SWGAN's critic (an encoder of the pair to ``code_dim``
features and dual SWD blocks, Wu et al. 2019) with its Algorithm 4 loss and penalties, as
``cyclegan critic=swd``; the generator then minimises ``E D(x, G(x))``. Label maps as inputs
(``DataInfo.map_classes > 0``): the map is one-hot encoded (``swgen.nn.label_maps``) before the
generator and in the critic's pair, the paper's labels -> photo tasks.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.errors import UserError
from swgen.models.base import GenerativeModel, requires_grad
from swgen.models.gan import check_positive
from swgen.models.gan_losses import critic_loss, generator_loss
from swgen.models.swgan import SWGANConfig, SWGANCritic, sliced_critic_loss
from swgen.nn import build_encoder
from swgen.nn.label_maps import one_hot
from swgen.nn.translation import (
    PatchCritic,
    check_critic_layers,
    init_weights,
    patch_layers,
    translate_any_size,
)
from swgen.nn.unet import UnetGenerator, check_unet_size, default_dropout_blocks, unet_depth
from swgen.registry import MODELS

TEST_NOISE_SEED = 0  # test_dropout=true: the dropout masks of every translation call


@dataclass
class Pix2PixConfig:
    width: int = 64  # ngf, channels of the U-Net's outermost level, pix2pix code
    critic_width: int = 64  # ndf, channels of the critic's first layer, pix2pix code
    num_downs: int | None = None  # U-Net levels; None: log2 of the image size (8 at 256 px)
    dropout_blocks: int | None = None  # levels with dropout 0.5; None: 3 (code, swgen.nn.unet)
    critic_layers: int | None = None  # PatchGAN stride-2 layers; None: 3 (70 px patches) from 32 px
    loss: Literal["bce", "lsgan", "hinge", "wasserstein"] = "bce"  # code's gan_mode vanilla
    critic: Literal["patch", "swd"] = "patch"  # conditional PatchGAN, or SWGAN's sliced critic
    code_dim: int = 128  # critic=swd: encoder features, each a dual SWD block's size (SWGAN code)
    lambda_l1: float = 100.0  # weight of the L1 term, pix2pix code's lambda_L1
    test_dropout: bool = False  # paper: dropout and batch statistics at test too (docstring)
    lr: float = 2e-4  # Adam, generator and critic, pix2pix code
    betas: tuple[float, float] = (0.5, 0.999)  # Adam, pix2pix code

    def __post_init__(self) -> None:
        check_positive(self, "width", "critic_width", "code_dim", "lr")
        if self.lambda_l1 < 0:
            raise ValueError(f"lambda_l1 must be >= 0, got {self.lambda_l1}")
        if self.dropout_blocks is not None and self.dropout_blocks < 0:
            raise ValueError(f"dropout_blocks must be >= 0, got {self.dropout_blocks}")


@MODELS.register("pix2pix", summary="paired image-to-image translation, U-Net + cGAN (Isola 2017)")
class Pix2Pix(GenerativeModel):
    Config = Pix2PixConfig
    maps_data = True
    directions = ("AtoB",)  # the data's inputs to their targets (data.direction picks which)
    ema_modules = ()  # the paper averages no weights
    latent_dim = 0

    def __init__(self, config: Pix2PixConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        if data.kind != "images" or data.pairing != "paired":
            raise UserError(
                "pix2pix translates paired images; give --data a folder with input/ and "
                "target/, or pix2pix's aligned layout as --data paired-folders "
                "data.path=FOLDER (FOLDER/train/*.jpg, each input | target side by side), or "
                "--data digits-pairs"
            )
        self.num_downs = config.num_downs or unet_depth(data.image_size)
        check_unet_size(data.image_size, self.num_downs)  # before a run folder is made
        if config.critic == "patch":
            check_critic_layers(data.image_size, config.critic_layers)
        # Label maps enter as one channel per class (one-hot), images as they are.
        self.in_channels = data.map_classes or data.channels
        self.out_channels = data.target_shape[0]
        self.generator = UnetGenerator(
            self.in_channels, self.out_channels, config.width, self.num_downs,
            default_dropout_blocks(self.num_downs)
            if config.dropout_blocks is None else config.dropout_blocks,
        )  # fmt: skip
        init_weights(self.generator)
        self.critic = self.build_critic()
        self.optimizers = {
            "generator": torch.optim.Adam(
                self.generator.parameters(), lr=config.lr, betas=config.betas
            ),
            "critic": torch.optim.Adam(self.critic.parameters(), lr=config.lr, betas=config.betas),
        }

    def build_critic(self) -> nn.Module:
        c = self.config
        pair_channels = self.in_channels + self.out_channels
        if c.critic == "swd":
            swgan = SWGANConfig()
            pair = dataclasses.replace(self.data, shape=(pair_channels, *self.data.shape[1:]))
            encoder = build_encoder(pair, c.code_dim, c.critic_width, swgan.critic_norm)
            return SWGANCritic(encoder, c.code_dim, swgan.n_blocks, swgan.negative_slope)
        layers = c.critic_layers or patch_layers(self.data.image_size)
        network = PatchCritic(pair_channels, c.critic_width, layers, norm="batch")
        init_weights(network)
        return network

    # --- the conditional pair ------------------------------------------------------------------
    def generator_input(self, x: Tensor) -> Tensor:
        """The generator's input for data inputs ``x``: one-hot channels for label maps."""
        return one_hot(x, self.data.map_classes).to(x.dtype) if self.data.map_classes else x

    @staticmethod
    def pair(condition: Tensor, image: Tensor) -> Tensor:
        """What the conditional critic sees: input and output concatenated along channels."""
        return torch.cat([condition, image], dim=1)

    # --- losses --------------------------------------------------------------------------------
    def critic_loss(self, real: Tensor, fake: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """``0.5 (E f1(D(x, y)) + E f2(D(x, G(x))))``, or SWGAN's Algorithm 4 loss."""
        if self.config.critic == "swd":
            loss, logs = sliced_critic_loss(self.critic, real, fake)
            return loss, {k: v for k, v in logs.items() if k != "loss_critic"}
        return 0.5 * critic_loss(self.config.loss, self.critic(real), self.critic(fake)), {}

    def generator_adversarial(self, fake: Tensor) -> Tensor:
        if self.config.critic == "swd":
            return self.critic(fake).mean()  # SWGAN's sign: the critic is low on real pairs
        return generator_loss(self.config.loss, self.critic(fake))

    # --- one step ------------------------------------------------------------------------------
    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        c = self.config
        target = batch.y
        assert target is not None
        condition = self.generator_input(batch.x)
        fake = self.generator(condition)

        requires_grad(self.critic, True)
        loss_critic, logs = self.critic_loss(
            self.pair(condition, target), self.pair(condition, fake.detach())
        )
        self.optimize(loss_critic, self.optimizers["critic"])

        requires_grad(self.critic, False)
        terms = {
            "adversarial": self.generator_adversarial(self.pair(condition, fake)),
            "l1": c.lambda_l1 * F.l1_loss(fake, target),
        }
        loss_generator = terms["adversarial"] + terms["l1"]
        self.optimize(loss_generator, self.optimizers["generator"])
        requires_grad(self.critic, True)
        return {
            **{f"loss_{name}": value.detach() for name, value in terms.items()},
            **{name: value.detach() for name, value in logs.items()},
            "loss_generator": loss_generator.detach(),
            "loss_critic": loss_critic.detach(),
        }

    # --- translation ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def test_mode(self) -> Iterator[None]:
        """The generator as translations use it (module docstring, ``test_dropout``): eval mode;
        or train mode with batch norm's running statistics restored afterwards and dropout
        drawn from ``TEST_NOISE_SEED``, apart from the global random stream."""
        was_training = self.generator.training
        if not self.config.test_dropout:
            self.generator.eval()
            try:
                yield
            finally:
                self.generator.train(was_training)
            return
        saved = {name: b.clone() for name, b in self.generator.named_buffers()}
        device = self.device
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(TEST_NOISE_SEED)
            self.generator.train()
            try:
                yield
            finally:
                self.generator.train(was_training)
                for name, buffer in self.generator.named_buffers():
                    buffer.copy_(saved[name])

    def translate(self, x: Tensor, direction: str) -> dict[str, Tensor]:
        if direction not in self.directions:
            raise UserError(
                f"pix2pix maps its data's inputs to their targets only (direction AtoB), not "
                f"{direction!r}; train with data.direction=BtoA for the other way"
            )
        stride = self.generator.stride
        with self.test_mode():
            output = translate_any_size(
                lambda padded: self.generator(self.generator_input(padded)), x, stride, stride
            )
        return {"output": output}

    def generate(self, z: Tensor) -> Tensor:
        raise UserError("pix2pix translates images; it does not sample from noise")
