"""DCGAN-style convolutional generator and encoder that adapt to the image size.

One family serves 8, 16, 32, 64, ... pixel images with 1 or 3 channels (sizes ``4 * 2**k``):

* generator: ``Linear(latent -> C0 x 4 x 4)``, then ``k`` upsampling stages (transposed conv 4x4
  stride 2, or nearest upsampling + conv 3x3), each BatchNorm + ReLU, then conv 3x3 to the image
  channels and tanh. At 32 px with ``width=64`` this is Mimicry's DCGAN-32 generator
  (512 -> 256 -> 128 -> 64 channels).
* encoder: ``k`` stride-2 conv 4x4 stages with LeakyReLU(0.2) down to 4 x 4, flatten, Linear to
  ``out_features``. ``norm`` picks the normalisation after every stage but the first (DCGAN leaves
  the first unnormalised); WGAN-GP and SWGAN critics must not use batch norm (the gradient penalty
  is per sample), hence the default ``"layer"`` (GroupNorm with one group).

``width`` is the number of channels of the highest-resolution stage; each halving of the
resolution doubles it, up to ``8 * width`` (DCGAN's ``ngf * 8``). Weights are initialised as in
DCGAN (Radford et al., 2016): conv weights N(0, 0.02), batch-norm scales N(1, 0.02).
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from swgen.errors import UserError

NORMS = ("none", "layer", "batch", "instance")
UPSAMPLES = ("transpose", "nearest")


def num_stages(image_size: int) -> int:
    """``k`` with ``image_size == 4 * 2**k``; any other size is a user error."""
    k = round(math.log2(max(image_size, 1) / 4))
    if k < 0 or 4 * 2**k != image_size:
        raise UserError(
            f"image size {image_size} is not supported by the convolutional networks; "
            "use 4 * 2**k pixels, e.g. 16, 32 or 64"
        )
    return k


def stage_channels(width: int, halvings: int) -> int:
    """Channels of a stage ``halvings`` resolution halvings below the full-resolution stage."""
    return width * min(2**halvings, 8)


def check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UserError(f"unknown {what} {value!r}; choose one of: {', '.join(choices)}")


def make_norm(norm: str, channels: int) -> nn.Module:
    """A normalisation layer by name (see ``NORMS``)."""
    check_choice("normalisation", norm, NORMS)
    if norm == "none":
        return nn.Identity()
    if norm == "layer":
        return nn.GroupNorm(1, channels)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    return nn.InstanceNorm2d(channels, affine=True)


def dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation, applied with ``network.apply(dcgan_init)``."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class ConvGenerator(nn.Module):
    """Latent codes ``(n, latent_dim)`` -> images ``(n, channels, size, size)`` in [-1, 1]."""

    def __init__(
        self,
        latent_dim: int,
        channels: int,
        image_size: int,
        width: int = 64,
        upsample: str = "transpose",
    ) -> None:
        super().__init__()
        check_choice("upsampling", upsample, UPSAMPLES)
        k = num_stages(image_size)
        self.start_channels = stage_channels(width, k)
        self.project = nn.Sequential(
            nn.Linear(latent_dim, self.start_channels * 4 * 4),
            nn.Unflatten(1, (self.start_channels, 4, 4)),
            nn.BatchNorm2d(self.start_channels),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        for stage in range(1, k + 1):
            c_in, c_out = stage_channels(width, k - stage + 1), stage_channels(width, k - stage)
            if upsample == "transpose":
                layers.append(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1))
            else:
                layers += [
                    nn.Upsample(scale_factor=2, mode="nearest"),
                    nn.Conv2d(c_in, c_out, 3, 1, 1),
                ]
            layers += [nn.BatchNorm2d(c_out), nn.ReLU()]
        layers += [nn.Conv2d(stage_channels(width, 0), channels, 3, 1, 1), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(self.project(z))


class ConvEncoder(nn.Module):
    """Images ``(n, channels, size, size)`` -> features ``(n, out_features)`` (a critic if 1)."""

    def __init__(
        self,
        channels: int,
        image_size: int,
        out_features: int,
        width: int = 64,
        norm: str = "layer",
    ) -> None:
        super().__init__()
        check_choice("normalisation", norm, NORMS)
        k = num_stages(image_size)
        layers: list[nn.Module] = []
        c_in = channels
        for stage in range(1, k + 1):
            c_out = stage_channels(width, stage - 1)
            layers.append(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1))
            layers.append(make_norm(norm if stage > 1 else "none", c_out))
            layers.append(nn.LeakyReLU(0.2))
            c_in = c_out
        layers += [nn.Flatten(), nn.Linear(c_in * 4 * 4, out_features)]
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)
