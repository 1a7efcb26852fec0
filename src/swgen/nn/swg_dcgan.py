"""The official SWG (Deshpande et al., 2018) DCGAN networks (``"swg-dcgan"``).

Reproduces ishansd/swg ``generator_models/dcgan.py`` and ``discriminator_models/d_dcgan.py``
(batch norm, swgen's ``norm="batch"``) / ``layernorm_dcgan.py`` (layer norm, ``norm="layer"``),
written with ``tf.contrib.layers`` for 64 x 64 images:

* generator: ``Linear(latent -> 16*dim x 4 x 4)``, batch norm, ReLU; transposed conv 4x4
  stride 2 halving the channels down to ``2 * dim`` at half the image size (1024 -> 512 -> 256
  -> 128), each batch norm + ReLU; a conv 4x4 stride 1 keeping ``2 * dim``, batch norm, ReLU; a
  last transposed conv 4x4 stride 2 straight to the image channels, tanh.
* encoder (discriminator): conv 4x4 stride 2 to ``dim * min(2**h, 8)`` channels (64, 128, 256,
  512), each normalised (the first one too) and LeakyReLU(0.2); flatten; ``Linear`` without bias.

How it differs from swgen's shared DCGAN (``swgen/nn/conv.py``): twice the channels at 4 x 4,
the extra stride-1 conv before the last upsampling, which goes straight to the image channels
(no 3x3 output conv), a normalised first critic layer and no biases (``tf.contrib`` drops a
layer's bias when a normaliser follows it; the last layers have ``biases_initializer=None``).
Weights are Glorot-uniform, ``tf.contrib``'s default.

The official code feeds 100-d noise uniform on [-1, 1] (``gan.py``; the noise is the model's
choice, not the network's) and maps the tanh output to [0, 1]; swgen's images stay in [-1, 1].

Departures: ``tf.contrib``'s batch norm has no scale (only an offset); swgen's has both. A conv
keeps its bias when ``norm="none"`` leaves nothing to offset it. The official code is for 64 px;
here a ``4 * 2**k`` image (at least 8 px) gets ``k - 1`` upsampling convs before the stride-1
one, channels ``dim * min(2**h, 16)`` at ``h`` halvings below full size.
"""

from __future__ import annotations

from torch import Tensor, nn

from swgen.nn.architectures import ARCHITECTURES, Architecture
from swgen.nn.conv import make_norm, stage_channels
from swgen.nn.init import glorot_uniform_
from swgen.nn.wgan_gp_mnist import check_min_size

SOURCE = "ishansd/swg generator_models/dcgan.py, discriminator_models/d_dcgan.py"


def _generator_channels(width: int, halvings: int) -> int:
    return width * min(2**halvings, 16)


class SWGGenerator(nn.Module):
    """Latent codes ``(n, latent_dim)`` -> images ``(n, channels, size, size)`` in [-1, 1]."""

    def __init__(self, latent_dim: int, channels: int, image_size: int, width: int = 64) -> None:
        super().__init__()
        k = check_min_size("swg-dcgan", image_size)
        start = _generator_channels(width, k)
        self.project = nn.Sequential(
            nn.Linear(latent_dim, start * 4 * 4, bias=False),
            nn.BatchNorm1d(start * 4 * 4),  # tf.contrib normalises each of the 4*4*C features
            nn.ReLU(),
            nn.Unflatten(1, (start, 4, 4)),
        )
        layers: list[nn.Module] = []
        for h in reversed(range(1, k)):
            c_in, c_out = _generator_channels(width, h + 1), _generator_channels(width, h)
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
        c_half = _generator_channels(width, 1)
        layers += [
            nn.ZeroPad2d((1, 2, 1, 2)),  # TensorFlow's SAME for an even kernel: 1 before, 2 after
            nn.Conv2d(c_half, c_half, 4, bias=False),
            nn.BatchNorm2d(c_half),
            nn.ReLU(),
            nn.ConvTranspose2d(c_half, channels, 4, stride=2, padding=1, bias=False),
            nn.Tanh(),
        ]
        self.main = nn.Sequential(*layers)
        self.apply(glorot_uniform_)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(self.project(z))


class SWGEncoder(nn.Module):
    """Images ``(n, channels, size, size)`` -> features ``(n, out_features)``."""

    def __init__(
        self, channels: int, image_size: int, out_features: int, width: int = 64,
        norm: str = "layer",
    ) -> None:  # fmt: skip
        super().__init__()
        k = check_min_size("swg-dcgan", image_size)
        layers: list[nn.Module] = []
        c_in = channels
        for h in range(k):
            c_out = stage_channels(width, h)
            layers += [
                nn.Conv2d(c_in, c_out, 4, stride=2, padding=1, bias=norm == "none"),
                make_norm(norm, c_out),
                nn.LeakyReLU(0.2),
            ]
            c_in = c_out
        layers += [nn.Flatten(), nn.Linear(c_in * 4 * 4, out_features, bias=False)]
        self.main = nn.Sequential(*layers)
        self.apply(glorot_uniform_)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


ARCHITECTURES.register("swg-dcgan")(Architecture(SWGGenerator, SWGEncoder, width=64, source=SOURCE))
