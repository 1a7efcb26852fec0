"""``folder``: every PNG, JPEG, BMP or WebP image under a folder, searched recursively.

Files are read in sorted path order (so ``data.limit`` keeps the same images on every machine),
converted to RGB (or L when ``data.channels == 1``), resized with PIL bicubic so the shorter side
is ``image_size`` and centre-cropped to a square. Files that cannot be decoded are skipped and
counted in one warning, which names the images Pillow refuses as too large (its limit against
decompression bombs). Giving a folder as the dataset name (``data.name=path/to/images``) is the
same as ``data.name=folder data.path=path/to/images``.

Class labels come from the subfolder names, as torchvision's ``ImageFolder``: when every image
lies under one of at least two subfolders of the folder (``cats/...``, ``dogs/...``, at any
depth below them), the subfolders, in sorted order, are the classes ``0, 1, ...`` and their names
the class names; images at the top level, or a single subfolder, give unlabelled data.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from swgen.data.base import DataConfig
from swgen.data.memory import InMemoryImages, check_image_size, image_channels, take_limit
from swgen.errors import UserError
from swgen.registry import DATASETS

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})


class FolderImages(InMemoryImages):
    """The images of one folder; ``skipped`` counts the files that could not be decoded."""

    def __init__(
        self,
        folder: Path,
        images: torch.Tensor,
        skipped: int = 0,
        labels: torch.Tensor | None = None,
        class_names: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__("folder", images, labels, class_names)
        self.folder = folder
        self.skipped = skipped

    def describe(self) -> str:
        return f"{super().describe()} from '{self.folder}'"


def image_files(folder: Path) -> list[Path]:
    """Image files under ``folder`` (any depth), by suffix, case-insensitive, in sorted order."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
    )


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


def subfolder_classes(folder: Path, paths: list[Path]) -> tuple[str, ...] | None:
    """The class names the subfolders give (sorted), or ``None`` when the images are not all
    under at least two subfolders (see the module docstring)."""
    tops = {path.relative_to(folder).parts[0] for path in paths if path.parent != folder}
    if len(tops) < 2 or any(path.parent == folder for path in paths):
        return None
    return tuple(sorted(tops))


def load_folder(folder: str | Path, config: DataConfig) -> FolderImages:
    """All readable images under ``folder`` as one in-memory dataset (see the module docstring)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"data folder '{folder}' does not exist or is not a folder")
    size = check_image_size(config)
    channels = image_channels(config, 3)
    mode = "L" if channels == 1 else "RGB"
    paths = image_files(folder)
    wanted = take_limit(config, len(paths)) if paths else 0
    classes = subfolder_classes(folder, paths)
    images: list[np.ndarray] = []
    labels: list[int] = []
    unreadable, too_large = 0, []
    for path in paths:
        if len(images) == wanted:
            break
        try:
            images.append(load_square_image(path, size, mode))
            if classes is not None:
                labels.append(classes.index(path.relative_to(folder).parts[0]))
        except ImageTooLarge as error:
            too_large.append(error)
        except UNREADABLE:
            unreadable += 1
    if not images:
        advice = too_large_note(too_large) if too_large else "give a folder of PNG or JPEG files"
        large = f", {len(too_large)} too large" if too_large else ""
        raise UserError(
            f"data folder '{folder}' has no readable images (checked {len(paths)} files, "
            f"{unreadable} unreadable{large}); {advice}"
        )
    notes = [f"skipped {unreadable} unreadable image file(s)"] if unreadable else []
    notes += [too_large_note(too_large)] if too_large else []
    if notes:
        warnings.warn(f"data folder '{folder}': {'; '.join(notes)}", stacklevel=2)
    stacked = torch.from_numpy(np.stack(images))
    pixels = stacked.unsqueeze(1) if channels == 1 else stacked.permute(0, 3, 1, 2)
    if classes is None:
        return FolderImages(folder, pixels, skipped=unreadable + len(too_large))
    # Classes whose images were all cut by data.limit or unreadable still keep their index.
    return FolderImages(folder, pixels, unreadable + len(too_large), torch.tensor(labels), classes)


@DATASETS.register(
    "folder", summary="every image under a folder, class subfolders as labels (yours; --data DIR)"
)
def folder(config: DataConfig) -> FolderImages:
    if not config.path:
        raise UserError("dataset 'folder' needs data.path, a folder of PNG or JPEG files")
    return load_folder(config.path, config)
