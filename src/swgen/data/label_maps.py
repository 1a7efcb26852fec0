"""Label maps paired with images, for semantic image synthesis (SPADE): ``label-maps`` folders.

A batch's ``x`` rows are label maps, (1, H, W) class indices ``0 .. K - 1`` stored as float, and
its ``y`` rows the images they describe, in [-1, 1] (``DataInfo.map_classes == K``,
``pairing == "paired"``). Training rows are the pairs in a shuffle per epoch
(``step_generator(seed, epoch)``), each mirrored with probability 1/2 with ``data.flip`` (on by
default, as the SPADE code's ``no_flip=False``), flips drawn from ``step_generator(seed,
FLIP_STREAM, step)`` for the global batch: a batch is a pure function of (seed, step) and sharded
by rank like every swgen dataset. Held-out pairs are the ``test`` split (or the training pairs
without one), in order, never flipped.

Folder layout (``--data FOLDER``, found from the folder alone): ``FOLDER/label`` and
``FOLDER/image``, and optionally ``FOLDER/test/label`` and ``FOLDER/test/image``. A map and its
image share their relative path without the suffix (``label/a/x.png`` with ``image/a/x.jpg``;
the SPADE code's pairing check compares the same). Maps are single-channel PNGs of class indices
(PIL mode ``L``, ``P`` (palette indices), ``1`` or 16-bit), resized with NEAREST; images are read
as image folders (``swgen.data.folder``), resized bicubic; both shorter side to
``data.image_size`` and centre-cropped, the same window. The number of classes is
``data.map_classes``, or the largest index in the maps plus one.

Refused in one line each (the most common complaints in the SPADE tracker, NVlabs/SPADE#68,
#137, #138, #166, #36): a map in colour (an RGB mask with differing channels), an index out of
range of ``data.map_classes``, maps that look like 0/255 binary masks (few distinct values far
apart), a map and its image of different sizes, and names that do not match.

Each split is read from its prepared copy (``swgen.data.prepared``): the pairs decoded once, on
every core, at the run's image size, then memory-mapped.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from swgen.data.base import Batch, DataConfig, DataInfo, DataSource, step_generator
from swgen.data.folder import (
    IMAGE_SUFFIXES,
    UNREADABLE,
    ImageTooLarge,
    nothing_readable,
    read_image,
    skipped_notes,
    to_channels_first,
)
from swgen.data.memory import check_image_size, image_channels, take_limit
from swgen.data.prepared import CopyWriter, cache_root, decode_in_order, prepared_copy
from swgen.errors import UserError
from swgen.listing import scan_files
from swgen.registry import DATASETS

FLIP_STREAM = 5
MAX_CLASSES = 256  # indices are stored as uint8
DECODER = "label-maps-1"  # bumped whenever decoding changes what a prepared copy holds


def to_model_space(images: Tensor) -> Tensor:
    return images.float().div(127.5).sub(1.0)


class LabelMapPairs(DataSource):
    """(label map, image) pairs of one size (see the module docstring).

    ``maps``: uint8 (N, 1, S, S) class indices below ``classes``; ``images``: uint8 (N, C, S, S);
    ``test_maps``/``test_images`` the held-out pairs (default the training ones); ``class_names``
    name the map classes (default "0", "1", ...), ``names`` the held-out pairs.
    """

    def __init__(
        self,
        name: str,
        maps: Tensor,
        images: Tensor,
        classes: int,
        flip: bool,
        test_maps: Tensor | None = None,
        test_images: Tensor | None = None,
        class_names: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
        verify: Callable[[Tensor, bool], None] | None = None,
    ) -> None:
        if len(maps) == 0:
            raise UserError(f"dataset {name!r} has no pairs")
        self.name = name
        self.maps, self.images = maps, images
        self.test_maps = maps if test_maps is None else test_maps
        self.test_images = images if test_images is None else test_images
        self.classes = classes
        self.flip = flip
        self.class_names = tuple(class_names or (str(k) for k in range(classes)))
        self.names = list(names or (f"{name}-{i}" for i in range(len(self.test_maps))))
        # A prepared copy's check of the rows about to be read (training or held-out split).
        self.verify = verify
        size = int(maps.shape[-1])
        self.info = DataInfo(
            "images", (1, size, size), pairing="paired",
            y_shape=(int(images.shape[1]), size, size), map_classes=classes,
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.maps)

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        start = step * batch_size
        positions = torch.arange(start, start + batch_size)
        n = len(self.maps)
        epochs, offsets = positions // n, positions % n
        index = torch.empty_like(positions)
        for epoch in torch.unique(epochs).tolist():
            permutation = torch.randperm(n, generator=step_generator(seed, epoch))
            index[epochs == epoch] = permutation[offsets[epochs == epoch]]
        flips = torch.rand(batch_size, generator=step_generator(seed, FLIP_STREAM, step)) < 0.5
        rows = slice(rank, batch_size, world_size)
        index, flips = index[rows], flips[rows]
        if self.verify is not None:
            self.verify(index, False)
        maps, images = self.maps[index].float(), to_model_space(self.images[index])
        if self.flip:
            maps = torch.where(flips[:, None, None, None], maps.flip(-1), maps)
            images = torch.where(flips[:, None, None, None], images.flip(-1), images)
        return Batch(maps, y=images)

    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` held-out label maps (in order, repeated when ``n`` exceeds them)."""
        return self.held_out(n, seed=seed).x

    def sample_batch(self, n: int, seed: int = 0) -> Batch:
        return self.held_out(n, seed=seed)

    def held_out(self, n: int, direction: str = "AtoB", seed: int = 0) -> Batch:
        """The first ``n`` held-out maps ``x`` with their true images ``y`` (in turn, repeated
        when ``n`` exceeds them)."""
        index = torch.arange(n) % len(self.test_maps)
        if self.verify is not None:
            self.verify(index, True)
        return Batch(self.test_maps[index].float(), y=to_model_space(self.test_images[index]))

    @property
    def held_out_count(self) -> int:
        """Held-out pairs, each measured once by ``swgen eval``."""
        return len(self.test_maps)

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self.maps)} training pairs, {len(self.test_maps)} held out, "
            f"{self.classes} classes, maps {tuple(self.info.shape)} and images "
            f"{tuple(self.info.target_shape)}"
        )


# --- reading label maps --------------------------------------------------------------------------


class NotIndices(ValueError):
    """A label map whose pixels are not class indices (an RGB colour mask)."""


def read_label_map(path: Path) -> np.ndarray:
    """The class indices of the label map at ``path``, (H, W) int64: the pixel values of an
    ``L``, ``1`` or 16-bit image, the palette indices of a ``P`` image, or the common value of an
    RGB(A) image whose three channels are equal; an RGB image with differing channels (a colour
    mask) raises :class:`NotIndices`."""
    with Image.open(path) as opened:
        opened.load()
        mode = opened.mode
        if mode in ("L", "P", "1") or mode.startswith("I"):
            return np.asarray(opened).astype(np.int64)
        if mode == "LA" or mode == "PA":
            return np.asarray(opened.getchannel(0)).astype(np.int64)
        pixels = np.asarray(opened.convert("RGB")).astype(np.int64)
    if (pixels[..., 0] != pixels[..., 1]).any() or (pixels[..., 0] != pixels[..., 2]).any():
        raise NotIndices(str(path))
    return pixels[..., 0]


def colour_mask_error(path: str | Path) -> UserError:
    return UserError(
        f"label map '{path}' is an RGB colour mask (3 distinct channels); save each map as a "
        "single-channel PNG (mode L or P) of class indices 0..K-1"
    )


def read_map_input(path: Path, classes: int) -> Tensor:
    """The label map at ``path`` as a (1, 1, H, W) float tensor of class indices, at its own
    size, for ``swgen translate``; a colour mask or an index outside ``0 .. classes - 1`` is a
    one-line user error naming the file."""
    try:
        indices = read_label_map(path)
    except NotIndices:
        raise colour_mask_error(path) from None
    if indices.size and (indices.min() < 0 or indices.max() >= classes):
        raise UserError(
            f"label map '{path}' holds class index {int(indices.max())}, but the run was trained "
            f"on {classes} classes (indices 0..{classes - 1}); give maps of the run's classes"
        )
    return torch.from_numpy(indices).float()[None, None]


def square_window(width: int, height: int, size: int) -> tuple[tuple[int, int], tuple[int, ...]]:
    """The resize (shorter side to ``size``) and the centre ``size`` x ``size`` crop box."""
    scale = size / min(width, height)
    new = (max(size, round(width * scale)), max(size, round(height * scale)))
    left, top = (new[0] - size) // 2, (new[1] - size) // 2
    return new, (left, top, left + size, top + size)


def fit_map(indices: np.ndarray, size: int) -> np.ndarray:
    """(H, W) indices below 256, shorter side resized NEAREST to ``size``, centre-cropped."""
    image = Image.fromarray(indices.astype(np.uint8), mode="L")
    new, box = square_window(*image.size, size)
    return np.asarray(image.resize(new, Image.Resampling.NEAREST).crop(box), dtype=np.uint8)


def fit_image(image: Image.Image, size: int) -> np.ndarray:
    new, box = square_window(*image.size, size)
    return np.asarray(image.resize(new, Image.Resampling.BICUBIC).crop(box), dtype=np.uint8)


def decode_label_pair(paths: tuple[str, str], size: int, mode: str) -> tuple[str, Any]:
    """One pair for a prepared copy, in a worker process: ``("ok", (map, image, present))``
    with uint8 (1, S, S) and (C, S, S) arrays and the sorted indices the map holds, or
    ``("colour", None)``, ``("range", largest)``, ``("sizes", ((w, h), (w, h)))``,
    ``("too_large", path)``, ``("unreadable", None)``."""
    map_path, image_path = paths
    try:
        indices = read_label_map(Path(map_path))
        image = read_image(Path(image_path), mode)
    except NotIndices:
        return ("colour", None)
    except ImageTooLarge as error:
        return ("too_large", str(error.path))
    except UNREADABLE:
        return ("unreadable", None)
    if (indices.shape[1], indices.shape[0]) != image.size:
        return ("sizes", ((indices.shape[1], indices.shape[0]), image.size))
    present = np.unique(indices)
    if present[0] < 0 or present[-1] >= MAX_CLASSES:
        return ("range", int(present[-1] if present[-1] >= MAX_CLASSES else present[0]))
    pixels = to_channels_first(fit_image(image, size))
    return ("ok", (fit_map(indices, size)[None], pixels, present.tolist()))


def label_map_folders(root: Path) -> dict[str, tuple[Path, Path]] | None:
    """The (label, image) folders of each split under ``root``, or None when it holds neither
    ``label/`` nor ``image/``. One of the two alone is a user error."""
    found: dict[str, tuple[Path, Path]] = {}
    for split, base in (("train", root), ("test", root / "test")):
        labels, images = base / "label", base / "image"
        if not (labels.is_dir() or images.is_dir()):
            continue
        if not (labels.is_dir() and images.is_dir()):
            have, missing = (labels, images) if labels.is_dir() else (images, labels)
            raise UserError(
                f"data folder '{root}' holds '{have.relative_to(root)}' but no "
                f"'{missing.relative_to(root)}'; put each label map in label/ and its image in "
                "image/ under the same name"
            )
        found[split] = (labels, images)
    return found or None


def stems(folder: Path, entries: Sequence[Any]) -> dict[str, Path]:
    """Relative paths without suffix -> files; two files of one stem are a user error."""
    found: dict[str, Path] = {}
    for entry in entries:
        key = entry.path.relative_to(folder).with_suffix("").as_posix()
        if key in found:
            raise UserError(
                f"'{folder}' holds both '{found[key].name}' and '{entry.path.name}'; keep one "
                "file per name (maps and images are matched by name without the suffix)"
            )
        found[key] = entry.path
    return found


def read_label_pairs(
    labels: Path, images: Path, size: int, mode: str, limit: int | None, cache: Path
) -> tuple[Tensor, Tensor, list[str], list[int], list[int], Callable[[Tensor], None]]:
    """(maps, images, names, largest index per pair, indices present in any map, the check of
    rows about to be read) of two folders matched by name, from their prepared copy (built on
    first use)."""
    label_files = scan_files(labels, frozenset({".png", ".bmp", ".tif", ".tiff"}))
    image_files = scan_files(images, IMAGE_SUFFIXES)
    map_names, image_names = stems(labels, label_files), stems(images, image_files)
    if not map_names:
        raise UserError(
            f"label folder '{labels}' holds no PNG label maps; put one single-channel PNG of "
            "class indices per image there"
        )
    unmatched = sorted(set(map_names) ^ set(image_names))
    if unmatched:
        example = unmatched[0]
        side = "label/" if example in map_names else "image/"
        raise UserError(
            f"{len(unmatched)} name(s) of '{labels}' and '{images}' do not match (e.g. "
            f"'{example}' is only in {side}); give every label map its image under the same name"
        )
    names = sorted(map_names)[:limit]

    def build(writer: CopyWriter) -> dict[str, Any]:
        kept, largest, present, unreadable, too_large = [], [], set(), 0, []
        items = [(str(map_names[name]), str(image_names[name])) for name in names]
        decode = functools.partial(decode_label_pair, size=size, mode=mode)
        results = decode_in_order(decode, items, f"preparing {labels.parent.name}")
        with contextlib.closing(results):
            for name, (status, payload) in zip(names, results, strict=True):
                if status == "colour":
                    raise colour_mask_error(map_names[name])
                if status == "range":
                    raise UserError(
                        f"label map '{map_names[name]}' holds the index {payload}; class "
                        f"indices must be 0..{MAX_CLASSES - 1}"
                    )
                if status == "sizes":
                    (w0, h0), (w1, h1) = payload
                    raise UserError(
                        f"label map '{name}' is {w0} x {h0} but its image is {w1} x {h1}; give "
                        "each map and its image the same size"
                    )
                if status == "too_large":
                    too_large.append(ImageTooLarge(Path(payload)))
                elif status == "unreadable":
                    unreadable += 1
                else:
                    writer.append("maps", payload[0])
                    writer.append("images", payload[1])
                    kept.append(name)
                    largest.append(int(payload[2][-1]))
                    present.update(payload[2])
        if not kept:
            raise nothing_readable(
                f"label folders '{labels}' and '{images}' have no readable pairs",
                str(len(names)), unreadable, too_large, "give PNG maps and PNG or JPEG images",
            )  # fmt: skip
        notes = skipped_notes(unreadable, too_large, "pair(s)")
        return {"names": kept, "largest": largest, "present": sorted(present), "notes": notes}

    settings = {"reader": "label-maps", "size": size, "mode": mode, "limit": limit,
                "decoder": DECODER}  # fmt: skip
    copy = prepared_copy(labels.parent, settings, [*label_files, *image_files], build, cache)
    meta = copy.meta
    if meta["notes"]:
        warnings.warn(f"'{labels}': {'; '.join(meta['notes'])}", stacklevel=2)
    stored_maps, stored_images = copy.rows("maps"), copy.rows("images")

    def verify(indices: Tensor) -> None:
        stored_maps.verify(indices)
        stored_images.verify(indices)

    names, largest, present = list(meta["names"]), list(meta["largest"]), list(meta["present"])
    return stored_maps.tensor, stored_images.tensor, names, largest, present, verify


def check_classes(
    configured: int | None, largest: list[int], present: set[int], names: list[str], root: Path
) -> int:
    """The number of classes: ``configured`` (every index below it), else the largest index
    plus one, refusing maps that look like 0/255 binary masks."""
    top = max(largest)
    if configured is not None:
        if not isinstance(configured, int) or not 1 <= configured <= MAX_CLASSES:
            raise UserError(
                f"data.map_classes must be an integer from 1 to {MAX_CLASSES}, got {configured!r}"
            )
        if top >= configured:
            index = next(i for i, value in enumerate(largest) if value >= configured)
            raise UserError(
                f"label map '{names[index]}' in '{root}' holds class index {largest[index]}, out "
                f"of range for data.map_classes={configured} (indices 0..{configured - 1}); "
                "raise data.map_classes or fix the map"
            )
        return configured
    classes = top + 1
    if classes > 8 and classes > 2 * len(present):
        shown = ", ".join(str(v) for v in sorted(present)[:6])
        raise UserError(
            f"label maps in '{root}' hold only {len(present)} distinct values ({shown}) but "
            f"indices up to {top}: 0/255 masks? save class indices 0..K-1, or set "
            f"data.map_classes={classes} if they are meant"
        )
    return classes


def check_one_way(config: DataConfig) -> None:
    """Label maps go one way, map -> image: ``data.direction=BtoA`` is refused."""
    if getattr(config, "direction", "AtoB") != "AtoB":
        raise UserError(
            "label maps are inputs and images targets (map -> image); drop data.direction"
        )


def load_label_maps(root: str | Path, config: DataConfig) -> LabelMapPairs:
    check_one_way(config)
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserError(f"data folder '{root}' does not exist or is not a folder")
    found = label_map_folders(root)
    if found is None or "train" not in found:
        raise UserError(
            f"data folder '{root}' holds no label/ and image/ folders; put each label map in "
            "label/ and its image in image/ under the same name"
        )
    size = check_image_size(config)
    mode = "L" if image_channels(config, 3) == 1 else "RGB"
    cache = cache_root(config.cache_dir)
    limit = take_limit(config, 1 << 62) if config.limit is not None else None
    maps, images, names, largest, present, check_train = read_label_pairs(
        *found["train"], size, mode, limit, cache
    )
    test_maps = test_images = None
    check_test = check_train
    all_largest, all_names, all_present = list(largest), list(names), set(present)
    if "test" in found:
        test_maps, test_images, test_names, test_largest, test_present, check_test = (
            read_label_pairs(*found["test"], size, mode, None, cache)
        )
        all_largest += test_largest
        all_names += [f"test/{name}" for name in test_names]
        all_present |= set(test_present)
        names = test_names
    classes = check_classes(config.map_classes, all_largest, all_present, all_names, root)
    flip = True if config.flip is None else bool(config.flip)

    def verify(indices: Tensor, held_out: bool) -> None:
        (check_test if held_out else check_train)(indices)

    return LabelMapPairs(
        "label-maps", maps, images, classes, flip, test_maps, test_images, names=names,
        verify=verify,
    )  # fmt: skip


@DATASETS.register(
    "label-maps", summary="label/ class-index maps and image/ photos, for SPADE (yours)"
)
def label_maps(config: DataConfig) -> LabelMapPairs:
    if not config.path:
        raise UserError("dataset 'label-maps' needs data.path, a folder with label/ and image/")
    return load_label_maps(config.path, config)
