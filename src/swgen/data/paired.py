"""Paired photos for enhancement: ``paired-folders`` (``input/`` + ``target/``) and the bundled
``photo-pairs``.

A batch's ``x`` rows are degraded inputs and its ``y`` rows their targets, aligned row by row
(``DataInfo.pairing == "paired"``). The pairs are held whole, at their own sizes; each training
row is a random ``image_size`` crop of one pair, the same window of input and target (and the
same mirror flip, with ``data.flip``), drawn from ``step_generator(seed, CROP_STREAM, step)`` for
the global batch: a batch is a pure function of (seed, step) and sharded by rank like every swgen
dataset. Held-out pairs stay whole, at full resolution, for the enhancement metrics (PSNR/SSIM at
a downscaled size and at full size, ``swgen.metrics.enhancement``); grids and ``swgen sample``
show centre crops of them (:meth:`PairedImages.held_out`).

Folder layout (``--data FOLDER``): ``FOLDER/input`` and ``FOLDER/target`` holding the same
relative file names (any depth), and optionally ``FOLDER/test/input`` and ``FOLDER/test/target``
for held-out pairs (else the training pairs are the held-out ones). An input and its target must
have the same size. pix2pix's aligned layout (``--data paired-folders data.path=FOLDER``, the
pix2pix code's ``AlignedDataset``): ``FOLDER/train`` holding files that each show an input and its
target side by side (width 2W: left half A, right half B), and optionally ``FOLDER/test`` (or
else ``FOLDER/val``) for held-out pairs. ``data.direction=BtoA`` swaps inputs and targets in
both layouts (target -> input; right half -> left half). Each split is read from its prepared
copy (``swgen.data.prepared``): the pairs decoded once, at their own sizes, on every core, then
memory-mapped and read per crop.

``photo-pairs`` (bundled, no download): the targets are the two photos scikit-learn ships
(``china.jpg``, ``flower.jpg``, 640 x 427) and, when scikit-image is installed, its colour
photos (astronaut, coffee, chelsea, rocket); the inputs are the same photos through a known
camera model (:func:`degrade`): darkening and gamma, a colour cast, blur, noise and JPEG, with
parameters drawn per copy. Every photo gives ``COPIES`` differently degraded training copies of
its left part; its right ``HELD_OUT_SHARE`` is held out (``HELD_OUT_COPIES`` degraded copies), so
the held-out pictures are image regions no training crop ever covers. (scikit-learn ships only
two photos, so whole held-out photos would leave one to train on; this is our choice.)

``photo-clips`` (bundled): the same pairs as clips of ``data.frames`` frames of a camera panning
across them (:class:`PairedImages` with ``frames``), for recurrent (video) enhancement.
"""

from __future__ import annotations

import contextlib
import functools
import io
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np
import torch
from PIL import Image, ImageFilter
from torch import Tensor

from swgen.data.base import SAMPLE_STREAM, Batch, DataConfig, DataInfo, DataSource, step_generator
from swgen.data.folder import (
    IMAGE_SUFFIXES,
    UNREADABLE,
    ImageTooLarge,
    nothing_readable,
    read_image,
    skipped_notes,
)
from swgen.data.memory import check_image_size, image_channels, take_limit
from swgen.data.prepared import (
    CopyWriter,
    Prepared,
    cache_root,
    decode_in_order,
    prepared_copy,
)
from swgen.errors import UserError
from swgen.listing import scan_files
from swgen.registry import DATASETS

CROP_STREAM = 4
COPIES = 8  # differently degraded training copies of each photo
HELD_OUT_COPIES = 3  # differently degraded copies of each held-out region
HELD_OUT_SHARE = 0.3  # the right share of each photo's width, never cropped for training

# The camera model's parameter ranges, each drawn uniformly per degraded copy.
EXPOSURE = (0.35, 0.7)  # the scene is darkened to this share of its light
GAMMA = (1.2, 1.8)  # then raised to this power (a darker, flatter tone curve)
CAST = (0.75, 1.15)  # each channel's gain (a colour cast), normalised to keep the exposure
BLUR = (0.3, 1.0)  # Gaussian blur sigma in pixels
NOISE = (0.01, 0.03)  # Gaussian noise sigma, of the [0, 1] range
JPEG_QUALITY = (40, 80)  # JPEG quality of the saved input


def degrade(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A (H, W, 3) uint8 photo through the camera model, as uint8 (H, W, 3).

    ``u = (e * p) ** g * c`` (exposure ``e``, gamma ``g``, per-channel cast ``c`` with mean 1),
    then a Gaussian blur, additive Gaussian noise, and JPEG compression; every parameter is
    drawn from ``rng`` in the ranges above.
    """
    exposure, gamma = rng.uniform(*EXPOSURE), rng.uniform(*GAMMA)
    cast = rng.uniform(*CAST, size=3)
    cast = cast / cast.mean()
    pixels = (exposure * photo.astype(np.float64) / 255.0) ** gamma * cast
    image = Image.fromarray(np.uint8(np.clip(pixels, 0, 1) * 255 + 0.5))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(*BLUR)))
    noisy = np.asarray(image, np.float64) / 255.0
    noisy = noisy + rng.normal(0.0, rng.uniform(*NOISE), size=noisy.shape)
    image = Image.fromarray(np.uint8(np.clip(noisy, 0, 1) * 255 + 0.5))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(rng.integers(*JPEG_QUALITY, endpoint=True)))
    buffer.seek(0)
    with Image.open(buffer) as jpeg:
        return np.asarray(jpeg.convert("RGB"), dtype=np.uint8).copy()


def to_tensor(pixels: np.ndarray) -> Tensor:
    """(H, W) or (H, W, C) uint8 to (C, H, W) uint8."""
    tensor = torch.from_numpy(np.array(pixels, dtype=np.uint8))  # a writable copy
    return tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1).contiguous()


def to_model_space(images: Tensor) -> Tensor:
    return images.float().div(127.5).sub(1.0)


class PairedImages(DataSource):
    """Aligned (input, target) pairs of any sizes (see the module docstring).

    ``train`` and ``test`` are lists of uint8 (C, H, W) pairs, each pair of one size of at least
    ``size`` on both sides; ``names`` name the held-out pairs (for reports).

    With ``frames = T > 1`` the pairs are served as clips (``DataInfo.kind == "video"``, rows
    (C, T, size, size)): a camera panning ``pan`` pixels to the right per frame over the pair,
    frame ``t`` being the window moved ``t * pan`` pixels from the first (a video whose frames
    overlap, for recurrent enhancement). Held-out clips pan over the whole height of each
    held-out pair, at full resolution.
    """

    def __init__(
        self,
        name: str,
        train: Sequence[tuple[Tensor, Tensor]],
        size: int,
        flip: bool,
        test: Sequence[tuple[Tensor, Tensor]] | None = None,
        names: list[str] | None = None,
        frames: int = 1,
        pan: int = 0,
    ) -> None:
        if not train:
            raise UserError(f"dataset {name!r} has no pairs")
        self.name = name
        self.size = size
        self.flip = flip
        self.pairs = train
        self.test = test if test is not None else train
        self.names = names or [f"{name}-{i}" for i in range(len(self.test))]
        self.frames, self.pan = frames, pan
        channels = int(train[0][0].shape[0])
        travel = pan * (frames - 1)  # how far the window moves over a clip
        for height, width in [*pair_sizes(self.pairs), *pair_sizes(self.test)]:
            if height < size or width < size + travel:
                raise UserError(
                    f"dataset {name!r} holds a {width} x {height} pair, smaller than "
                    f"data.image_size={size} (plus {travel} px of panning); give a smaller image "
                    "size or larger images"
                )
        if frames > 1:
            shape: tuple[int, ...] = (channels, frames, size, size)
            self.info = DataInfo("video", shape, pairing="paired", y_shape=shape)
        else:
            shape = (channels, size, size)
            self.info = DataInfo("images", shape, pairing="paired", y_shape=shape)

    def __len__(self) -> int:
        return len(self.pairs)

    def batch(
        self, step: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1
    ) -> Batch:
        generator = step_generator(seed, CROP_STREAM, step)
        return self._crops(self.pairs, batch_size, generator, slice(rank, batch_size, world_size))

    def _crops(
        self, pairs: list[tuple[Tensor, Tensor]], n: int, generator: torch.Generator, rows: slice
    ) -> Batch:
        """Rows ``rows`` of ``n`` random crops (pair, top, left, flip drawn for all ``n``)."""
        which = torch.randint(len(pairs), (n,), generator=generator)
        position = torch.rand(n, 2, generator=generator, dtype=torch.float64)
        flips = torch.rand(n, generator=generator) < 0.5
        xs, ys = [], []
        travel = self.pan * (self.frames - 1)
        for index in range(n)[rows]:
            x, y = pairs[int(which[index])]
            height, width = x.shape[-2:]
            top = int(position[index, 0] * (height - self.size + 1))
            left = int(position[index, 1] * (width - self.size - travel + 1))
            x, y = (self.clip(t, top, left, self.size, self.size) for t in (x, y))
            if self.flip and flips[index]:
                x, y = x.flip(-1), y.flip(-1)
            xs.append(x)
            ys.append(y)
        return Batch(to_model_space(torch.stack(xs)), y=to_model_space(torch.stack(ys)))

    def clip(self, image: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
        """The (C, H, W) window at (top, left) of ``image``, or with ``frames > 1`` the (C, T, H,
        W) clip of that window panning ``pan`` pixels to the right per frame."""
        if self.frames == 1:
            return image[:, top : top + height, left : left + width]
        moves = [left + t * self.pan for t in range(self.frames)]
        return torch.stack([image[:, top : top + height, m : m + width] for m in moves], dim=1)

    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` held-out inputs (centre crops, in turn over the held-out pairs)."""
        return self.held_out(n, seed=seed).x

    def sample_batch(self, n: int, seed: int = 0) -> Batch:
        return self.held_out(n, seed=seed)

    def held_out(self, n: int, direction: str = "AtoB", seed: int = 0) -> Batch:
        """``n`` held-out (input, target) crops of ``image_size``: the centre crop of each
        held-out pair first, then random crops of them (drawn from ``seed``)."""
        centres = []
        travel = self.pan * (self.frames - 1)
        for x, y in self.test[:n]:
            top, left = (x.shape[-2] - self.size) // 2, (x.shape[-1] - self.size - travel) // 2
            x, y = (self.clip(t, top, left, self.size, self.size)[None] for t in (x, y))
            centres.append(Batch(to_model_space(x), y=to_model_space(y)))
        if n > len(centres):
            generator = step_generator(seed, SAMPLE_STREAM, CROP_STREAM)
            saved, self.flip = self.flip, False
            try:
                centres.append(self._crops(self.test, n - len(centres), generator, slice(None)))
            finally:
                self.flip = saved
        return Batch.cat(centres)

    def held_out_pairs(self) -> list[tuple[Tensor, Tensor]]:
        """Every held-out pair whole, as model-space (1, C, H, W) tensors; with ``frames > 1``
        (1, C, T, H, W) clips panning over the pair's whole height."""
        travel = self.pan * (self.frames - 1)
        pairs = []
        for x, y in self.test:
            height, width = x.shape[-2:]
            x, y = (self.clip(t, 0, 0, height, width - travel)[None] for t in (x, y))
            pairs.append((to_model_space(x), to_model_space(y)))
        return pairs

    def describe(self) -> str:
        return (
            f"{self.name}: {len(self.pairs)} training pairs, {len(self.test)} held out, crops of "
            f"shape {tuple(self.info.shape)}"
        )


# --- paired folders ------------------------------------------------------------------------------


def paired_folders(root: Path) -> dict[str, tuple[Path, Path]] | None:
    """The (input, target) folders of each split under ``root``, or None when it holds neither
    ``input/`` nor ``target/``. One of the two alone is a user error."""
    found: dict[str, tuple[Path, Path]] = {}
    for split, base in (("train", root), ("test", root / "test")):
        inputs, targets = base / "input", base / "target"
        if not (inputs.is_dir() or targets.is_dir()):
            continue
        if not (inputs.is_dir() and targets.is_dir()):
            have, missing = (inputs, targets) if inputs.is_dir() else (targets, inputs)
            raise UserError(
                f"data folder '{root}' holds '{have.relative_to(root)}' but no "
                f"'{missing.relative_to(root)}'; put the other half of each pair there"
            )
        found[split] = (inputs, targets)
    return found or None


DECODER = "paired-1"  # bumped whenever decoding changes what a prepared copy holds


def aligned_folders(root: Path) -> dict[str, Path] | None:
    """The folder of each split of pix2pix's aligned layout under ``root`` (``train``, and
    ``test`` or else ``val``), or None when ``root`` has no ``train/``."""
    if not (root / "train").is_dir():
        return None
    found = {"train": root / "train"}
    for name in ("test", "val"):
        if (root / name).is_dir():
            found["test"] = root / name
            break
    return found


def decode_pair(paths: tuple[str, str], mode: str) -> tuple[str, Any]:
    """One pair for a prepared copy, in a worker process: ``("ok", (x, y))`` as (C, H, W)
    uint8, ``("too_large", path)``, ``("unreadable", None)`` or ``("sizes", (x, y) shapes)``."""
    try:
        x, y = (np.asarray(read_image(Path(path), mode), np.uint8) for path in paths)
    except ImageTooLarge as error:
        return ("too_large", str(error.path))
    except UNREADABLE:
        return ("unreadable", None)
    x, y = (a[None] if a.ndim == 2 else np.ascontiguousarray(a.transpose(2, 0, 1)) for a in (x, y))
    if x.shape != y.shape:
        return ("sizes", (x.shape, y.shape))
    return ("ok", (x, y))


def decode_aligned(path: str, mode: str) -> tuple[str, Any]:
    """One side-by-side file for a prepared copy, in a worker process: ``("ok", (left,
    right))`` as (C, H, W) uint8, ``("odd", (width, height))``, or as :func:`decode_pair`."""
    try:
        image = np.asarray(read_image(Path(path), mode), np.uint8)
    except ImageTooLarge as error:
        return ("too_large", str(error.path))
    except UNREADABLE:
        return ("unreadable", None)
    image = image[None] if image.ndim == 2 else np.ascontiguousarray(image.transpose(2, 0, 1))
    height, width = image.shape[-2:]
    if width % 2:
        return ("odd", (width, height))
    half = width // 2
    return ("ok", (image[..., :half].copy(), image[..., half:].copy()))


def pair_error(name: str, status: str, payload: Any) -> UserError:
    """The one-line error of a pair that cannot be one (:func:`decode_pair`,
    :func:`decode_aligned`)."""
    if status == "odd":
        width, height = payload
        return UserError(
            f"'{name}' is {width} x {height}, an odd width, so not an input and its target side "
            "by side (each W wide); give files of width 2W, input on the left"
        )
    (_, h0, w0), (_, h1, w1) = payload
    return UserError(
        f"input '{name}' is {w0} x {h0} but its target is {w1} x {h1}; give each input and its "
        "target the same size"
    )


class PreparedPairs(Sequence[tuple[Tensor, Tensor]]):
    """The pairs of a prepared copy: item ``i`` is (input, target), uint8 (C, H, W) tensors over
    the memory-mapped file, checked against their CRC the first time they are read; with
    ``swap`` (``data.direction=BtoA``), (target, input)."""

    def __init__(self, copy: Prepared, swap: bool = False) -> None:
        self.copy = copy
        self.inputs, self.targets = copy.rows("inputs"), copy.rows("targets")
        if swap:
            self.inputs, self.targets = self.targets, self.inputs

    def __len__(self) -> int:
        return len(self.inputs)

    @overload
    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[Tensor, Tensor]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        return self.inputs.row(index), self.targets.row(index)

    def sizes(self) -> list[tuple[int, int]]:
        """(height, width) of every pair, from the header (nothing read)."""
        return [self.inputs.shape(i)[-2:] for i in range(len(self))]  # type: ignore[misc]


def pair_sizes(pairs: Sequence[tuple[Tensor, Tensor]]) -> list[tuple[int, int]]:
    """(height, width) of every pair; a prepared copy's from its header, without reading."""
    if isinstance(pairs, PreparedPairs):
        return pairs.sizes()
    return [(int(x.shape[-2]), int(x.shape[-1])) for x, _ in pairs]


def read_pairs(
    inputs: Path,
    targets: Path,
    mode: str,
    limit: int | None = None,
    cache: Path | None = None,
    swap: bool = False,
) -> tuple[PreparedPairs, list[str]]:
    """The pairs of two folders matched by relative file name (see the module docstring), from
    their prepared copy in ``cache`` (built on first use)."""
    input_files = scan_files(inputs, IMAGE_SUFFIXES)
    target_files = scan_files(targets, IMAGE_SUFFIXES)
    in_names = {e.path.relative_to(inputs).as_posix(): e.path for e in input_files}
    target_names = {e.path.relative_to(targets).as_posix(): e.path for e in target_files}
    if not in_names and not target_names:
        raise UserError(
            f"paired folders '{inputs}' and '{targets}' hold no PNG, JPEG, BMP or WebP files; "
            "put each input and its target there under the same name"
        )
    unmatched = sorted(set(in_names) ^ set(target_names))
    if unmatched:
        example = unmatched[0]
        side = "input" if example in in_names else "target"
        raise UserError(
            f"{len(unmatched)} file name(s) of '{inputs}' and '{targets}' do not match (e.g. "
            f"'{example}' is only in {side}/); give every input its target under the same name"
        )
    names = sorted(in_names)[:limit]
    items = [(str(in_names[name]), str(target_names[name])) for name in names]
    settings = {"reader": "pairs", "mode": mode, "limit": limit, "decoder": DECODER,
                "folders": [inputs.name, targets.name]}  # fmt: skip
    return prepare_pairs(
        inputs.parent, names, items, functools.partial(decode_pair, mode=mode), settings,
        [*input_files, *target_files], cache, swap,
        f"paired folders '{inputs}' and '{targets}' have no readable pairs", inputs,
    )  # fmt: skip


def read_aligned(
    folder: Path, mode: str, limit: int | None = None, cache: Path | None = None, swap: bool = False
) -> tuple[PreparedPairs, list[str]]:
    """The pairs of pix2pix's aligned layout in ``folder`` (each file input | target, see the
    module docstring), from their prepared copy in ``cache`` (built on first use)."""
    files = scan_files(folder, IMAGE_SUFFIXES)
    if not files:
        raise UserError(
            f"folder '{folder}' holds no PNG, JPEG, BMP or WebP files; put each input and its "
            "target there side by side in one file (input on the left)"
        )
    paths = {e.path.relative_to(folder).as_posix(): e.path for e in files}
    names = sorted(paths)[:limit]
    settings = {"reader": "aligned", "mode": mode, "limit": limit, "decoder": DECODER,
                "folders": [folder.name]}  # fmt: skip
    return prepare_pairs(
        folder.parent, names, [str(paths[name]) for name in names],
        functools.partial(decode_aligned, mode=mode), settings, files, cache, swap,
        f"aligned folder '{folder}' has no readable pairs", folder,
    )  # fmt: skip


def prepare_pairs(
    root: Path,
    names: list[str],
    items: list[Any],
    decode: Any,
    settings: dict[str, Any],
    files: list[Any],
    cache: Path | None,
    swap: bool,
    nothing: str,
    where: Path,
) -> tuple[PreparedPairs, list[str]]:
    """The prepared copy of the pairs ``decode`` makes of ``items`` (one per name), opened as
    :class:`PreparedPairs`; ``nothing`` says that none was readable, ``where`` what warns."""

    def build(writer: CopyWriter) -> dict[str, Any]:
        kept, unreadable, too_large = [], 0, []
        results = decode_in_order(decode, items, f"preparing {root.name}")
        with contextlib.closing(results):
            for name, (status, payload) in zip(names, results, strict=True):
                if status == "too_large":
                    too_large.append(ImageTooLarge(Path(payload)))
                elif status == "unreadable":
                    unreadable += 1
                elif status != "ok":
                    raise pair_error(name, status, payload)
                else:
                    writer.append("inputs", payload[0])
                    writer.append("targets", payload[1])
                    kept.append(name)
        if not kept:
            raise nothing_readable(
                nothing, str(len(names)), unreadable, too_large, "give PNG or JPEG files"
            )
        return {"names": kept, "notes": skipped_notes(unreadable, too_large, "pair(s)")}

    cache = cache_root() if cache is None else cache
    copy = prepared_copy(root, settings, files, build, cache)
    if copy.meta["notes"]:
        warnings.warn(f"'{where}': {'; '.join(copy.meta['notes'])}", stacklevel=3)
    return PreparedPairs(copy, swap), list(copy.meta["names"])


def load_paired(root: str | Path, config: DataConfig) -> PairedImages:
    root = Path(root).expanduser()
    if not root.is_dir():
        raise UserError(f"data folder '{root}' does not exist or is not a folder")
    found = paired_folders(root)
    aligned = aligned_folders(root) if found is None else None
    if (found is None or "train" not in found) and aligned is None:
        raise UserError(
            f"data folder '{root}' holds no input/ and target/ folders, nor train/ of input | "
            "target files side by side (pix2pix's layout); put each input in input/ and its "
            "target in target/ under the same file name"
        )
    size = check_image_size(config)
    mode = "L" if image_channels(config, 3) == 1 else "RGB"
    cache = cache_root(config.cache_dir)
    swap = config.direction == "BtoA"
    test = None
    if aligned is not None:
        train, names = read_aligned(aligned["train"], mode, config.limit, cache, swap)
        if "test" in aligned:
            test, names = read_aligned(aligned["test"], mode, cache=cache, swap=swap)
    else:
        assert found is not None
        train, names = read_pairs(*found["train"], mode, config.limit, cache, swap)
        if "test" in found:
            test, names = read_pairs(*found["test"], mode, cache=cache, swap=swap)
    flip = True if config.flip is None else bool(config.flip)
    return PairedImages("paired-folders", train, size, flip, test, names)


@DATASETS.register(
    "paired-folders",
    summary="input/ and target/ of the same names, or train/ of input|target files (yours)",
)
def paired(config: DataConfig) -> PairedImages:
    if not config.path:
        raise UserError(
            "dataset 'paired-folders' needs data.path, a folder with input/ and target/ (or "
            "train/ of input | target files side by side)"
        )
    return load_paired(config.path, config)


# --- photo-pairs ----------------------------------------------------------------------------------

SKIMAGE_PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")


def bundled_photos() -> list[tuple[str, np.ndarray]]:
    """(name, (H, W, 3) uint8) photos shipped with scikit-learn (and scikit-image if present)."""
    from sklearn.datasets import load_sample_images

    bunch = load_sample_images()
    photos = [
        (Path(name).stem, np.asarray(image, np.uint8))
        for name, image in zip(bunch.filenames, bunch.images, strict=True)
    ]
    try:
        import skimage.data
    except ImportError:
        return photos
    for name in SKIMAGE_PHOTOS:
        try:
            photos.append((name, np.asarray(getattr(skimage.data, name)(), np.uint8)[..., :3]))
        except Exception:  # noqa: BLE001  (a photo scikit-image would have to download)
            continue
    return photos


PAN = 2  # photo-clips: pixels the camera moves per frame


@DATASETS.register(
    "photo-clips", summary="photo-pairs as panning clips, for video enhancement (bundled)"
)
def photo_clips(config: DataConfig) -> PairedImages:
    """photo-pairs as clips of ``data.frames`` frames, the camera panning ``PAN`` px a frame."""
    if config.frames < 2:
        raise UserError(f"photo-clips needs data.frames of at least 2, got {config.frames}")
    return photo_pairs(config, frames=config.frames, pan=PAN)


@DATASETS.register(
    "photo-pairs",
    summary="scikit-image photos through a known camera model, for enhancement (bundled)",
)
def photo_pairs(config: DataConfig, frames: int = 1, pan: int = 0) -> PairedImages:
    if image_channels(config, 3) != 3:
        raise UserError("photo-pairs is in colour; leave data.channels at 3 (or null)")
    size = check_image_size(config)
    photos = bundled_photos()
    photos = photos[: take_limit(config, len(photos))]
    train, test, names = [], [], []
    for index, (name, photo) in enumerate(photos):
        if config.load_size:  # photos resized so their shorter side is load_size
            image = Image.fromarray(photo)
            scale = config.load_size / min(image.size)
            new = (round(image.width * scale), round(image.height * scale))
            photo = np.asarray(image.resize(new, Image.Resampling.LANCZOS))
        cut = round(photo.shape[1] * (1 - HELD_OUT_SHARE))
        left, right = photo[:, :cut], photo[:, cut:]
        for copy in range(COPIES):
            rng = np.random.default_rng([index, copy])
            train.append((to_tensor(degrade(left, rng)), to_tensor(left)))
        for copy in range(HELD_OUT_COPIES):
            rng = np.random.default_rng([index, COPIES + copy])
            test.append((to_tensor(degrade(right, rng)), to_tensor(right)))
            names.append(f"{name}-right-{copy}")
    flip = True if config.flip is None else bool(config.flip)
    name = "photo-clips" if frames > 1 else "photo-pairs"
    return PairedImages(name, train, size, flip, test, names, frames=frames, pan=pan)
