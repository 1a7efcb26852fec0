"""The WGAN-GP 64 x 64 ResNet, as the official SWGAN code uses it (``"wgan-gp-resnet"``).

Reproduces ``GoodGenerator`` / ``GoodDiscriminator`` and their ``ResidualBlock`` of
musikisomorphie/swd ``standard_training/swgan_64x64.py`` (itself igul222/improved_wgan_training
``gan_64x64.py``):

* generator: ``Linear(latent -> 8*dim x 4 x 4)``, residual up-blocks (8, 8, 4, 2, 1) * dim,
  BatchNorm, ReLU, conv 3x3 to the image channels, tanh;
* encoder (critic / SWGAN feature map): conv 3x3 to ``dim``, residual down-blocks
  (1 -> 2 -> 4 -> 8 -> 8) * dim, flatten, ``Linear`` to ``out_features`` (128 in SWGAN).

A block is ``norm, ReLU, conv 3x3, norm, ReLU, conv 3x3`` plus a 1x1-conv shortcut; going up it
upsamples (nearest, tflib's ``UpsampleConv``) before the first conv and the shortcut's conv;
going down it mean-pools after the second conv (``ConvMeanPool``) and before the shortcut's conv
(``MeanPoolConv``). The generator's blocks use batch norm; the encoder's follow ``norm`` (the
SWGAN code uses layer norm there, swgen's ``"layer"``; WGAN-GP used batch norm). Weights follow
tflib's uniform initialisation, with the official He/Glorot choice per layer.

Departures: the official networks have 4 blocks (64 px); here an image of ``4 * 2**k`` pixels
gets ``k`` blocks, channels following swgen's schedule (``dim * min(2**h, 8)`` at ``h`` halvings
below full size), which is the official one at 64 px. Batch norm uses running statistics in eval
mode, where tflib always normalised with the batch's own.
"""

from __future__ import annotations

from torch import Tensor, nn

from swgen.nn.architectures import ARCHITECTURES, Architecture
from swgen.nn.conv import make_norm, num_stages, stage_channels
from swgen.nn.init import tflib_uniform_

SOURCE = "musikisomorphie/swd standard_training/swgan_64x64.py (GoodGenerator, GoodDiscriminator)"


class ResidualBlock(nn.Module):
    """``shortcut(x) + conv(act(norm(conv(act(norm(x))))))``, resampling ``"up"`` or ``"down"``."""

    def __init__(self, c_in: int, c_out: int, resample: str, norm: str) -> None:
        super().__init__()
        if resample not in ("up", "down"):
            raise ValueError(f"resample must be 'up' or 'down', got {resample!r}")
        up = resample == "up"
        # Official: the first conv changes the channels going up, the second going down.
        c_mid = c_out if up else c_in
        conv1 = tflib_uniform_(nn.Conv2d(c_in, c_mid, 3, padding=1, bias=False))
        conv2 = tflib_uniform_(nn.Conv2d(c_mid, c_out, 3, padding=1))
        shortcut_conv = tflib_uniform_(nn.Conv2d(c_in, c_out, 1), he=False)
        if up:
            self.shortcut = nn.Sequential(nn.Upsample(scale_factor=2), shortcut_conv)
            self.residual = nn.Sequential(
                make_norm(norm, c_in), nn.ReLU(), nn.Upsample(scale_factor=2), conv1,
                make_norm(norm, c_mid), nn.ReLU(), conv2,
            )  # fmt: skip
        else:
            self.shortcut = nn.Sequential(nn.AvgPool2d(2), shortcut_conv)
            self.residual = nn.Sequential(
                make_norm(norm, c_in), nn.ReLU(), conv1,
                make_norm(norm, c_mid), nn.ReLU(), conv2, nn.AvgPool2d(2),
            )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(x) + self.residual(x)


class ResNetGenerator(nn.Module):
    """Latent codes ``(n, latent_dim)`` -> images ``(n, channels, size, size)`` in [-1, 1]."""

    def __init__(self, latent_dim: int, channels: int, image_size: int, width: int = 64) -> None:
        super().__init__()
        k = num_stages(image_size)
        start = stage_channels(width, k)
        self.project = nn.Sequential(
            tflib_uniform_(nn.Linear(latent_dim, start * 4 * 4), he=False),
            nn.Unflatten(1, (start, 4, 4)),
        )
        blocks = [
            ResidualBlock(stage_channels(width, h + 1), stage_channels(width, h), "up", "batch")
            for h in reversed(range(k))
        ]
        self.main = nn.Sequential(
            *blocks,
            nn.BatchNorm2d(width),
            nn.ReLU(),
            tflib_uniform_(nn.Conv2d(width, channels, 3, padding=1)),
            nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.main(self.project(z))


class ResNetEncoder(nn.Module):
    """Images ``(n, channels, size, size)`` -> features ``(n, out_features)``."""

    def __init__(
        self, channels: int, image_size: int, out_features: int, width: int = 64,
        norm: str = "layer",
    ) -> None:  # fmt: skip
        super().__init__()
        k = num_stages(image_size)
        blocks = [
            ResidualBlock(stage_channels(width, h), stage_channels(width, h + 1), "down", norm)
            for h in range(k)
        ]
        c_last = stage_channels(width, k)
        self.main = nn.Sequential(
            tflib_uniform_(nn.Conv2d(channels, width, 3, padding=1), he=False),
            *blocks,
            nn.Flatten(),
            tflib_uniform_(nn.Linear(c_last * 4 * 4, out_features), he=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


ARCHITECTURES.register("wgan-gp-resnet")(
    Architecture(ResNetGenerator, ResNetEncoder, width=64, source=SOURCE)
)
