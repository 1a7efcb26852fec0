"""Image-to-image networks of CycleGAN (Zhu et al., ICCV 2017) and Attention-GAN (Chen et al.,
ECCV 2018): the ResNet generator, the PatchGAN critic and the attention-layered generator.

* :class:`ResnetGenerator` (Johnson et al. 2016, as in the CycleGAN code's ``ResnetGenerator``):
  ``c7s1-w, d2w, d4w, R4w x n_blocks, u2w, uw, c7s1-out``: a 7 x 7 convolution, two stride-2
  3 x 3 convolutions, ``n_blocks`` residual blocks (reflection padding, 3 x 3 conv, instance
  norm, ReLU, 3 x 3 conv, instance norm), two stride-2 transposed convolutions and a 7 x 7
  convolution to the output, ``tanh``. Fully convolutional: any input whose sides are multiples
  of :data:`STRIDE` (and at least :data:`MIN_SIZE`) comes out at its own size;
  :func:`translate_any_size` pads other inputs and crops the output back.
* :class:`PatchCritic` (the code's ``NLayerDiscriminator``): 4 x 4 convolutions, ``n_layers`` of
  them with stride 2 (64, 128, 256 channels, instance norm but on the first, LeakyReLU 0.2), one
  of stride 1 (512), then a stride-1 4 x 4 convolution to one score per patch. ``n_layers = 3``
  is the 70 x 70 PatchGAN; small images get fewer (:func:`patch_layers`), since each layer
  shrinks the map and three of them leave no patch at all below 32 px.
* :class:`AttentionGenerator`: ``G(x) = A(x) * T(x) + (1 - A(x)) * x`` (Attention-GAN, Eq. 1),
  with a ResNet ``T`` and a one-channel ResNet ``A`` whose ``tanh`` output is folded into [0, 1]
  by ``clamp(|a|, 0, 1)`` (the official code's ``Norm`` layer after ``resnet_6blocks``).

Initialisation: every conv weight N(0, 0.02), biases 0 (the CycleGAN code's ``init_type=normal``,
``init_gain=0.02``); ``init="xavier"`` is Attention-GAN's code: Xavier normal with gain 1
(``weights_init_xavier`` in its ``networks.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import torch.nn.functional as F
from torch import Tensor, nn

from swgen.errors import UserError

STRIDE = 4  # two stride-2 downsamplings
MIN_SIZE = 8  # 8 px -> 2 px at the bottleneck, the least its reflection padding accepts
INITS = ("normal", "xavier")
T = TypeVar("T")


def check_training_size(image_size: int, critic_layers: int | None = None) -> None:
    """Refuse a training size the networks cannot take, before any run folder is made.

    The ResNet generator halves its input twice and pads the bottleneck by reflection, so it
    takes multiples of :data:`STRIDE` from :data:`MIN_SIZE` up (any other size comes back at
    another size, and the cycle loss then fails on the mismatch); the PatchGAN critic's
    ``critic_layers`` halvings must leave a map of at least 3 x 3 before its last two
    convolutions. Translating new inputs takes any size (:func:`translate_any_size`).
    """
    if image_size % STRIDE or image_size < MIN_SIZE:
        raise UserError(
            f"data.image_size={image_size} is not supported by the translation networks (the "
            f"generators halve it twice); use a multiple of {STRIDE} from {MIN_SIZE} up, "
            "e.g. 8, 12, 16, 32, 128 or 256"
        )
    check_critic_layers(image_size, critic_layers)


def check_critic_layers(image_size: int, critic_layers: int | None) -> None:
    """Refuse ``critic_layers`` halvings that leave a PatchGAN map under 3 x 3 (no patches)."""
    most = max(layers for layers in range(1, 17) if image_size >> layers >= 3)
    if critic_layers is not None and critic_layers > most:
        raise UserError(
            f"model.critic_layers={critic_layers} leaves no patches to score in an image of "
            f"{image_size} px; use at most {most} at this size, or leave it unset"
        )


def resnet_blocks(image_size: int) -> int:
    """The CycleGAN paper's choice: 6 residual blocks below 256 px, 9 from 256 px up."""
    return 9 if image_size >= 256 else 6


def patch_layers(image_size: int) -> int:
    """Stride-2 layers of the PatchGAN critic: 3 (70 x 70 patches) from 32 px, fewer below so
    that at least a 2 x 2 map of patch scores remains."""
    layers = 3
    while layers > 1 and image_size // 2**layers < 4:
        layers -= 1
    return layers


def init_weights(module: nn.Module, kind: str = "normal") -> None:
    """CycleGAN's N(0, 0.02) or Attention-GAN's Xavier (gain 1) on every conv; zero biases."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
            if kind == "xavier":
                nn.init.xavier_normal_(layer.weight, gain=1.0)
            else:
                nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """``(n, in_channels, H, W) -> (n, out_channels, H, W)`` in [-1, 1] (see the module docs)."""

    def __init__(self, in_channels: int, out_channels: int, width: int, n_blocks: int) -> None:
        super().__init__()
        # Instance norm without affine parameters, so the convolutions keep their biases (the
        # code's use_bias = norm is InstanceNorm2d).
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, width, 7),
            nn.InstanceNorm2d(width),
            nn.ReLU(True),
        ]
        for scale in (1, 2):
            layers += [
                nn.Conv2d(width * scale, width * scale * 2, 3, stride=2, padding=1),
                nn.InstanceNorm2d(width * scale * 2),
                nn.ReLU(True),
            ]
        layers += [ResidualBlock(width * 4) for _ in range(n_blocks)]
        for scale in (4, 2):
            layers += [
                nn.ConvTranspose2d(
                    width * scale, width * scale // 2, 3, stride=2, padding=1, output_padding=1
                ),
                nn.InstanceNorm2d(width * scale // 2),
                nn.ReLU(True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, 7), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


class PatchCritic(nn.Module):
    """PatchGAN: ``(n, C, H, W) -> (n, 1, h, w)`` scores, one per overlapping patch.

    ``norm="batch"`` is pix2pix's (its code's default ``--norm batch``; convolutions before a
    batch norm then have no bias, the code's ``use_bias``), ``"instance"`` CycleGAN's."""

    def __init__(self, channels: int, width: int, n_layers: int, norm: str = "instance") -> None:
        super().__init__()
        batch_norm = norm == "batch"
        layers: list[nn.Module] = [
            nn.Conv2d(channels, width, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2, True),
        ]
        multiple = 1
        for index in range(1, n_layers + 1):
            previous, multiple = multiple, min(2**index, 8)
            stride = 2 if index < n_layers else 1
            channels_in, channels_out = width * previous, width * multiple
            layers += [
                nn.Conv2d(channels_in, channels_out, 4, stride, padding=1, bias=not batch_norm),
                (nn.BatchNorm2d if batch_norm else nn.InstanceNorm2d)(channels_out),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(width * multiple, 1, 4, stride=1, padding=1))
        self.main = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.main(x)


class AttentionGenerator(nn.Module):
    """Attention-GAN's generator: ``A(x) * T(x) + (1 - A(x)) * x``."""

    def __init__(
        self, channels: int, width: int, n_blocks: int, attention_width: int, attention_blocks: int
    ) -> None:
        super().__init__()
        self.transform = ResnetGenerator(channels, channels, width, n_blocks)
        self.attention_net = ResnetGenerator(channels, 1, attention_width, attention_blocks)

    def attention(self, x: Tensor) -> Tensor:
        """``A(x)``: (n, 1, H, W) in [0, 1]; ``clamp(|tanh|, 0, 1)`` as the official code."""
        return self.attention_net(x).abs().clamp(0, 1)

    def with_attention(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(G(x), A(x))``."""
        attention = self.attention(x)
        return attention * self.transform(x) + (1 - attention) * x, attention

    def forward(self, x: Tensor) -> Tensor:
        return self.with_attention(x)[0]


def pad_to_multiple(x: Tensor, multiple: int = STRIDE, minimum: int = MIN_SIZE) -> Tensor:
    """``x`` padded at the bottom and right (edge pixels repeated) so that both sides are
    multiples of ``multiple`` and at least ``minimum``."""
    height, width = x.shape[-2:]

    def target(side: int) -> int:
        return max(minimum, -(-side // multiple) * multiple)

    return F.pad(x, (0, target(width) - width, 0, target(height) - height), mode="replicate")


def translate_any_size(
    network: Callable[[Tensor], T], x: Tensor, multiple: int = STRIDE, minimum: int = MIN_SIZE
) -> T:
    """``network(x)`` for an input of any size: padded to what the network takes (sides
    multiples of ``multiple``, at least ``minimum``; the ResNet generators' by default), each
    output cropped back to ``x``'s height and width (a tuple of outputs, e.g. with attention)."""
    height, width = x.shape[-2:]
    out = network(pad_to_multiple(x, multiple, minimum))
    if isinstance(out, tuple):
        return tuple(o if o is None else o[..., :height, :width] for o in out)  # type: ignore
    return out[..., :height, :width]
