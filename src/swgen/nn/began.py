"""The official SWAE networks: a linear encoder and a BEGAN-style decoder (``"began"``).

Reproduces ``BEGANEncoder`` / ``BEGANGenerator`` of musikisomorphie/swd
``standard_training/swae_64x64.py``:

* encoder: nearest-neighbour downsampling of the image to 8 x 8, flatten, one ``Linear`` to
  ``out_features``. Nothing else: the code is an affine map of the image, and the model's primal
  SWD blocks (``swgen.models.swae``) make it Gaussian afterwards. ``width`` and ``norm`` do not
  apply.
* decoder: ``Linear(latent -> dim x 8 x 8)`` (no activation), then at each resolution from 8 x 8
  up to the image size two conv 3x3 + ELU, with nearest upsampling x2 between resolutions; conv
  3x3 to the image channels; tanh. The official code fixes ``dim = 32``, the default width.

Weights follow tflib's uniform initialisation with Glorot scaling (the official ``he_init=False``).
Departure: the official networks are for 64 x 64 (four resolutions); here any ``4 * 2**k`` size
of at least 8 pixels, with one resolution per doubling from 8.
"""

from __future__ import annotations

from torch import Tensor, nn

from swgen.nn.architectures import ARCHITECTURES, Architecture
from swgen.nn.init import tflib_uniform_
from swgen.nn.wgan_gp_mnist import check_min_size

SOURCE = "musikisomorphie/swd standard_training/swae_64x64.py (BEGANEncoder, BEGANGenerator)"
CODE_SIZE = 8  # the encoder sees the image at 8 x 8


class BEGANGenerator(nn.Module):
    """Latent codes ``(n, latent_dim)`` -> images ``(n, channels, size, size)`` in [-1, 1]."""

    def __init__(self, latent_dim: int, channels: int, image_size: int, width: int = 32) -> None:
        super().__init__()
        k = check_min_size("began", image_size, CODE_SIZE)
        self.project = nn.Sequential(
            tflib_uniform_(nn.Linear(latent_dim, width * CODE_SIZE * CODE_SIZE), he=False),
            nn.Unflatten(1, (width, CODE_SIZE, CODE_SIZE)),
        )
        layers: list[nn.Module] = []
        for resolution in range(k):  # 8, 16, ..., image_size
            if resolution > 0:
                layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
            for _ in range(2):
                conv = nn.Conv2d(width, width, 3, padding=1)
                layers += [tflib_uniform_(conv, he=False), nn.ELU()]
        conv = nn.Conv2d(width, channels, 3, padding=1)
        layers += [tflib_uniform_(conv, he=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.main(self.project(z))


class BEGANEncoder(nn.Module):
    """Images ``(n, channels, size, size)`` -> ``(n, out_features)``, an affine map."""

    def __init__(
        self, channels: int, image_size: int, out_features: int, width: int = 32,
        norm: str = "none",
    ) -> None:  # fmt: skip
        super().__init__()
        check_min_size("began", image_size, CODE_SIZE)
        linear = nn.Linear(channels * CODE_SIZE * CODE_SIZE, out_features)
        self.main = nn.Sequential(
            # 'nearest' keeps pixel floor(i * size / 8), as tf.image.resize_nearest_neighbor
            nn.Upsample(size=(CODE_SIZE, CODE_SIZE), mode="nearest"),
            nn.Flatten(),
            tflib_uniform_(linear, he=False),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


ARCHITECTURES.register("began")(Architecture(BEGANGenerator, BEGANEncoder, width=32, source=SOURCE))
