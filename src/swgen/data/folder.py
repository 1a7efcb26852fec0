"""``folder``: every PNG, JPEG, BMP or WebP image under a folder, searched recursively.

Files are read in sorted path order (so ``data.limit`` keeps the same images on every machine),
converted to RGB (or L when ``data.channels == 1``), resized with PIL bicubic so the shorter side
is ``image_size`` and centre-cropped to a square. Files that cannot be decoded are skipped and
counted in one warning, which names the images Pillow refuses as too large (its limit against
decompression bombs). Giving a folder as the dataset name (``data.name=path/to/images``) is the
same as ``data.name=folder data.path=path/to/images``.

The decoded images are kept in a prepared copy (``swgen.data.prepared``): the first run on a
folder decodes them on every core into a memory-mapped file at its image settings, and later
runs open it at once and read a batch at a time.

Class labels come from the subfolder names, as torchvision's ``ImageFolder``: when every image
lies under one of at least two subfolders of the folder (``cats/...``, ``dogs/...``, at any
depth below them), the subfolders, in sorted order, are the classes ``0, 1, ...`` and their names
the class names; images at the top level, or a single subfolder, give unlabelled data.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageOps

from swgen.data.base import DataConfig
from swgen.data.memory import InMemoryImages, check_image_size, image_channels, take_limit
from swgen.data.prepared import (
    CopyWriter,
    Prepared,
    cache_root,
    decode_in_order,
    prepared_copy,
)
from swgen.errors import UserError
from swgen.listing import relative_posix, scan_files
from swgen.registry import DATASETS

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})


class FolderImages(InMemoryImages):
    """The images of one folder; ``skipped`` counts the files that could not be decoded;
    ``prepared`` is the copy they are read from (None when given in memory)."""

    def __init__(
        self,
        folder: Path,
        images: torch.Tensor,
        skipped: int = 0,
        labels: torch.Tensor | None = None,
        class_names: tuple[str, ...] | None = None,
        prepared: Prepared | None = None,
    ) -> None:
        verify = prepared.rows("images").verify if prepared is not None else None
        super().__init__("folder", images, labels, class_names, verify=verify)
        self.folder = folder
        self.skipped = skipped
        self.prepared = prepared

    def describe(self) -> str:
        return f"{super().describe()} from '{self.folder}'"


def image_files(folder: Path) -> list[Path]:
    """Image files under ``folder`` (any depth), by suffix, case-insensitive, in sorted order."""
    return [entry.path for entry in scan_files(folder, IMAGE_SUFFIXES)]


def to_8_bit(image: Image.Image) -> Image.Image:
    """Grey images of 16 (or 32) bits per pixel scaled to 8 bits.

    PIL's ``convert("L")`` clips such pixels at 255 instead of scaling them, which turns a
    16-bit PNG almost white; 65535 maps to 255 here (``x / 257``). A 32-bit ("I") image is read
    as 16-bit when its values need more than 8 bits, as PIL gives 16-bit PNGs on some versions.
    """
    if image.mode.startswith("I;16") or image.mode == "I":
        pixels = np.asarray(image, dtype=np.float64)
        if image.mode.startswith("I;16") or pixels.max(initial=0) > 255:
            pixels = pixels / 257.0
        return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), mode="L")
    if image.mode == "F":  # floating-point pixels: taken as values in [0, 1]
        pixels = np.nan_to_num(np.asarray(image, dtype=np.float64)) * 255.0
        return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), mode="L")
    return image


def load_square_image(path: Path, size: int, mode: str) -> np.ndarray:
    """The image at ``path`` in PIL ``mode``, shorter side resized to ``size``, centre-cropped.

    Returns uint8 (size, size) for mode "L" or (size, size, 3) for "RGB".
    """
    return square_crop(read_image(path, mode), size)


def read_image(path: Path, mode: str) -> Image.Image:
    """The image at ``path``, upright (EXIF orientation applied), 8-bit, in PIL ``mode``.

    Pillow refuses images of more than ``2 * Image.MAX_IMAGE_PIXELS`` pixels (about 179
    megapixels) as possible decompression bombs: those raise :class:`ImageTooLarge`, whose message
    gives the size. Above ``Image.MAX_IMAGE_PIXELS`` Pillow reads the image but warns without
    naming it; that warning is replaced by one that names the file.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # named below
            with Image.open(path) as opened:
                width, height = opened.size
                image = to_8_bit(ImageOps.exif_transpose(opened)).convert(mode)
    except Image.DecompressionBombError:
        raise ImageTooLarge(path) from None
    if Image.MAX_IMAGE_PIXELS and width * height > Image.MAX_IMAGE_PIXELS:
        warnings.warn(
            f"image '{path}' is {width} x {height} pixels, above Pillow's warning threshold "
            f"against decompression bombs ({Image.MAX_IMAGE_PIXELS / 1e6:.3g} megapixels); it "
            "was read, but downscale it to load faster",
            stacklevel=2,
        )
    return image


class ImageTooLarge(Image.DecompressionBombError):
    """A valid image that Pillow will not decode: more than ``2 * Image.MAX_IMAGE_PIXELS``
    pixels, its limit against decompression bombs. Calling it unreadable would mislead."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = header_size(path)
        shown = f"{self.size[0]} x {self.size[1]} pixels" if self.size else "too many pixels"
        super().__init__(
            f"'{path.name}': {shown}, above Pillow's limit against decompression bombs "
            f"({bomb_limit()} megapixels); downscale it"
        )


def bomb_limit() -> str:
    """Pillow's limit against decompression bombs, in megapixels, as text."""
    return f"{2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6:.3g}"


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the header of an image Pillow refuses as too large. Opening reads
    the header only; the limit is lifted for that moment (data are read in one thread)."""
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, SyntaxError, ValueError):
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def too_large_note(errors: list[ImageTooLarge]) -> str:
    """One clause on the images skipped as too large: the first named with its size."""
    if len(errors) == 1:
        return f"skipped {errors[0]}"
    first = errors[0]
    size = f" ({first.size[0]} x {first.size[1]} pixels)" if first.size else ""
    return (
        f"skipped {len(errors)} images above Pillow's limit against decompression bombs "
        f"({bomb_limit()} megapixels), e.g. '{first.path.name}'{size}; downscale them"
    )


def skipped_notes(unreadable: int, too_large: list[ImageTooLarge], what: str) -> list[str]:
    """The clauses of the one warning on skipped files: unreadable ones counted, too large ones
    named."""
    notes = [f"skipped {unreadable} unreadable {what}"] if unreadable else []
    return notes + ([too_large_note(too_large)] if too_large else [])


def nothing_readable(
    subject: str, checked: str, unreadable: int, too_large: list[ImageTooLarge], advice: str
) -> UserError:
    """The one-line error of a folder with nothing readable (``subject``: what has none)."""
    large = f", {len(too_large)} too large" if too_large else ""
    advice = too_large_note(too_large) if too_large else advice
    return UserError(f"{subject} (checked {checked}, {unreadable} unreadable{large}); {advice}")


# What PIL raises for a file it cannot decode as an image (ImageTooLarge included).
UNREADABLE = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def square_crop(image: Image.Image, size: int) -> np.ndarray:
    """``image`` with its shorter side resized (PIL bicubic) to ``size``, centre-cropped."""
    width, height = image.size
    scale = size / min(width, height)
    new_size = (max(size, round(width * scale)), max(size, round(height * scale)))
    image = image.resize(new_size, Image.Resampling.BICUBIC)
    left, top = (new_size[0] - size) // 2, (new_size[1] - size) // 2
    return np.asarray(image.crop((left, top, left + size, top + size)), dtype=np.uint8)


def subfolder_classes(relative: list[str]) -> tuple[str, ...] | None:
    """The class names the subfolders give (sorted), or ``None`` when the images (``relative``:
    their paths under the folder, POSIX form) are not all under at least two subfolders (see the
    module docstring)."""
    if any("/" not in name for name in relative):
        return None
    tops = {name.split("/", 1)[0] for name in relative}
    return tuple(sorted(tops)) if len(tops) >= 2 else None


# Bumped whenever decoding changes what a prepared copy holds, so older copies are not used.
DECODER = "folder-1"


def decode_square(path: str, size: int, mode: str) -> tuple[str, Any, list[str]]:
    """One file for a prepared copy, in a worker process: ``("ok", (C, size, size) uint8)``,
    ``("too_large", path)`` or ``("unreadable", None)``, and the warnings raised on the way."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pixels = load_square_image(Path(path), size, mode)
            result: tuple[str, Any] = ("ok", to_channels_first(pixels))
        except ImageTooLarge:
            result = ("too_large", path)
        except UNREADABLE:
            result = ("unreadable", None)
    return (*result, [str(w.message) for w in caught])


def to_channels_first(pixels: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, C) uint8 to (C, H, W)."""
    return pixels[None] if pixels.ndim == 2 else np.ascontiguousarray(pixels.transpose(2, 0, 1))


def load_folder(folder: str | Path, config: DataConfig) -> FolderImages:
    """All readable images under ``folder``, from its prepared copy (built on first use; see the
    module docstring)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"data folder '{folder}' does not exist or is not a folder")
    size = check_image_size(config)
    channels = image_channels(config, 3)
    mode = "L" if channels == 1 else "RGB"
    files = scan_files(folder, IMAGE_SUFFIXES)
    paths = [entry.location for entry in files]  # strings: Paths only for the files decoded
    relative = [relative_posix(path, folder) for path in paths]
    wanted = take_limit(config, len(paths)) if paths else 0
    classes = subfolder_classes(relative)
    settings = {"reader": "folder", "size": size, "mode": mode, "limit": config.limit,
                "decoder": DECODER}  # fmt: skip

    def build(writer: CopyWriter) -> dict[str, Any]:
        decode = functools.partial(decode_square, size=size, mode=mode)
        labels: list[int] = []
        unreadable, too_large = 0, []
        results = decode_in_order(decode, paths, f"preparing {folder.name}")
        with contextlib.closing(results):
            for index, (status, pixels, caught) in enumerate(results):
                for message in caught:
                    warnings.warn(message, stacklevel=4)
                if status == "ok":
                    writer.append("images", pixels)
                    if classes is not None:
                        labels.append(classes.index(relative[index].split("/", 1)[0]))
                elif status == "too_large":
                    too_large.append(ImageTooLarge(Path(paths[index])))
                else:
                    unreadable += 1
                if writer.rows("images") == wanted:
                    break
        if not writer.rows("images"):
            raise nothing_readable(
                f"data folder '{folder}' has no readable images", f"{len(paths)} files",
                unreadable, too_large, "give a folder of PNG or JPEG files",
            )  # fmt: skip
        notes = skipped_notes(unreadable, too_large, "image file(s)")
        return {"labels": labels, "skipped": unreadable + len(too_large), "notes": notes}

    copy = prepared_copy(
        folder, settings, files, build, cache_root(config.cache_dir),
        needed_bytes=wanted * channels * size * size,
    )  # fmt: skip
    meta = copy.meta
    if meta["notes"]:
        warnings.warn(f"data folder '{folder}': {'; '.join(meta['notes'])}", stacklevel=2)
    pixels = copy.rows("images").tensor
    if classes is None:
        return FolderImages(folder, pixels, skipped=meta["skipped"], prepared=copy)
    # Classes whose images were all cut by data.limit or unreadable still keep their index.
    labels = torch.tensor(meta["labels"], dtype=torch.int64)
    return FolderImages(folder, pixels, meta["skipped"], labels, classes, prepared=copy)


@DATASETS.register(
    "folder", summary="every image under a folder, class subfolders as labels (yours; --data DIR)"
)
def folder(config: DataConfig) -> FolderImages:
    if not config.path:
        raise UserError("dataset 'folder' needs data.path, a folder of PNG or JPEG files")
    return load_folder(config.path, config)
