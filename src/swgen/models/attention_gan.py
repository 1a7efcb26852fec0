"""Attention-GAN for object transfiguration (Chen, Xu, Yang, Tao; ECCV 2018).

CycleGAN whose generators only change what they attend to. Each direction has an attention
network ``A`` (one channel in [0, 1]) and a transformation network ``T``:

* ``G(x) = A_X(x) * T_X(x) + (1 - A_X(x)) * x`` and ``F(y) = A_Y(y) * T_Y(y) + (1 - A_Y(y)) * y``
  (the paper's layered operation, Eq. 1; the cycle goes through the same layering);
* attention consistency: ``L_Acyc = E ||A_Y(G(x)) - A_X(x)||_1 + E ||A_X(F(y)) - A_Y(y)||_1``
  (what is attended before and after translation is the same region; the official code detaches
  the target ``A_X(x)``, as here);
* sparsity: ``L_sparse = E ||A_X(x)||_1 + E ||A_Y(y)||_1`` (attend to a small region);
* ``L = L_GAN(G, D_Y) + L_GAN(F, D_X) + lambda_cyc L_cyc + lambda_Acyc L_Acyc
  + lambda_sparse L_sparse``, minimised over ``T`` and ``A``, maximised over the critics.

Defaults from the official code (xinyuanc91/Attention-GAN, ``cycle2_attn_gan_model.py``,
``networks.py`` and ``scripts/train_attngan.sh``; reference-facts.md, section 3a): ``T`` a ResNet
generator (64 channels), ``A`` a 6-block ResNet generator with one output channel and
``clamp(|tanh|, 0, 1)``, 70 x 70 PatchGAN critics, LSGAN, ``lambda_cyc = 10``,
``lambda_sparse = lambda_Acyc = 1``, no identity loss (when switched on, as in the code, it asks
``T`` alone to leave target-domain images unchanged), history pool 50, Xavier initialisation with
gain 1, Adam lr 2e-4, betas (0.5, 0.999).

Departures: the code's separate Adam optimisers for ``T`` and ``A`` are one Adam here (Adam is
per-parameter, so the updates are the same); its step schedule (x0.1 after 100 epochs) is not
offered, swgen's ``train.lr_schedule=linear`` is; its instance norm keeps running statistics for
testing, swgen's normalises every image by its own. Everything else (losses, pool, step order,
options such as ``critic=swd``) is CycleGAN's (``swgen.models.cyclegan``). The paper's
supervised variant (attention masks given) is not implemented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch.nn.functional as F
from torch import Tensor, nn

from swgen.models.cyclegan import CycleGAN, CycleGANConfig
from swgen.nn.translation import AttentionGenerator, init_weights
from swgen.registry import MODELS


@dataclass
class AttentionGANConfig(CycleGANConfig):
    attention_width: int = 64  # channels of the attention networks' first layer, official code
    attention_blocks: int = 6  # residual blocks of the attention networks (resnet_6blocks), code
    lambda_sparse: float = 1.0  # weight of the attention sparsity L1, official code's loss_attn
    lambda_attention_cycle: float = 1.0  # weight of attention consistency, attn_cycle_weight
    lambda_identity: float = 0.0  # identity L1 weight (share of lambda_cycle); official code: 0
    init: Literal["normal", "xavier"] = "xavier"  # conv weights: Xavier (gain 1), official code


@MODELS.register(
    "attention-gan",
    summary="CycleGAN with attention masks for object transfiguration (Chen et al. 2018)",
)
class AttentionGAN(CycleGAN):
    Config = AttentionGANConfig

    def build_generator(self) -> nn.Module:
        c = self.config
        network = AttentionGenerator(
            self.data.channels, c.width, self.n_blocks, c.attention_width, c.attention_blocks
        )
        init_weights(network, c.init)
        return network

    def map_with_attention(self, network: nn.Module, x: Tensor) -> tuple[Tensor, Tensor | None]:
        return network.with_attention(x)

    def identity_map(self, network: nn.Module, x: Tensor) -> Tensor:
        return network.transform(x)  # the official code's identity loss: T alone

    def attention_losses(self, maps: dict[str, Tensor | None]) -> dict[str, Tensor]:
        """``lambda_sparse L_sparse`` and ``lambda_Acyc L_Acyc`` (module docstring)."""
        c = self.config
        a, b, fake_a, fake_b = (maps[k] for k in ("a", "b", "fake_a", "fake_b"))
        assert a is not None and b is not None and fake_a is not None and fake_b is not None
        sparse = a.abs().mean() + b.abs().mean()
        consistency = F.l1_loss(fake_b, a.detach()) + F.l1_loss(fake_a, b.detach())
        return {
            "sparse": c.lambda_sparse * sparse,
            "attention_cycle": c.lambda_attention_cycle * consistency,
        }
