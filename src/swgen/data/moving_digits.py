"""``moving-digits``: clips of one or two bundled sklearn digits bouncing inside a frame.

No download: the 8 x 8 digits of scikit-learn are upsampled (PIL bicubic on floats, as the
``digits`` dataset) to ``7/16`` of the frame (14 px in the default 32 px frame) and moved in
straight lines that bounce off the frame's edges, like Moving MNIST (Srivastava et al., 2015)
at a CPU's scale. Each clip has ``data.frames`` frames (default 16) of ``data.image_size`` px;
two digits overlap by taking the brighter pixel. The clips are generated once from a fixed seed
(``MOVING_DIGITS_SEED``), so every run and machine sees the same dataset; training batches
then follow the run's seed like every dataset. ``data.limit`` sets the number of clips
(default 4096).

``labels`` is ``(N, 5)``: number of digits, then (class, direction) of each digit (``-1`` when
absent); direction ``d`` in 0..3 is the diagonal ``(+x +y, -x +y, +x -y, -x -y)`` of the first
frame's velocity. The shipped video classifier (``scripts/train_video_classifier.py``) learns
which classes and which directions a clip holds.
"""

from __future__ import annotations

import numpy as np
import torch

from swgen.data.base import DataConfig
from swgen.data.memory import InMemoryImages, check_image_size, grayscale_to_uint8
from swgen.errors import UserError
from swgen.registry import DATASETS

MOVING_DIGITS_SEED = 20260101
DEFAULT_CLIPS = 4096
DIRECTIONS = np.array([(1, 1), (-1, 1), (1, -1), (-1, -1)], dtype=np.float64)


def bounce(start: float, velocity: float, steps: int, span: float) -> np.ndarray:
    """Positions of a point moving at ``velocity`` from ``start`` inside ``[0, span]``,
    reflected at both ends (a triangle wave)."""
    if span <= 0:
        return np.zeros(steps)
    raw = start + velocity * np.arange(steps)
    period = 2 * span
    folded = np.mod(raw, period)
    return np.where(folded > span, period - folded, folded)


def make_moving_digits(
    count: int,
    frames: int,
    size: int,
    seed: int = MOVING_DIGITS_SEED,
    glyph_indices: np.ndarray | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` clips uint8 ``(N, 1, frames, size, size)`` and their ``(N, 5)`` labels.

    ``glyph_indices`` restricts the sklearn digits drawn from (the video classifier's held-out
    clips use digits its training clips never saw).
    """
    from sklearn.datasets import load_digits  # slow to import; only here

    bunch = load_digits()
    digit_size = max(4, size * 7 // 16)
    images, targets = bunch.images, bunch.target
    if glyph_indices is not None:
        images, targets = images[glyph_indices], targets[glyph_indices]
    glyphs = grayscale_to_uint8(images / 16.0, digit_size, 1)[:, 0].numpy()
    rng = np.random.default_rng(seed)
    clips = np.zeros((count, frames, size, size), dtype=np.uint8)
    labels = np.full((count, 5), -1, dtype=np.int64)
    span = size - digit_size
    for index in range(count):
        n_digits = int(rng.integers(1, 3))
        labels[index, 0] = n_digits
        for slot in range(n_digits):
            pick = int(rng.integers(len(glyphs)))
            direction = int(rng.integers(4))
            speed = rng.uniform(1.0, 2.5, size=2)  # pixels per frame along x and y
            vx, vy = DIRECTIONS[direction] * speed
            xs = np.rint(bounce(rng.uniform(0, span), vx, frames, span)).astype(int)
            ys = np.rint(bounce(rng.uniform(0, span), vy, frames, span)).astype(int)
            for t in range(frames):
                window = clips[index, t, ys[t] : ys[t] + digit_size, xs[t] : xs[t] + digit_size]
                np.maximum(window, glyphs[pick], out=window)
            labels[index, 1 + 2 * slot] = int(targets[pick])
            labels[index, 2 + 2 * slot] = direction
    return torch.from_numpy(clips).unsqueeze(1), torch.from_numpy(labels)


@DATASETS.register(
    "moving-digits",
    summary="clips of bundled digits bouncing in a frame, for video models (generated)",
)
def moving_digits(config: DataConfig) -> InMemoryImages:
    size = check_image_size(config)
    if size < 8:
        raise UserError(f"moving-digits needs data.image_size of at least 8, got {size}")
    if not isinstance(config.frames, int) or config.frames < 1:
        raise UserError(f"data.frames must be a positive integer, got {config.frames!r}")
    if config.channels not in (None, 1):
        raise UserError(f"moving-digits has one channel; drop data.channels={config.channels}")
    count = DEFAULT_CLIPS if config.limit is None else config.limit
    if not isinstance(count, int) or count < 1:
        raise UserError(f"data.limit must be a positive integer or null, got {config.limit!r}")
    clips, labels = make_moving_digits(count, config.frames, size)
    return InMemoryImages("moving-digits", clips, labels)
