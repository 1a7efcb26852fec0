"""The WGAN-GP MNIST networks, also CT-GAN's MNIST networks (``"wgan-gp-mnist"``).

Reproduces ``Generator`` / ``Discriminator`` of igul222/improved_wgan_training ``gan_mnist.py``
(``DIM = 64``); biuyq/CT-GAN ``CT-GANs/tensorflow_generative_model/CT_gan_mnist.py`` has the same
layers and adds dropout (keep 0.5) after each of the critic's three LeakyReLUs, which is where
swgen's ``FeatureCritic`` puts it (``dropout`` of the ``ctgan`` model):

* encoder (critic): conv 5x5 stride 2 to ``dim``, ``2 * dim``, ``4 * dim`` channels, each
  followed by LeakyReLU(0.2); flatten; ``Linear`` to ``out_features``. The official code
  normalises (batch norm) after the second and third convs only in its weight-clipping mode
  (``MODE == 'wgan'``), never in WGAN-GP or CT-GAN: ``norm`` goes there, and ``norm="none"`` is
  the WGAN-GP / CT-GAN critic.
* generator: ``Linear(latent -> 4*dim x 4 x 4)``, ReLU, transposed conv 5x5 stride 2 to
  ``2 * dim``, ReLU, to ``dim``, ReLU, to the image channels. Batch norm again only in the
  weight-clipping mode, so none here.

Weights follow tflib's uniform initialisation (He for the convs, Glorot for the linear layers).

Departures: the output is tanh, not sigmoid, since swgen's images are in [-1, 1]. MNIST is
28 x 28 and the official generator crops 8 x 8 to 7 x 7; here an image of ``4 * 2**k`` pixels
(at least 8) takes ``k`` stride-2 layers each way, channels ``dim * min(2**h, 8)``, which at
32 px are exactly the official 64 / 128 / 256. Convs pad 2 pixels on each side where
TensorFlow's ``SAME`` pads 1 before and 2 after: same sizes, kernels aligned one pixel apart.
"""

from __future__ import annotations

from torch import Tensor, nn

from swgen.errors import UserError
from swgen.nn.architectures import ARCHITECTURES, Architecture
from swgen.nn.conv import make_norm, num_stages, stage_channels
from swgen.nn.init import tflib_uniform_

SOURCE = "igul222/improved_wgan_training gan_mnist.py; biuyq/CT-GAN CT_gan_mnist.py"


def check_min_size(architecture: str, image_size: int, smallest: int = 8) -> int:
    """``k`` of ``image_size == 4 * 2**k``, refusing sizes below ``smallest``."""
    k = num_stages(image_size)
    if image_size < smallest:
        raise UserError(
            f"architecture {architecture!r} needs images of at least {smallest} pixels, "
            f"got {image_size}"
        )
    return k


class MnistGenerator(nn.Module):
    """Latent codes ``(n, latent_dim)`` -> images ``(n, channels, size, size)`` in [-1, 1]."""

    def __init__(self, latent_dim: int, channels: int, image_size: int, width: int = 64) -> None:
        super().__init__()
        k = check_min_size("wgan-gp-mnist", image_size)
        start = stage_channels(width, k - 1)
        self.project = nn.Sequential(
            tflib_uniform_(nn.Linear(latent_dim, start * 4 * 4), he=False),
            nn.ReLU(),
            nn.Unflatten(1, (start, 4, 4)),
        )
        layers: list[nn.Module] = []
        for h in reversed(range(k - 1)):
            layers += [_deconv(stage_channels(width, h + 1), stage_channels(width, h)), nn.ReLU()]
        layers += [_deconv(width, channels), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(self.project(z))


class MnistEncoder(nn.Module):
    """Images ``(n, channels, size, size)`` -> features ``(n, out_features)``."""

    def __init__(
        self, channels: int, image_size: int, out_features: int, width: int = 64,
        norm: str = "none",
    ) -> None:  # fmt: skip
        super().__init__()
        k = check_min_size("wgan-gp-mnist", image_size)
        layers: list[nn.Module] = []
        c_in = channels
        for h in range(k):
            c_out = stage_channels(width, h)
            conv = nn.Conv2d(c_in, c_out, 5, stride=2, padding=2)
            layers += [tflib_uniform_(conv, stride=2), make_norm(norm if h > 0 else "none", c_out)]
            layers.append(nn.LeakyReLU(0.2))
            c_in = c_out
        layers += [nn.Flatten(), tflib_uniform_(nn.Linear(c_in * 4 * 4, out_features), he=False)]
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


def _deconv(c_in: int, c_out: int) -> nn.ConvTranspose2d:
    """tflib's ``Deconv2D``: 5x5, stride 2, output twice the input size."""
    layer = nn.ConvTranspose2d(c_in, c_out, 5, stride=2, padding=2, output_padding=1)
    return tflib_uniform_(layer, stride=2)


ARCHITECTURES.register("wgan-gp-mnist")(
    Architecture(MnistGenerator, MnistEncoder, width=64, source=SOURCE)
)
