"""StyleGAN's generator (Karras, Laine, Aila; CVPR 2019): mapping network, styles, noise inputs.

Transcribed from the official code, ``NVlabs/stylegan`` ``training/networks_stylegan.py``
(``G_mapping``, ``G_synthesis``, ``G_style``), on the equalised-learning-rate layers progressive
growing already has (:mod:`swgen.nn.progressive`):

* :class:`MappingNetwork`: ``w = f(z)``, ``z`` pixel-normalised, then ``mapping_layers`` dense
  layers with leaky ReLU 0.2, each with the learning-rate multiplier ``lrmul`` (0.01) through
  :class:`MultipliedLinear`;
* :class:`SynthesisNetwork`: a learned constant 4 x 4 input (ones), then per resolution
  ``upsample -> 3x3 conv -> blur -> epilogue`` and ``3x3 conv -> epilogue`` (two style layers
  per resolution, one at 4 x 4 after the constant), a 1 x 1 ``to_rgb`` (gain 1) per resolution;
* the epilogue of each layer (:class:`StyleLayer`), in the code's order: noise ``x + s_c n``
  (``n ~ N(0, 1)`` one map per layer, ``s_c`` learned per channel, initialised to 0), bias,
  leaky ReLU 0.2, instance norm, style ``x (1 + y_s) + y_b`` with ``(y_s, y_b) = A(w)`` a dense
  layer of gain 1 (paper Eq. 1 writes ``y_s (x - mu) / sigma + y_b``; the code's +1 centres the
  scale at 1). With ``style_form="demodulate"`` a layer is StyleGAN2's modulated convolution
  instead (Karras et al. 2020, Eq. 1-3): ``w'_ijk = s_i w_ijk``, ``w''_ijk = w'_ijk /
  sqrt(sum_ik w'_ijk^2 + 1e-8)``, then noise, bias, leaky ReLU (no instance norm);
* :func:`mix_styles` (style mixing: the layers before the crossover take ``w1``, the others
  ``w2``) and :func:`truncate_styles` (``w' = w_avg + psi (w - w_avg)`` on the first layers).

The critic is ProGAN's (``D_basic``), so :class:`swgen.nn.progressive.ProgressiveCritic` serves.
Departures from the code, on purpose: upsampling is nearest-neighbour then conv (the code's
transposed "fused" conv from 128 px is not needed at swgen's sizes), and the critic has no blur.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from swgen.nn.progressive import (
    NEGATIVE_SLOPE,
    EqualizedConv,
    EqualizedLinear,
    fade_in,
    pixel_norm,
    resize_to,
)

STYLE_FORMS = ("adain", "demodulate")


class MultipliedLinear(EqualizedLinear):
    """An equalised dense layer whose learning rate is multiplied by ``lr_multiplier``.

    The official ``dense`` with ``lrmul``: weights are initialised ``N(0, 1 / lrmul^2)`` and
    scaled at run time by ``he_std * lrmul`` (so the effective weights start at He's scale), the
    bias is stored unscaled and used times ``lrmul``. Adam moves a stored parameter by about
    ``lr`` whatever its scale, so the effective weights and biases move ``lrmul`` times as far:
    the mapping network learns 100 times slower than the synthesis network (``lrmul = 0.01``).
    """

    def __init__(
        self, in_features: int, out_features: int, gain: float = math.sqrt(2),
        lr_multiplier: float = 1.0,
    ) -> None:  # fmt: skip
        super().__init__(in_features, out_features, gain)
        with torch.no_grad():
            self.weight.div_(lr_multiplier)
        self.scale *= lr_multiplier
        self.lr_multiplier = lr_multiplier

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_multiplier)


class MappingNetwork(nn.Module):
    """``G_mapping``: ``z -> pixel_norm -> (dense, lrelu 0.2) x layers -> w``."""

    def __init__(self, latent_dim: int, layers: int = 8, lr_multiplier: float = 0.01) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            MultipliedLinear(latent_dim, latent_dim, lr_multiplier=lr_multiplier)
            for _ in range(layers)
        )

    def forward(self, z: Tensor) -> Tensor:
        x = pixel_norm(z)
        for layer in self.layers:
            x = F.leaky_relu(layer(x), NEGATIVE_SLOPE)
        return x


def blur(x: Tensor) -> Tensor:
    """The code's ``blur2d`` with filter ``[1, 2, 1]``: the normalised 3 x 3 binomial kernel
    ``[1, 2, 1]^T [1, 2, 1] / 16`` applied to each channel (zero padding, same size)."""
    taps = x.new_tensor([1.0, 2.0, 1.0])
    kernel = (taps[:, None] * taps[None, :]) / 16
    channels = x.shape[1]
    return F.conv2d(x, kernel.expand(channels, 1, 3, 3), padding=1, groups=channels)


def instance_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    """``(x - mu) / sqrt(sigma^2 + eps)`` per sample and channel over positions (code's eps)."""
    x = x - x.mean(dim=(2, 3), keepdim=True)
    return x * torch.rsqrt(x.square().mean(dim=(2, 3), keepdim=True) + eps)


class StyleLayer(nn.Module):
    """One style layer: (upsample,) conv (none for the first 4 x 4 layer of ``adain``), and the
    epilogue of the module docstring. ``forward(x, w, noise)`` takes this layer's ``w`` (N, D)
    and the noise map (N, 1, H, W), drawn when ``None``."""

    def __init__(
        self, in_channels: int, out_channels: int, w_dim: int, upsample: bool, conv: bool,
        style_form: str = "adain", use_blur: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        if style_form not in STYLE_FORMS:
            raise ValueError(f"style_form must be one of {STYLE_FORMS}, got {style_form!r}")
        self.upsample, self.style_form, self.use_blur = upsample, style_form, use_blur
        # The conv's own bias is the epilogue's bias, added after the noise as the code does.
        self.conv = EqualizedConv(in_channels, out_channels, 3) if conv else None
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.noise_strength = nn.Parameter(torch.zeros(out_channels))  # code: init 0
        if style_form == "adain":
            self.style = EqualizedLinear(w_dim, 2 * out_channels, gain=1.0)  # (y_s, y_b)
        else:
            self.style = EqualizedLinear(w_dim, in_channels, gain=1.0)  # s_i
            with torch.no_grad():
                self.style.bias.fill_(1.0)  # StyleGAN2: modulation scales start at 1

    def forward(self, x: Tensor, w: Tensor, noise: Tensor | None = None) -> Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
        if self.conv is not None:
            x = self.convolve(x, w)
            if self.upsample and self.use_blur:
                x = blur(x)
        if noise is None:
            noise = torch.randn(len(x), 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        x = x + self.noise_strength.view(1, -1, 1, 1) * noise
        x = F.leaky_relu(x + self.bias.view(1, -1, 1, 1), NEGATIVE_SLOPE)
        if self.style_form == "demodulate":
            return x
        y_s, y_b = self.style(w).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        return instance_norm(x) * (1 + y_s) + y_b

    def convolve(self, x: Tensor, w: Tensor) -> Tensor:
        assert self.conv is not None
        weight = self.conv.weight * self.conv.scale
        if self.style_form == "adain":
            return F.conv2d(x, weight, padding=1)
        # StyleGAN2's modulated, demodulated convolution as one grouped conv over the batch.
        n, channels = x.shape[:2]
        styled = weight.unsqueeze(0) * self.style(w).view(n, 1, channels, 1, 1)
        styled = styled * torch.rsqrt(styled.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8)
        out = F.conv2d(
            x.reshape(1, n * channels, *x.shape[2:]),
            styled.reshape(-1, channels, *weight.shape[2:]),
            padding=1,
            groups=n,
        )
        return out.view(n, -1, *out.shape[2:])


class SynthesisNetwork(nn.Module):
    """``G_synthesis``: constant 4 x 4 input, two style layers per resolution, ``to_rgb`` each.

    ``widths[i]`` feature maps at resolution ``4 * 2^i``; ``forward(ws, level, alpha)`` runs the
    layers of resolutions up to ``level`` (``ws``: (N, layers, D), one ``w`` per layer) and fades
    the newest resolution in while ``alpha < 1`` (progressive growing, as PGGAN's generator).
    """

    def __init__(
        self, channels: int, widths: list[int], w_dim: int, style_form: str = "adain",
        use_blur: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.constant = nn.Parameter(torch.ones(1, widths[0], 4, 4))  # code: init ones
        first_has_conv = style_form == "demodulate"  # StyleGAN2 convolves the constant too
        layers = [
            StyleLayer(widths[0], widths[0], w_dim, False, first_has_conv, style_form),
            StyleLayer(widths[0], widths[0], w_dim, False, True, style_form),
        ]
        for i in range(1, len(widths)):
            layers.append(StyleLayer(widths[i - 1], widths[i], w_dim, True, True, style_form,
                                     use_blur))  # fmt: skip
            layers.append(StyleLayer(widths[i], widths[i], w_dim, False, True, style_form))
        self.layers = nn.ModuleList(layers)
        self.to_rgb = nn.ModuleList(EqualizedConv(w, channels, 1, gain=1.0) for w in widths)
        # The code's noise_inputs: one fixed N(0, 1) map per layer (batch 1), for sampling with
        # randomize_noise=False; training draws fresh maps.
        for index, shape in enumerate(self.noise_shapes(len(widths) - 1)):
            self.register_buffer(f"fixed_noise_{index}", torch.randn(1, 1, *shape))

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    def noise_shapes(self, level: int) -> list[tuple[int, int]]:
        """The (H, W) of each layer's noise map up to ``level``."""
        return [(4 * 2 ** (i // 2), 4 * 2 ** (i // 2)) for i in range(2 * level + 2)]

    def fixed_noise(self, level: int) -> list[Tensor]:
        """The fixed noise maps of the layers up to ``level`` (each broadcast over a batch)."""
        return [getattr(self, f"fixed_noise_{index}") for index in range(2 * level + 2)]

    def forward(
        self, ws: Tensor, level: int | None = None, alpha: float = 1.0,
        noise: list[Tensor] | None = None,
    ) -> Tensor:  # fmt: skip
        level = len(self.to_rgb) - 1 if level is None else level
        x = self.constant.expand(len(ws), -1, -1, -1)
        previous = x
        for index in range(2 * level + 2):
            if index % 2 == 0 and index > 0:
                previous = x
            layer_noise = None if noise is None else noise[index]
            x = self.layers[index](x, ws[:, index], layer_noise)
        out = self.to_rgb[level](x)
        if level > 0 and alpha < 1.0:
            old = resize_to(self.to_rgb[level - 1](previous), tuple(out.shape[2:]))
            out = fade_in(old, out, alpha)
        return out


def mix_styles(w1: Tensor, w2: Tensor, crossover: int, num_layers: int) -> Tensor:
    """Style mixing regularisation (Karras et al. 2019, Sec. 3.1; code ``G_style``):
    ``(N, layers, D)`` styles where layer ``i`` takes ``w1`` if ``i < crossover`` and ``w2``
    otherwise (``crossover = num_layers``: ``w1`` everywhere)."""
    layer = torch.arange(num_layers, device=w1.device).view(1, -1, 1)
    return torch.where(layer < crossover, w1.unsqueeze(1), w2.unsqueeze(1))


def truncate_styles(ws: Tensor, w_avg: Tensor, psi: float | Tensor, layers: int) -> Tensor:
    """The truncation trick in W (Sec. 3.1 of the paper; code ``G_style``): ``w' = w_avg +
    psi (w - w_avg)`` on the first ``layers`` style layers (the code: 8, i.e. 4 to 32 px), the
    others unchanged. ``psi`` is a number or one value per sample ``(N,)``."""
    psi = torch.as_tensor(psi, dtype=ws.dtype, device=ws.device).reshape(-1, 1, 1)
    index = torch.arange(ws.shape[1], device=ws.device).view(1, -1, 1)
    coefficient = torch.where(index < layers, psi, torch.ones_like(psi))
    return torch.lerp(w_avg.view(1, 1, -1), ws, coefficient)


class StyleGenerator(nn.Module):
    """``G_style``: mapping, the running average of ``w`` (a buffer), synthesis.

    ``forward(z)`` maps, broadcasts ``w`` to every layer and synthesises; style mixing and
    truncation are done by the model around :meth:`synthesize` (see ``swgen.models.stylegan``).
    """

    def __init__(
        self, latent_dim: int, channels: int, widths: list[int], mapping_layers: int = 8,
        lr_multiplier: float = 0.01, style_form: str = "adain", use_blur: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.mapping = MappingNetwork(latent_dim, mapping_layers, lr_multiplier)
        self.synthesis = SynthesisNetwork(channels, widths, latent_dim, style_form, use_blur)
        self.register_buffer("w_avg", torch.zeros(latent_dim))  # code: dlatent_avg, init 0

    @property
    def num_layers(self) -> int:
        return self.synthesis.num_layers

    def broadcast(self, w: Tensor) -> Tensor:
        """``(N, D)`` -> ``(N, layers, D)``: the same ``w`` for every layer."""
        return w.unsqueeze(1).expand(-1, self.num_layers, -1)

    def synthesize(
        self, ws: Tensor, level: int | None = None, alpha: float = 1.0,
        noise: list[Tensor] | None = None,
    ) -> Tensor:  # fmt: skip
        return self.synthesis(ws, level, alpha, noise)

    def forward(self, z: Tensor, level: int | None = None, alpha: float = 1.0) -> Tensor:
        return self.synthesize(self.broadcast(self.mapping(z)), level, alpha)
