"""The official WAE MNIST networks (``"wae-dcgan"``).

Reproduces ``dcgan_encoder`` and ``dcgan_decoder`` (``g_arch = 'dcgan_mod'``) of tolstikhin/wae
``models.py`` with ``config_mnist`` of its ``configs.py``: ``e_num_filters = g_num_filters =
1024``, ``e_num_layers = 4``, ``g_num_layers = 3``, ``conv_filters_dim = 4``, ``batch_norm =
True``, weights N(0, 0.0099999) (``ops.py``):

* encoder: ``e_num_layers`` conv 4x4 stride 2 with ``num_filters / 2**(layers - 1 - i)``
  channels (128, 256, 512, 1024), each normalised (batch norm in the official code, ``norm``
  here) and ReLU; flatten; ``Linear`` to ``out_features`` (the code size).
* decoder: ``Linear(latent -> num_filters x S/4 x S/4)``, ReLU; ``g_num_layers - 1`` transposed
  conv 4x4 stride 2, halving the channels (512, 256), each batch norm + ReLU; a last transposed
  conv 4x4 stride 1 to the image channels.

``width`` is ``num_filters``, the channels of the widest layer (1024 in the paper).

Departures: tanh output (the official MNIST setting ``input_normalize_sym = False`` uses sigmoid
for images in [0, 1]; swgen's are in [-1, 1]). The official layers are for 28 px (the encoder
ends at 2 x 2, the decoder starts at 7 x 7); here a ``4 * 2**k`` image (at least 8 px) takes
``k + 1`` encoder layers (down to 2 x 2, 4 at 32 px as in the paper) and ``k`` decoder layers
(from 8 x 8, 3 at 32 px as in the paper). The last, stride-1 transposed conv is written as the
convolution it equals (kernel flipped, TensorFlow's ``SAME`` padding mirrored: 2 before, 1
after), with the same parameters. The official encoder's input noise (``e_noise``) belongs to the
model, not the network.
"""

from __future__ import annotations

from torch import Tensor, nn

from swgen.nn.architectures import ARCHITECTURES, Architecture
from swgen.nn.conv import make_norm
from swgen.nn.init import WAE_INIT_STD, wae_normal_
from swgen.nn.wgan_gp_mnist import check_min_size

SOURCE = "tolstikhin/wae models.py (dcgan_encoder, dcgan_decoder 'dcgan_mod'), configs.py"
START_SIZE = 8  # the decoder's first resolution (S / 4 at the paper's 32 px, 7 at 28 px)


def _filters(width: int, layers: int, i: int) -> int:
    """Channels of layer ``i`` of ``layers``: ``width / 2**(layers - 1 - i)``, at least 1."""
    return max(width // 2 ** (layers - 1 - i), 1)


class WAEGenerator(nn.Module):
    """Latent codes ``(n, latent_dim)`` -> images ``(n, channels, size, size)`` in [-1, 1]."""

    def __init__(self, latent_dim: int, channels: int, image_size: int, width: int = 1024) -> None:
        super().__init__()
        k = check_min_size("wae-dcgan", image_size, START_SIZE)
        self.project = nn.Sequential(
            nn.Linear(latent_dim, width * START_SIZE * START_SIZE),
            nn.Unflatten(1, (width, START_SIZE, START_SIZE)),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        c_in = width
        for i in range(k - 1):
            c_out = max(width // 2 ** (i + 1), 1)
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
            c_in = c_out
        last = nn.Conv2d(c_in, channels, 4)
        layers += [nn.ZeroPad2d((2, 1, 2, 1)), last, nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(wae_normal_)
        nn.init.normal_(last.weight, 0.0, WAE_INIT_STD)  # a transposed conv: plain normal

    def forward(self, z: Tensor) -> Tensor:
        return self.main(self.project(z))


class WAEEncoder(nn.Module):
    """Images ``(n, channels, size, size)`` -> codes ``(n, out_features)``."""

    def __init__(
        self, channels: int, image_size: int, out_features: int, width: int = 1024,
        norm: str = "batch",
    ) -> None:  # fmt: skip
        super().__init__()
        k = check_min_size("wae-dcgan", image_size)
        n_layers = k + 1  # down to 2 x 2, as the paper's 4 layers at 28 or 32 px
        layers: list[nn.Module] = []
        c_in = channels
        for i in range(n_layers):
            c_out = _filters(width, n_layers, i)
            layers += [
                nn.Conv2d(c_in, c_out, 4, stride=2, padding=1),
                make_norm(norm, c_out),
                nn.ReLU(),
            ]
            c_in = c_out
        layers += [nn.Flatten(), nn.Linear(c_in * 2 * 2, out_features)]
        self.main = nn.Sequential(*layers)
        self.apply(wae_normal_)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


ARCHITECTURES.register("wae-dcgan")(
    Architecture(WAEGenerator, WAEEncoder, width=1024, source=SOURCE)
)
