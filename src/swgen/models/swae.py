"""Sliced Wasserstein auto-encoder (Wu et al., CVPR 2019, Algorithm 2).

Encoder ``Q = S_p,m o ... o S_p,1 o E``: a network ``E`` to ``r``-dimensional codes followed by
``m`` primal SWD blocks (Algorithm 1), each moving the batch of codes towards the batch of
Gaussian noise ``z`` (one noise batch, shared by all blocks). The decoder ``G`` is trained with
the encoder by descending the reconstruction error only (no latent penalty: the blocks make the
codes Gaussian):

    minimise  mean (x - G(Q(x, z)))^2   (mean over pixels, as the official code's MSE).

Samples are ``G(z)`` with ``z ~ N(0, I_r)``. Defaults are the official code's: r = 128, m = 3,
32 bins, Adam lr 3e-4 betas (0, 0.9) over all weights (one optimiser). On swgen's shared networks
(``architecture="shared"``) the encoder is the conv stack without normalisation and the decoder
the DCGAN-style generator; ``architecture="paper"`` gives the official code's: a linear map of
the image downsampled to 8 x 8, and the BEGAN decoder (``swgen.nn.began``). ``transport="sort"``
replaces the soft-histogram map of every block by the exact rank map (for comparison).

Defaults by measurement (BENCHMARKS.md, "The settings behind SWGAN's and SWAE's defaults", run of
2026-11-26, digits, 400 steps, one seed): 30 blocks instead of the code's 3, since more blocks
win with both encoders (classifier FID 647 / 468 / 419 at 3 / 10 / 30 blocks on the shared
networks, 543 / 478 / 344 on the official ones), at about four times the cost per step. The
shared networks stay the default, as for every model (the official ones, which win at 30 blocks,
are ``architecture="paper"``). No setting made SWAE competitive with WAE (digits FID about 80): a
batch of 64 codes in 128 dimensions cannot be made Gaussian by per-direction transport without
being made nearly independent of the images, so the decoder is trained on codes unlike the noise
it is sampled on (or, with many blocks, learns an average image).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.data.base import Batch, DataInfo
from swgen.models.base import GenerativeModel
from swgen.models.gan import Norm, check_positive
from swgen.nn import build_encoder, build_generator
from swgen.registry import MODELS
from swgen.sliced import PrimalSWDBlock


@dataclass
class SWAEConfig:
    latent_dim: int = 128  # r, the code size, official code
    n_blocks: int = 30  # m primal SWD blocks; official code 3, 30 won by measurement (below)
    n_bins: int = 32  # l, soft-histogram bins per projection, official code
    alpha: float | None = None  # soft-assignment sharpness; None: the block's default
    transport: Literal["soft-histogram", "sort"] = "soft-histogram"  # paper; or exact ranks
    width: int | None = None  # None: 512 hidden units for points, 64 channels for images
    architecture: str = "shared"  # image networks: shared, paper (this model's own) or a name
    encoder_norm: Norm = "none"  # the official BEGAN-style encoder has no normalisation
    lr: float = 3e-4  # Adam, official code
    betas: tuple[float, float] = (0.0, 0.9)  # Adam, official code

    def __post_init__(self) -> None:
        check_positive(self, "latent_dim", "n_blocks", "n_bins", "lr")


@MODELS.register(
    "swae", summary="sliced Wasserstein auto-encoder, primal SWD blocks (Wu et al. 2019)"
)
class SWAE(GenerativeModel):
    Config = SWAEConfig
    paper_architecture = "began"  # official code: linear encoder of an 8x8 image, BEGAN decoder

    def __init__(self, config: SWAEConfig, data: DataInfo) -> None:
        super().__init__(config, data)
        c = config
        self.latent_dim = c.latent_dim
        self.encoder = build_encoder(data, c.latent_dim, c.width, c.encoder_norm, self.architecture)
        self.blocks = nn.ModuleList(
            PrimalSWDBlock(c.latent_dim, n_bins=c.n_bins, alpha=c.alpha, transport=c.transport)
            for _ in range(c.n_blocks)
        )
        self.generator = build_generator(
            data, c.latent_dim, c.width, self.architecture
        )  # the decoder G
        self.optimizers = {
            "autoencoder": torch.optim.Adam(self.parameters(), lr=c.lr, betas=c.betas)
        }

    def encode(self, x: Tensor, z: Tensor) -> Tensor:
        """``Q(x, z)``: codes of ``x`` moved towards the noise batch ``z`` by the blocks."""
        codes = self.encoder(x)
        for block in self.blocks:
            codes = block(codes, z)
        return codes

    def train_step(self, batch: Batch, step: int) -> dict[str, Tensor]:
        real = batch.x
        z = torch.randn(real.shape[0], self.latent_dim, device=real.device)
        loss = F.mse_loss(self.generator(self.encode(real, z)), real)
        self.optimize(loss, self.optimizers["autoencoder"])
        return {"loss_reconstruction": loss.detach()}
