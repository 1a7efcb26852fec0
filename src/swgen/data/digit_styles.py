"""``digits-styles``: scikit-learn's digits drawn in four styles, the domains of multi-domain
translation (StarGAN), with the true translation of every held-out digit into every style.

Each style (:data:`STYLES`) is a fixed function of a grey digit (:func:`render`): a stroke colour
over a background colour, the stroke thickened by a 3 x 3 grey dilation or not, the background
flat or darkened along diagonal stripes. ``ink`` is ``digits-recolour``'s domain B, ``plain`` its
domain A (in three channels).

A fixed split, the same for every run: 300 digits (a quarter of ``data.limit``, when smaller) are
held out and drawn in every style; every other digit is a training image in one style only (the
styles in turn over a fixed shuffle), labelled with that style, so nothing pairs two styles in
training. The data are a labelled image set (``pairing == "none"``, ``num_classes`` = 4 with the
styles' names as class names); batches come from :class:`~swgen.data.memory.InMemoryImages`.

Held-out inputs (:meth:`DigitStyles.sample_batch`, what sample grids and ``swgen eval`` take) are
held-out digits in a shuffle apart from training, row ``i`` drawn in style ``i mod 4`` (so four
inputs show one per style), labelled with it; :meth:`DigitStyles.held_out_in_every_domain` gives
the same digits in every style: the truth of each translation. ``classifier_view`` turns any
style into what the shipped digits classifier reads (the stroke bright on black), for the
label-preservation metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from swgen.data.base import SAMPLE_STREAM, Batch, DataConfig, DataSource, step_generator
from swgen.data.memory import (
    InMemoryImages,
    check_image_size,
    grayscale_to_uint8,
    image_channels,
    take_limit,
)
from swgen.data.two_domain import BACKGROUND, LUMINANCE, STRIPE_DEPTH, STROKE, to_uint8
from swgen.errors import UserError
from swgen.registry import DATASETS

HELD_OUT = 300  # digits kept out of training, drawn in every style


@dataclass(frozen=True)
class Style:
    """How a grey digit is drawn: ``stroke`` over ``background`` (RGB in [0, 1])."""

    name: str
    stroke: tuple[float, float, float]
    background: tuple[float, float, float]
    thick: bool = False  # stroke dilated by a 3 x 3 max filter
    stripes: bool = False  # background darkened along diagonal stripes

    def luminance(self, colour: tuple[float, float, float]) -> float:
        return sum(w * c for w, c in zip(LUMINANCE, colour, strict=True))


STYLES = (
    Style("plain", stroke=(1.0, 1.0, 1.0), background=(0.0, 0.0, 0.0)),
    Style("ink", stroke=STROKE, background=BACKGROUND, thick=True, stripes=True),
    Style("neon", stroke=(0.25, 0.95, 0.35), background=(0.25, 0.05, 0.35)),
    Style("rust", stroke=(0.60, 0.15, 0.05), background=(0.80, 0.90, 0.95), thick=True),
)
STYLE_NAMES = tuple(style.name for style in STYLES)


def stripes(size: int) -> Tensor:
    """(size, size) brightness of a striped background: 1 - depth between stripes four pixels
    (at 32 px) apart along the diagonal (``digits-recolour``'s)."""
    rows, columns = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    period = max(2.0, size / 8)
    return 1 - STRIPE_DEPTH * (0.5 + 0.5 * torch.cos(2 * math.pi * (rows + columns) / period))


def render(grey: Tensor, style: Style) -> Tensor:
    """(N, 1, H, W) grey digits in [0, 1] -> (N, 3, H, W) in [0, 1] drawn in ``style``:
    ``background * (1 - s) + stroke * s`` with ``s`` the (dilated) grey level."""
    stroke = F.max_pool2d(grey, 3, stride=1, padding=1) if style.thick else grey
    background = torch.tensor(style.background).view(1, 3, 1, 1)
    if style.stripes:
        background = background * stripes(grey.shape[-1])
    colour = torch.tensor(style.stroke).view(1, 3, 1, 1)
    return background * (1 - stroke) + colour * stroke


def classifier_view(images: Tensor, domain: str) -> Tensor:
    """Images of style ``domain`` in [0, 1] as the shipped digits classifier reads them: the
    stroke's share ``(L - L_background) / (L_stroke - L_background)`` of each pixel's luminance
    ``L`` (the stroke bright on black, as the plain style)."""
    style = STYLES[STYLE_NAMES.index(domain)]
    weights = torch.tensor(LUMINANCE, dtype=images.dtype).view(1, 3, 1, 1)
    luminance = (images * weights).sum(dim=1, keepdim=True)
    light, dark = style.luminance(style.background), style.luminance(style.stroke)
    return ((luminance - light) / (dark - light)).clamp(0, 1)


class DigitStyles(DataSource):
    """Training images in one style each (labelled) and held-out digits in every style
    (see the module docstring). ``held_out`` is uint8 (H, K, 3, S, S)."""

    def __init__(self, train: InMemoryImages, held_out: Tensor) -> None:
        self.name = "digits-styles"
        self.train = train
        self.info = train.info
        self.held_out = held_out
        self.classifier = "digits"  # the shipped classifier that reads every style
        self.classifier_view = classifier_view

    def __len__(self) -> int:
        return len(self.train)

    @property
    def held_out_count(self) -> int:
        """Held-out digits, each in every style."""
        return len(self.held_out)

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        return self.train.batch(step, batch_size, seed, rank, world_size)

    def _rows(self, n: int, seed: int) -> tuple[Tensor, Tensor]:
        """Held-out digits and styles of ``sample_batch(n, seed)``: a shuffle apart from
        training, styles in turn (shifted by one on each pass over the digits)."""
        order = torch.randperm(self.held_out_count, generator=step_generator(seed, SAMPLE_STREAM))
        positions = torch.arange(n)
        passes = positions // self.held_out_count
        styles = (positions + passes) % len(STYLES)
        return order[positions % self.held_out_count], styles

    def sample_batch(self, n: int, seed: int = 0) -> Batch:
        digits, styles = self._rows(n, seed)
        return Batch(to_model_space(self.held_out[digits, styles]), labels=styles)

    def sample(self, n: int, seed: int = 0) -> Tensor:
        return self.sample_batch(n, seed).x

    def held_out_in_every_domain(self, n: int, seed: int = 0) -> Tensor:
        """(n, K, 3, S, S) in model space: the digits of ``sample_batch(n, seed)``, row ``i``
        in every style (``[:, k]`` in style ``k``)."""
        digits, _ = self._rows(n, seed)
        return to_model_space(self.held_out[digits])

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self)} training images in {len(STYLES)} styles "
            f"({', '.join(STYLE_NAMES)}), {self.held_out_count} held-out digits in every style, "
            f"of shape {tuple(self.info.shape)}"
        )


def to_model_space(images: Tensor) -> Tensor:
    return images.float().div(127.5).sub(1.0)


@DATASETS.register(
    "digits-styles",
    summary="digits in 4 styles (labelled), each held-out digit in every style (bundled)",
)
def digits_styles(config: DataConfig) -> DigitStyles:
    from sklearn.datasets import load_digits  # scikit-learn is slow to import; only here

    if image_channels(config, 3) != 3:
        raise UserError("digits-styles is in colour; leave data.channels at 3 (or null)")
    bunch = load_digits()
    count = take_limit(config, len(bunch.images))
    if count < 2 * len(STYLES):
        raise UserError(
            f"data.limit={count} leaves too few digits for {len(STYLES)} styles; give at least "
            f"{2 * len(STYLES)}"
        )
    size = check_image_size(config)
    grey = grayscale_to_uint8(np.asarray(bunch.images[:count], np.float32) / 16.0, size, 1)
    grey = grey.float() / 255.0
    # A fixed split, the same for every run: held-out digits first, then the training digits,
    # each drawn in the next style in turn.
    order = torch.randperm(count, generator=torch.Generator().manual_seed(0))
    held = min(HELD_OUT, count // 4)
    test, train = order[:held], order[held:]
    drawn = torch.stack([to_uint8(render(grey, style)) for style in STYLES], dim=1)
    styles = torch.arange(len(train)) % len(STYLES)
    images = drawn[train, styles].contiguous()
    source = InMemoryImages("digits-styles", images, styles, class_names=STYLE_NAMES)
    return DigitStyles(source, drawn[test].contiguous())
