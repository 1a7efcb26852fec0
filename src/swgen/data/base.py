"""What every dataset gives the engine: a description of one sample and a deterministic batch.

A batch is a pure function of (seed, step): resuming a run at step t sees exactly the batches an
uninterrupted run would have seen, and each rank of a multi-process run takes its own slice of the
same global batch (data sharded, nothing drawn twice).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
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
    load_size: int | None = None  # two domains: train on random crops of images loaded this big
    flip: bool | None = None  # two domains: random mirror flips (None: on for folders, as CycleGAN)
    direction: Literal["AtoB", "BtoA"] = "AtoB"  # paired data: BtoA swaps inputs and targets
    cache_dir: str | None = None  # prepared copies of folders (None: ~/.cache/swgen/prepared)
    map_classes: int | None = None  # label maps: classes (None: the largest index in them + 1)


@dataclass(frozen=True)
class DataInfo:
    """Shape of one sample as the networks see it, and what each batch row carries beside it.

    ``kind == "points"``: ``shape == (d,)``, values in data coordinates.
    ``kind == "images"``: ``shape == (C, H, W)``, values in [-1, 1].
    ``kind == "video"``: ``shape == (C, T, H, W)`` (T frames), values in [-1, 1].

    Beside the samples ``x`` a batch (:class:`Batch`) may carry, for every kind:

    * class labels, when ``num_classes > 0`` (``class_names`` names them, in label order);
    * a second sample ``y`` per row, when ``pairing`` is ``"paired"`` (``y`` is the target of
      the input ``x``: enhancement, pix2pix-style pairs) or ``"unpaired"`` (``x`` from domain A,
      ``y`` from domain B, drawn independently: CycleGAN-style translation). ``y_shape`` is the
      shape of one ``y`` (``shape`` unless the two differ).
    * label maps as ``x``, when ``map_classes > 0`` (SPADE-style synthesis, pix2pix on maps):
      ``x`` rows are (1, H, W) class indices ``0 .. map_classes - 1`` stored as float (not in
      [-1, 1]); a model one-hot encodes them (``swgen.nn.label_maps.one_hot``). ``y`` holds the
      images, of shape ``y_shape``.
    * ``single_image``: the data are one image (``--data image:PATH``), which a model learning
      from one image (SinGAN) reads whole; other models train on it as on any image set.

    Kinds are data, not classes: each model checks the kinds and extras it can train on.
    """

    kind: Literal["points", "images", "video"]
    shape: tuple[int, ...]
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    pairing: Literal["none", "paired", "unpaired"] = "none"
    y_shape: tuple[int, ...] | None = None
    map_classes: int = 0
    single_image: bool = False  # every sample is the one image a single-image model learns

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

    @property
    def has_labels(self) -> bool:
        return self.num_classes > 0

    @property
    def target_shape(self) -> tuple[int, ...]:
        """Shape of one ``y`` (meaningful when ``pairing != "none"``)."""
        return self.y_shape if self.y_shape is not None else self.shape


@dataclass
class Batch:
    """One real batch, the same for every model: ``train_step(batch, step)`` reads its fields.

    ``x``: the samples (B, *DataInfo.shape), float32 in model space; with pairs or two domains,
    the inputs / domain A. ``labels``: (B,) int64 class indices when ``DataInfo.num_classes > 0``,
    else ``None``. ``y``: (B, *DataInfo.target_shape) targets / domain-B samples when
    ``DataInfo.pairing != "none"``, else ``None``. Rows of all fields correspond (except that
    unpaired ``y`` rows are independent draws).
    """

    x: Tensor
    labels: Tensor | None = None
    y: Tensor | None = None

    def __len__(self) -> int:
        return len(self.x)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        return Batch(*(_move(t, device, non_blocking) for t in (self.x, self.labels, self.y)))

    def chunk(self, n: int) -> list[Batch]:
        """``n`` consecutive batches of equal rows (e.g. one per critic update)."""
        if len(self) % n:
            raise ValueError(f"{len(self)} rows do not split into {n} batches")
        parts = [t.chunk(n) if t is not None else [None] * n for t in (self.x, self.labels, self.y)]
        return [Batch(*fields) for fields in zip(*parts, strict=True)]

    @staticmethod
    def cat(batches: list[Batch]) -> Batch:
        """Rows of ``batches`` one after the other (the fields present in the first)."""
        first = batches[0]
        fields = []
        for name in ("x", "labels", "y"):
            values = [getattr(b, name) for b in batches]
            fields.append(None if getattr(first, name) is None else torch.cat(values))
        return Batch(*fields)


def _move(t: Tensor | None, device: torch.device | str, non_blocking: bool) -> Tensor | None:
    return None if t is None else t.to(device, non_blocking=non_blocking)


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
    ) -> Batch:
        """Rows ``rank::world_size`` of the global batch number ``step`` (float32, model space),
        with the labels and second samples that ``info`` announces."""

    @abstractmethod
    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` real samples ``x`` (float32, model space), e.g. a metric's reference set."""

    def sample_batch(self, n: int, seed: int = 0) -> Batch:
        """The same ``n`` samples as :meth:`sample` with their labels and second samples."""
        return Batch(self.sample(n, seed))

    def sample_chunks(self, n: int, seed: int = 0, chunk: int = 2000) -> Iterator[Tensor]:
        """The samples of :meth:`sample` ``(n, seed)``, ``chunk`` rows at a time (a finite
        dataset reads only those rows: a metric's real set streams)."""
        yield from self.sample(n, seed).split(chunk)

    def to_data_space(self, x: Tensor) -> Tensor:
        """Model-space samples to what users save: images and video in [0, 1], points unchanged."""
        if self.info.is_pixels:
            return ((x + 1) / 2).clamp(0, 1)
        return x

    def describe(self) -> str:
        return f"{self.name}: {self.info.kind} of shape {tuple(self.info.shape)}"
