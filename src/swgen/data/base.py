"""What every dataset gives the engine: a description of one sample and a deterministic batch.

A batch is a pure function of (seed, step): resuming a run at step t sees exactly the batches an
uninterrupted run would have seen, and each rank of a multi-process run takes its own slice of the
same global batch (data sharded, nothing drawn twice).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor


@dataclass
class DataConfig:
    """The ``data:`` section of a run's config."""

    name: str = "digits"  # a registered dataset (swgen list shows them) or an image folder
    path: str | None = None  # folder of IDX files or images; a dataset may find its own
    image_size: int = 32  # images are resized (and centre-cropped) to this size
    channels: int | None = None  # None keeps the dataset's own (1 for digits/MNIST, 3 for folders)
    limit: int | None = None  # use only the first ``limit`` samples of a finite dataset
    frames: int = 16  # video: frames per clip
    frame_stride: int = 1  # video folders: keep every ``frame_stride``-th frame of a video


@dataclass(frozen=True)
class DataInfo:
    """Shape of one sample as the networks see it.

    ``kind == "points"``: ``shape == (d,)``, values in data coordinates.
    ``kind == "images"``: ``shape == (C, H, W)``, values in [-1, 1].
    ``kind == "video"``: ``shape == (C, T, H, W)`` (T frames), values in [-1, 1].

    Kinds are data, not classes: a new kind (labels, domains, pairs) adds a value here and the
    fields it needs, and each model checks the kinds it can train on.
    """

    kind: Literal["points", "images", "video"]
    shape: tuple[int, ...]

    @property
    def is_pixels(self) -> bool:
        """Images or video: channels first, values in [-1, 1]."""
        return self.kind in ("images", "video")

    @property
    def channels(self) -> int:
        return self.shape[0] if self.is_pixels else 0

    @property
    def image_size(self) -> int:
        """Width of an image or frame (0 for points)."""
        return self.shape[-1] if self.is_pixels else 0

    @property
    def frames(self) -> int:
        """Frames per clip (1 for images, 0 for points)."""
        if self.kind == "video":
            return self.shape[1]
        return 1 if self.kind == "images" else 0


# ``step_generator(seed, SAMPLE_STREAM, ...)`` draws ``DataSource.sample`` reference sets: a stream
# apart from every training step (steps and epochs are >= 0).
SAMPLE_STREAM = -1


def step_generator(seed: int, *stream: int) -> torch.Generator:
    """A CPU generator seeded from ``seed`` and stream indices (e.g. step, epoch).

    Mixing the indices through a large odd multiplier keeps streams of neighbouring steps and
    seeds apart while staying reproducible on every platform.
    """
    state = seed & 0xFFFFFFFF
    for index in stream:
        state = (state * 6364136223846793005 + 1442695040888963407 + int(index)) % (1 << 63)
    return torch.Generator().manual_seed(state)


class DataSource(ABC):
    """A dataset registered by name in ``swgen.registry.DATASETS``."""

    info: DataInfo
    name: str

    @abstractmethod
    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Tensor:
        """Rows ``rank::world_size`` of the global batch number ``step`` (float32, model space)."""

    @abstractmethod
    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` real samples (float32, model space), e.g. as the reference set of a metric."""

    def to_data_space(self, x: Tensor) -> Tensor:
        """Model-space samples to what users save: images and video in [0, 1], points unchanged."""
        if self.info.is_pixels:
            return ((x + 1) / 2).clamp(0, 1)
        return x

    def describe(self) -> str:
        return f"{self.name}: {self.info.kind} of shape {tuple(self.info.shape)}"
