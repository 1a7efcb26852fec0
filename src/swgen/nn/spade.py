"""SPADE networks (Park, Liu, Wang, Zhu; "Semantic Image Synthesis with Spatially-Adaptive
Normalization", CVPR 2019), after the official code (NVlabs/SPADE, ``models/networks/``).

* :class:`SPADE` (``normalization.py``): a parameter-free normalisation of ``x`` (batch or
  instance norm, ``affine=False``), then a per-pixel scale and shift computed from the one-hot
  label map ``m`` resized (nearest) to ``x``'s height and width:
  ``out = norm(x) * (1 + gamma(m)) + beta(m)``, with ``gamma, beta = conv(relu(conv(m)))`` (a
  shared 3 x 3 convolution to ``hidden`` channels and ReLU, then one 3 x 3 convolution each).
  The paper writes ``gamma * norm(x) + beta`` (Eq. 1); the code's ``1 + gamma`` is used, so a
  zero-initialised gamma leaves the normalised activation as it is.
* :class:`SPADEResBlock` (``architecture.py``): ``SPADE -> LReLU(0.2) -> conv 3x3 (fin ->
  min(fin, fout))``, twice, plus a learned shortcut ``SPADE -> conv 1x1 (no bias)`` only when the
  channel count changes; spectral norm on these convolutions (``norm_G=spectralspade...``), not
  on the SPADE layers' own.
* :class:`SPADEGenerator` (``generator.py``): from the label map downsampled to ``start`` x
  ``start`` through a 3 x 3 convolution (or, with the style encoder, from ``Linear(z)``), a head
  block, nearest x2 upsampling, two middle blocks, then one block per further upsampling halving
  the channels down to ``width``; ``LReLU -> conv 3x3 -> tanh``. The segmap enters only through
  the SPADE layers (and the first convolution). :func:`upsamplings` scales the number of
  upsamplings to the image size (the code's 5 at 256 px, ``num_upsampling_layers=normal``).
* :class:`StyleEncoder` (``encoder.py``, ``--use_vae``): stride-2 3 x 3 convolutions (spectral
  norm, instance norm, LReLU 0.2) down to a 4 x 4 map, then two linear layers to ``mu`` and
  ``logvar`` of a ``z_dim`` code.
* :class:`MultiscalePatchCritic` (``discriminator.py``): ``num_d`` PatchGANs, the k-th seeing
  the input average-pooled (3 x 3, stride 2) k times; each 4 x 4 convolutions with padding 2 (the
  code's ``ceil((kw - 1) / 2)``), stride 2 but the last of ``n_layers`` (stride 1), channels
  doubling to at most 512, spectral and instance norm but on the first, LReLU 0.2, then a 4 x 4
  convolution to one score per patch. It returns every layer's output, for feature matching.

Initialisation (the code's ``init_type=xavier``, ``init_variance=0.02``): Xavier normal with gain
0.02 on every convolution and linear layer, biases 0 (:func:`init_spade`); spectral norm then
rescales the wrapped weights to a spectral norm of 1.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from swgen.errors import UserError

NORMS = ("batch", "instance")
MOST_UPSAMPLINGS = 5  # the code's ``normal``: 256 px from an 8 x 8 start
LEAST_START = 4  # smaller images start from 4 x 4, not from image_size / 32


def init_spade(module: nn.Module, gain: float = 0.02) -> None:
    """Xavier normal (gain ``gain``) on every conv and linear weight, zero biases (the code's
    ``BaseNetwork.init_weights('xavier', 0.02)``). Call before :func:`with_spectral_norm`."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_normal_(layer.weight, gain=gain)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def with_spectral_norm(layer: nn.Module, enabled: bool = True) -> nn.Module:
    """``layer`` with spectral normalisation of its weight (Miyato et al. 2018) when ``enabled``;
    its power-iteration vectors are buffers, so checkpoints carry them."""
    return spectral_norm(layer) if enabled else layer


def param_free_norm(kind: str, channels: int) -> nn.Module:
    if kind not in NORMS:
        raise UserError(f"model.norm must be one of {', '.join(NORMS)}, got {kind!r}")
    if kind == "batch":
        return nn.BatchNorm2d(channels, affine=False)
    return nn.InstanceNorm2d(channels, affine=False)


def upsamplings(image_size: int) -> int:
    """How many nearest x2 upsamplings the generator makes at ``image_size``: the most, up to
    :data:`MOST_UPSAMPLINGS`, that leave a whole start size of at least :data:`LEAST_START`
    (256 px: 5 from 8 x 8, as the code; 32 px: 3 from 4 x 4; 48 px: 3 from 6 x 6)."""
    count = 0
    while (
        count < MOST_UPSAMPLINGS
        and image_size % 2 ** (count + 1) == 0
        and image_size // 2 ** (count + 1) >= LEAST_START
    ):
        count += 1
    if count == 0:
        raise UserError(
            f"data.image_size={image_size} is too small or odd for the SPADE generator; use an "
            f"even size of at least {2 * LEAST_START}, e.g. 32, 64 or 256"
        )
    return count


class SPADE(nn.Module):
    """``norm(x) * (1 + gamma(m)) + beta(m)`` (see the module docstring)."""

    def __init__(self, channels: int, label_channels: int, hidden: int = 128, norm: str = "batch"):
        super().__init__()
        self.norm = param_free_norm(norm, channels)
        self.shared = nn.Sequential(nn.Conv2d(label_channels, hidden, 3, padding=1), nn.ReLU())
        self.gamma = nn.Conv2d(hidden, channels, 3, padding=1)
        self.beta = nn.Conv2d(hidden, channels, 3, padding=1)

    def forward(self, x: Tensor, segmap: Tensor) -> Tensor:
        normalised = self.norm(x)
        segmap = F.interpolate(segmap, size=x.shape[-2:], mode="nearest")
        features = self.shared(segmap)
        return normalised * (1 + self.gamma(features)) + self.beta(features)


class SPADEResBlock(nn.Module):
    """The code's ``SPADEResnetBlock`` (see the module docstring)."""

    def __init__(
        self, fin: int, fout: int, label_channels: int, hidden: int, norm: str, spectral: bool
    ) -> None:
        super().__init__()
        middle = min(fin, fout)
        self.learned_shortcut = fin != fout
        self.conv_0 = nn.Conv2d(fin, middle, 3, padding=1)
        self.conv_1 = nn.Conv2d(middle, fout, 3, padding=1)
        self.norm_0 = SPADE(fin, label_channels, hidden, norm)
        self.norm_1 = SPADE(middle, label_channels, hidden, norm)
        if self.learned_shortcut:
            self.conv_s = nn.Conv2d(fin, fout, 1, bias=False)
            self.norm_s = SPADE(fin, label_channels, hidden, norm)
        init_spade(self)
        self.conv_0 = with_spectral_norm(self.conv_0, spectral)
        self.conv_1 = with_spectral_norm(self.conv_1, spectral)
        if self.learned_shortcut:
            self.conv_s = with_spectral_norm(self.conv_s, spectral)

    def forward(self, x: Tensor, segmap: Tensor) -> Tensor:
        shortcut = self.conv_s(self.norm_s(x, segmap)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, segmap), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, segmap), 0.2))
        return shortcut + dx


def generator_channels(width: int, ups: int) -> list[int]:
    """Output channels of the generator's blocks: head, middle 0, middle 1, then one per further
    upsampling. At 5 upsamplings ``16w, 16w, 16w, 8w, 4w, 2w, w`` (the code's ``ngf``
    multiples); fewer upsamplings start lower (3: ``4w, 4w, 4w, 2w, w``)."""
    top = width * min(16, 2 ** (ups - 1))
    return [top, top, top] + [width * 2 ** (ups - 2 - i) for i in range(ups - 1)]


class SPADEGenerator(nn.Module):
    """One-hot label maps ``(n, K, H, W)`` (and codes ``z`` with the style encoder) to images
    ``(n, out_channels, H, W)`` in [-1, 1]; ``H`` and ``W`` multiples of ``2 ** ups``."""

    def __init__(
        self,
        label_channels: int,
        out_channels: int,
        width: int,
        image_size: int,
        hidden: int = 128,
        norm: str = "batch",
        spectral: bool = True,
        z_dim: int = 0,
    ) -> None:
        super().__init__()
        self.ups = upsamplings(image_size)
        self.start = image_size // 2**self.ups
        self.z_dim = z_dim
        channels = generator_channels(width, self.ups)
        if z_dim:
            self.fc: nn.Module = nn.Linear(z_dim, channels[0] * self.start**2)
        else:
            self.fc = nn.Conv2d(label_channels, channels[0], 3, padding=1)
        ins = [channels[0], *channels[:-1]]
        self.blocks = nn.ModuleList(
            SPADEResBlock(fin, fout, label_channels, hidden, norm, spectral)
            for fin, fout in zip(ins, channels, strict=True)
        )
        self.conv_img = nn.Conv2d(channels[-1], out_channels, 3, padding=1)
        init_spade(self.fc)
        init_spade(self.conv_img)

    def forward(self, segmap: Tensor, z: Tensor | None = None) -> Tensor:
        height, width = segmap.shape[-2:]
        start = (height // 2**self.ups, width // 2**self.ups)
        if self.z_dim:
            if z is None:
                raise ValueError("this generator starts from codes z (the style encoder's)")
            x = self.fc(z).view(len(z), -1, self.start, self.start)
            if start != (self.start, self.start):  # another size than trained: stretch the start
                x = F.interpolate(x, size=start, mode="bilinear", align_corners=False)
        else:
            x = self.fc(F.interpolate(segmap, size=start, mode="nearest"))
        # head, then (upsample, middle 0), middle 1, then (upsample, block) per further level
        x = self.blocks[0](x, segmap)
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        x = self.blocks[1](x, segmap)
        x = self.blocks[2](x, segmap)
        for block in self.blocks[3:]:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            x = block(x, segmap)
        return torch.tanh(self.conv_img(F.leaky_relu(x, 0.2)))


class StyleEncoder(nn.Module):
    """Images ``(n, C, S, S)`` to ``(mu, logvar)``, each ``(n, z_dim)`` (the code's
    ``ConvEncoder``, scaled: as many stride-2 layers as bring ``S`` to 4, channels ``width``
    doubling to at most ``8 * width``)."""

    def __init__(self, channels: int, width: int, image_size: int, z_dim: int) -> None:
        super().__init__()
        layers = max(1, round(math.log2(image_size / 4)))
        convs, fin = [], channels
        for index in range(layers):
            fout = width * min(8, 2**index)
            conv = nn.Conv2d(fin, fout, 3, stride=2, padding=1)
            init_spade(conv)
            convs += [with_spectral_norm(conv), nn.InstanceNorm2d(fout), nn.LeakyReLU(0.2)]
            fin = fout
        self.features = nn.Sequential(*convs)
        self.size = 4
        self.mu = nn.Linear(fin * self.size**2, z_dim)
        self.logvar = nn.Linear(fin * self.size**2, z_dim)
        init_spade(self.mu)
        init_spade(self.logvar)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        # The code resizes every input to 256 px; the model resizes to the training size, and a
        # size that does not halve to 4 x 4 exactly is pooled to it.
        features = self.features(images)
        if features.shape[-2:] != (self.size, self.size):
            features = F.adaptive_avg_pool2d(features, self.size)
        flat = features.flatten(1)
        return self.mu(flat), self.logvar(flat)


class PatchCriticFeatures(nn.Module):
    """The code's ``NLayerDiscriminator``: a PatchGAN returning every layer's output."""

    def __init__(self, channels: int, width: int, n_layers: int, spectral: bool = True) -> None:
        super().__init__()
        padding = math.ceil((4 - 1) / 2)
        first = nn.Conv2d(channels, width, 4, stride=2, padding=padding)
        init_spade(first)
        stages: list[nn.Module] = [nn.Sequential(first, nn.LeakyReLU(0.2))]
        fin = width
        for index in range(1, n_layers):
            fout = min(fin * 2, 512)
            stride = 1 if index == n_layers - 1 else 2
            conv = nn.Conv2d(fin, fout, 4, stride=stride, padding=padding)
            init_spade(conv)
            stages.append(
                nn.Sequential(
                    with_spectral_norm(conv, spectral), nn.InstanceNorm2d(fout), nn.LeakyReLU(0.2)
                )
            )
            fin = fout
        last = nn.Conv2d(fin, 1, 4, stride=1, padding=padding)
        init_spade(last)
        stages.append(last)
        self.stages = nn.ModuleList(stages)

    def forward(self, x: Tensor) -> list[Tensor]:
        outputs = []
        for stage in self.stages:
            x = stage(x)
            outputs.append(x)
        return outputs


class MultiscalePatchCritic(nn.Module):
    """``num_d`` PatchGANs at halving scales: ``(n, C, H, W)`` -> a list per critic of its
    layers' outputs, the last being its patch scores."""

    def __init__(
        self, channels: int, width: int, n_layers: int, num_d: int = 2, spectral: bool = True
    ) -> None:
        super().__init__()
        self.critics = nn.ModuleList(
            PatchCriticFeatures(channels, width, n_layers, spectral) for _ in range(num_d)
        )

    def forward(self, x: Tensor) -> list[list[Tensor]]:
        results = []
        for critic in self.critics:
            results.append(critic(x))
            x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
        return results
