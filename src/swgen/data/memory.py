"""Finite image datasets, shuffled per epoch, sliced per rank.

Every finite dataset (digits, MNIST, Fashion-MNIST, image folders) ends up here as one uint8
tensor of shape (N, C, H, W): in memory for bundled data, memory-mapped from a prepared copy
(``swgen.data.prepared``) for the user's folders, read a batch at a time. The sample order is an
infinite sequence of epochs, epoch ``e`` being the permutation drawn from
``step_generator(seed, e)``; batch ``step`` of global size ``B`` holds positions
``[step * B, (step + 1) * B)`` of that sequence and rank ``r`` of ``w`` takes positions ``r::w``
of it. So a batch is a pure function of (seed, step), one epoch visits every
sample once, and the ranks of a multi-process run split each global batch without overlap.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from swgen.data.base import (
    SAMPLE_STREAM,
    Batch,
    DataConfig,
    DataInfo,
    DataSource,
    step_generator,
)
from swgen.errors import UserError


class InMemoryImages(DataSource):
    """A finite image or video dataset: ``images`` is uint8 (N, C, H, W) or (N, C, T, H, W)
    (video clips), in memory or memory-mapped, served as float32 in [-1, 1].

    ``labels`` of shape (N,) are class indices served with every batch (``class_names`` names
    them; default "0", "1", ...); other label shapes (e.g. moving digits' per-clip records) are
    kept on the dataset for metrics but not served. ``verify(indices)`` is called with the rows
    of ``images`` before they are read (a prepared copy's checksums); ``crop`` serves the
    central ``crop`` x ``crop`` window of each image instead of the whole (held-out images of
    two domains loaded larger), without copying the set."""

    _cached_epochs = 4  # a batch spans at most two epochs; keep a few for sample() too

    def __init__(
        self,
        name: str,
        images: Tensor,
        labels: Tensor | None = None,
        class_names: tuple[str, ...] | None = None,
        stream: tuple[int, ...] = (),
        verify: Callable[[Tensor], None] | None = None,
        crop: int | None = None,
    ) -> None:
        if images.dtype != torch.uint8 or images.dim() not in (4, 5):
            raise ValueError(
                f"images must be uint8 (N, C, H, W) or clips (N, C, T, H, W), got {images.dtype} "
                f"{images.shape}"
            )
        if len(images) == 0:
            raise UserError(f"dataset {name!r} has no samples")
        self.name = name
        # Indices mixed into every shuffle: two datasets read with one seed (the two domains of
        # a translation dataset) then shuffle independently.
        self.stream = stream
        self.images = images.contiguous()
        self.verify = verify
        self.crop = crop if crop is not None and crop < images.shape[-1] else None
        self.labels = labels
        kind = "images" if images.dim() == 4 else "video"
        shape = tuple(images.shape[1:])
        if self.crop is not None:
            shape = (*shape[:-2], self.crop, self.crop)
        self._serves_labels = labels is not None and labels.dim() == 1 and len(labels) > 0
        if self._serves_labels:
            assert labels is not None
            num_classes = int(labels.max()) + 1
            names = class_names or tuple(str(k) for k in range(num_classes))
            if len(names) < num_classes:
                raise ValueError(f"{len(names)} class names for {num_classes} classes")
            self.info = DataInfo(kind, shape, len(names), tuple(names))
        else:
            self.info = DataInfo(kind, shape)
        self._permutations: OrderedDict[tuple[int, ...], Tensor] = OrderedDict()

    def __len__(self) -> int:
        return len(self.images)

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        start = step * batch_size
        positions = torch.arange(start + rank, start + batch_size, world_size)
        return self._gather_batch(positions, seed)

    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` samples in the order of a shuffle apart from training (distinct while n <= N)."""
        return self._gather_batch(torch.arange(n), seed, SAMPLE_STREAM).x

    def sample_batch(self, n: int, seed: int = 0) -> Batch:
        return self._gather_batch(torch.arange(n), seed, SAMPLE_STREAM)

    def sample_chunks(self, n: int, seed: int = 0, chunk: int = 2000) -> Iterator[Tensor]:
        for start in range(0, n, chunk):
            positions = torch.arange(start, min(n, start + chunk))
            yield self._gather_batch(positions, seed, SAMPLE_STREAM).x

    def describe(self) -> str:
        what = "images" if self.info.kind == "images" else "clips (C, T, H, W)"
        return f"{self.name}: {len(self)} {what} of shape {tuple(self.info.shape)}"

    def _gather_batch(self, positions: Tensor, seed: int, *stream: int) -> Batch:
        """Samples at ``positions`` of the epoch sequence (``stream`` selects another shuffle)."""
        n = len(self.images)
        epochs, offsets = positions // n, positions % n
        index = torch.empty_like(positions)
        for epoch in torch.unique(epochs).tolist():
            in_epoch = epochs == epoch
            permutation = self._permutation(seed, *self.stream, *stream, epoch)
            index[in_epoch] = permutation[offsets[in_epoch]]
        if self.verify is not None:
            self.verify(index)
        # numpy's gather of whole rows is many times faster than torch's on uint8.
        rows = self.images.numpy()[index.numpy()]
        if self.crop is not None:
            top = (rows.shape[-1] - self.crop) // 2
            rows = rows[..., top : top + self.crop, top : top + self.crop]
        x = torch.from_numpy(np.ascontiguousarray(rows)).float().div_(127.5).sub_(1.0)
        assert self.labels is not None or not self._serves_labels
        return Batch(x, self.labels[index] if self._serves_labels else None)  # type: ignore[index]

    def _permutation(self, seed: int, *stream: int) -> Tensor:
        key = (seed, *stream)
        if key in self._permutations:
            self._permutations.move_to_end(key)
            return self._permutations[key]
        permutation = torch.randperm(len(self.images), generator=step_generator(seed, *stream))
        self._permutations[key] = permutation
        if len(self._permutations) > self._cached_epochs:
            self._permutations.popitem(last=False)
        return permutation


def image_channels(config: DataConfig, default: int) -> int:
    """The channel count a config asks for (``None`` keeps ``default``); only 1 or 3."""
    channels = default if config.channels is None else config.channels
    if channels not in (1, 3):
        raise UserError(f"data.channels must be 1 or 3, got {config.channels!r}")
    return channels


def check_image_size(config: DataConfig) -> int:
    size = config.image_size
    if not isinstance(size, int) or size < 1:
        raise UserError(f"data.image_size must be a positive integer, got {size!r}")
    return size


def take_limit(config: DataConfig, count: int) -> int:
    """How many leading samples of ``count`` to keep under ``config.limit``."""
    if config.limit is None:
        return count
    if not isinstance(config.limit, int) or config.limit < 1:
        raise UserError(f"data.limit must be a positive integer or null, got {config.limit!r}")
    return min(config.limit, count)


def bicubic_matrix(source: int, target: int) -> np.ndarray:
    """The (target, source) matrix of PIL's bicubic resize of one axis from ``source`` pixels.

    PIL resizes a float ("F") image linearly and one axis at a time, so resizing the identity
    image along its height yields the matrix ``R`` with ``resize(X) == R_h @ X @ R_w.T`` for every
    image ``X`` of height h and width w: matrix products instead of a PIL call per image.
    """
    identity = Image.fromarray(np.eye(source, dtype=np.float32))
    return np.asarray(identity.resize((source, target), Image.Resampling.BICUBIC))


def grayscale_to_uint8(images: np.ndarray, size: int, channels: int) -> Tensor:
    """Grayscale images (N, H, W) in [0, 1] to uint8 (N, channels, size, size).

    Resizing is PIL bicubic on float images (see ``bicubic_matrix``), so nothing is clipped or
    quantised before the interpolation; the result is clipped to [0, 1] (bicubic overshoots) and
    rounded once. Grayscale is replicated when ``channels == 3``.
    """
    images = np.asarray(images, dtype=np.float32)
    out = np.empty((len(images), size, size), dtype=np.uint8)
    resize = images.shape[1:] != (size, size)
    rows, columns = (bicubic_matrix(length, size) for length in images.shape[1:])
    for start in range(0, len(images), 4096):  # bounded float32 temporaries for 60k images
        chunk = images[start : start + 4096]
        if resize:
            chunk = rows @ chunk @ columns.T
        out[start : start + 4096] = np.rint(np.clip(chunk, 0.0, 1.0) * 255.0)
    tensor = torch.from_numpy(out).unsqueeze(1)
    return tensor.expand(-1, channels, -1, -1).contiguous()
